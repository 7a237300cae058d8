import { randomUUID } from 'node:crypto';
import {
  bearer,
  createUser,
  grant,
  ledgerViolations,
  openPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
  type OpenedPortfolio,
} from '@app/testing';
import { Clock } from '../src/common/clock';

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
/** Monday 00:00 UTC of the week holding `ms`. */
const mondayOf = (ms: number) => {
  const day = Math.floor(ms / DAY) * DAY;
  return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY;
};

describe('analytics (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let otherManager: TestUser;
  let viewer: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    // No queue workers: the forks and the merge below are written by hand, and the growth engine's
    // automatic checks must not fork the same surpluses first.
    t = await startTestApp('analytics', { env: { TASKS_RUN_WORKERS: 'false' } });
    [manager, otherManager, viewer, auditor] = await Promise.all([
      createUser(t, 'manager'),
      createUser(t, 'manager', 'other manager'),
      createUser(t, 'viewer'),
      createUser(t, 'auditor'),
    ]);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    jest.restoreAllMocks();
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  const post = (path: string, body: object) => t.http.post(path).set(bearer(manager.key)).send(body).expect(201);
  const analytics = (id: string, query = '', key = manager.key) =>
    t.http.get(`/v1/accounts/${id}/analytics${query}`).set(bearer(key));
  const portfolioAnalytics = (id: string, query = '', key = manager.key) =>
    t.http.get(`/v1/portfolios/${id}/analytics${query}`).set(bearer(key));

  describe('account analytics with backdated movements', () => {
    // The GEN account of a 250,000.00 moderate portfolio: 100,000.00, 5 % buffer, target 1.5 %/week.
    // W0 = [creation, first Monday M1): only the opening deposit        → r0 = 0 / 100,000 = 0
    // W1: premium 1,000.00 on Thursday                                  → r1 = 1,000 / 100,000 = 1 %
    // W2: deposit 10,000.00 Thursday 12:00 (3.5 of 7 days left: ½) and premium 2,120.00
    //                                              → r2 = 2,120 / (101,000 + 5,000) = 2 %
    // W3: trading loss 1,031.20 and fee 100.00      → r3 = −1,131.20 / 113,120.00 = −1 %
    // W4 (to now, Thursday 12:00): transfer 1,988.80 to REV on Monday 00:00 (weight 1), premium
    //     1,000.00 then its reversal, premium 1,650.00 → r4 = 1,650 / (111,988.80 − 1,988.80) = 1.5 %
    // Returns 0, 1, 2, −1, 1.5 %: total 1.01 × 1.02 × 0.99 × 1.015 − 1 = 3.5196 %; mean 0.7 %;
    // annualised 1.007^52 − 1 = 43.7251 %; sample sd 1.2042 %; volatility 8.6833 %; Sharpe
    // (0.007 − 0.02/52) / 0.0120416 × √52 = 3.9616; drawdown 1 − 1.019898 / 1.0302 = 1 %; 3 of 5 > 0.
    let p: OpenedPortfolio;
    let m1: number;

    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, { name: 'Analytics', initialCapital: '250000.00' });
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      const { rows } = await t.db.query('SELECT created_at FROM accounts WHERE id = $1', [p.gen]);
      m1 = mondayOf((rows[0].created_at as Date).getTime()) + 7 * DAY;
      const clock = jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(m1 + 24.5 * DAY));
      const at = (week: number, days: number) => iso(m1 + (week - 1) * 7 * DAY + days * DAY);
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1000.00', effectiveAt: at(1, 3) });
      await post(`/v1/accounts/${p.gen}/deposits`, { amount: '10000.00', effectiveAt: at(2, 3.5) });
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '2120.00', effectiveAt: at(2, 4) });
      await post(`/v1/accounts/${p.gen}/losses`, { amount: '1031.20', effectiveAt: at(3, 1) });
      await post(`/v1/accounts/${p.gen}/fees`, { amount: '100.00', effectiveAt: at(3, 2) });
      await post('/v1/transfers', {
        fromAccountId: p.gen,
        toAccountId: p.rev,
        amount: '1988.80',
        effectiveAt: at(4, 0),
      });
      const premium = await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1000.00', effectiveAt: at(4, 1) });
      await post(`/v1/transactions/${premium.body.id}/reversal`, { effectiveAt: at(4, 2) });
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1650.00', effectiveAt: at(4, 3) });
      clock.mockRestore();
    });

    beforeEach(() => {
      jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(m1 + 24.5 * DAY));
    });

    it('computes weekly balances, time-weighted returns and the figures built on them', async () => {
      const res = await analytics(p.gen).expect(200);
      const created = (await t.db.query('SELECT created_at FROM accounts WHERE id = $1', [p.gen])).rows[0].created_at;
      expect(res.body).toMatchObject({
        accountId: p.gen,
        portfolioId: p.id,
        type: 'GEN',
        status: 'ACTIVE',
        from: (created as Date).toISOString(),
        to: iso(m1 + 24.5 * DAY),
      });
      expect(
        res.body.weeks.map((w: any) => [w.weekStart, w.startValue, w.netFlow, w.income, w.total, w.returnPct]),
      ).toEqual([
        [iso(m1 - 7 * DAY), '0.00', '100000.00', '0.00', '100000.00', 0],
        [iso(m1), '100000.00', '0.00', '1000.00', '101000.00', 1],
        [iso(m1 + 7 * DAY), '101000.00', '10000.00', '2120.00', '113120.00', 2],
        [iso(m1 + 14 * DAY), '113120.00', '0.00', '-1131.20', '111988.80', -1],
        [iso(m1 + 21 * DAY), '111988.80', '-1988.80', '1650.00', '111650.00', 1.5],
      ]);
      expect(res.body.weeks[4]).toMatchObject({ cash: '111650.00', contracts: '0.00', leaps: '0.00' });
      expect(res.body.returns).toEqual({
        weeks: 5,
        totalPct: 3.5196,
        meanWeeklyPct: 0.7,
        annualisedPct: 43.7251,
        weeklySdPct: 1.2042,
        volatilityPct: 8.6833,
        sharpe: 3.9616,
        maxDrawdownPct: 1,
        positiveWeeksPct: 60,
      });
      // The reversed premium nets out of PREMIUM: 1,000 + 2,120 + 1,000 − 1,000 + 1,650.
      expect(res.body.income).toEqual({ premium: '4770.00', tradingLoss: '-1031.20', fee: '-100.00', net: '3638.80' });
      expect(res.body.netFlow).toBe('108011.20');
      expect(res.body.target).toEqual({
        targetWeeklyPct: 1.5,
        actualWeeklyPct: 0.7,
        differencePct: -0.8,
        weeksAtOrAboveTarget: 2,
      });
      // Baseline 100,000 + 10,000 − 1,988.80; surplus 3,638.80 = 7.2776 % of 50,000; growing at
      // (1 − 5 %) × 1.5 % = 1.425 %/week, 111,650 × 1.01425^n ≥ 158,011.20 first at n = 25.
      expect(res.body.fork).toEqual({
        baseline: '108011.20',
        total: '111650.00',
        surplus: '3638.80',
        forkThreshold: '50000.00',
        progressPct: 7.2776,
        weeksToFork: 25,
      });
      expect(res.body.unit).toBeNull();
    });

    it('analyses a chosen period, with the balance before it as the opening value', async () => {
      const res = await analytics(p.gen, `?from=${iso(m1 + 7 * DAY)}&to=${iso(m1 + 14 * DAY)}`).expect(200);
      expect(res.body.weeks).toEqual([
        {
          weekStart: iso(m1 + 7 * DAY),
          startValue: '101000.00',
          netFlow: '10000.00',
          income: '2120.00',
          cash: '113120.00',
          contracts: '0.00',
          leaps: '0.00',
          total: '113120.00',
          returnPct: 2,
        },
      ]);
      expect(res.body.returns).toMatchObject({ weeks: 1, totalPct: 2, weeklySdPct: null, sharpe: null });
      expect(res.body.income).toEqual({ premium: '2120.00', tradingLoss: '0.00', fee: '0.00', net: '2120.00' });
    });

    it('counts a transfer in as a flow for the receiving account, and has no fork figures off GEN', async () => {
      const res = await analytics(p.rev).expect(200);
      expect(res.body.weeks.map((w: any) => [w.netFlow, w.income, w.returnPct])).toEqual([
        ['75000.00', '0.00', 0],
        ['0.00', '0.00', 0],
        ['0.00', '0.00', 0],
        ['0.00', '0.00', 0],
        ['1988.80', '0.00', 0],
      ]);
      expect(res.body.returns).toMatchObject({ totalPct: 0, weeklySdPct: 0, sharpe: null, maxDrawdownPct: 0 });
      expect(res.body.target).toMatchObject({ targetWeeklyPct: 1, actualWeeklyPct: 0, differencePct: -1 });
      expect(res.body.fork).toBeNull();
    });

    it('answers a viewer of the portfolio and an auditor the same figures', async () => {
      const mine = await analytics(p.gen).expect(200);
      expect((await analytics(p.gen, '', viewer.key).expect(200)).body).toEqual(mine.body);
      expect((await analytics(p.gen, '', auditor.key).expect(200)).body).toEqual(mine.body);
    });

    it.each([
      ['from equal to to', () => `?from=${iso(m1)}&to=${iso(m1)}`, 'from'],
      ['from after to', () => `?from=${iso(m1 + DAY)}&to=${iso(m1)}`, 'from'],
      ['a date without time zone', () => '?from=2026-03-02T00:00:00', 'from'],
      ['a day that does not exist', () => '?to=2026-02-30T00:00:00Z', 'to'],
      ['an unknown parameter', () => '?since=2026-03-02T00:00:00Z', 'since'],
    ])('refuses %s with 400 naming the field', async (_name, query, field) => {
      const before = await snapshot(t.db);
      const res = await analytics(p.gen, query()).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('hides the account from another manager and from a viewer of another portfolio (404)', async () => {
      const other = await openPortfolio(t, otherManager.key, { name: 'Other', initialCapital: '1000.00' });
      const outsider = await createUser(t, 'viewer', 'outsider');
      await grant(t, otherManager.key, other.id, outsider.id, 'viewer');
      await analytics(other.gen, '', outsider.key).expect(200);
      for (const key of [otherManager.key, outsider.key]) {
        expect((await analytics(p.gen, '', key).expect(404)).body.code).toBe('ACCOUNT_NOT_FOUND');
        expect((await portfolioAnalytics(p.id, '', key).expect(404)).body.code).toBe('PORTFOLIO_NOT_FOUND');
      }
      expect((await analytics(randomUUID()).expect(404)).body.code).toBe('ACCOUNT_NOT_FOUND');
      expect((await portfolioAnalytics(randomUUID()).expect(404)).body.code).toBe('PORTFOLIO_NOT_FOUND');
      expect((await analytics('not-a-uuid').expect(400)).body.code).toBe('INVALID_ID');
    });
  });

  describe('portfolio analytics with forked and merged units', () => {
    // Root GEN 100,000.00 earns 60,000.00 and forks it (unit 1: GEN 30,000 + COM 30,000); earns
    // 50,000.00 more and forks again (unit 2: 25,000 + 25,000), which then merges into the root COM.
    let p: OpenedPortfolio;
    const units: { id: string; gen: string; com: string; fork: string; merge?: string }[] = [];

    /** Writes a FORK through ledger_post with the unit's accounts and row, as the engine would. */
    async function fork(amount: bigint, trigger: string) {
      const unit = { id: randomUUID(), gen: randomUUID(), com: randomUUID(), fork: randomUUID() };
      const client = await t.db.connect();
      try {
        await client.query('BEGIN');
        // Both start empty; the FORK funds them and sets the new GEN's baseline.
        for (const [id, type] of [
          [unit.gen, 'GEN'],
          [unit.com, 'COM'],
        ] as const) {
          await client.query(
            `INSERT INTO accounts (id, portfolio_id, type, unit_id, parent_account_id, buffer_bp, config)
             SELECT $1, portfolio_id, $2, $3, $4, buffer_bp, config FROM accounts WHERE id = $5`,
            [id, type, unit.id, p.gen, type === 'GEN' ? p.gen : p.com],
          );
        }
        const delta = (id: string, cash: bigint, baseline = 0n) => ({
          id,
          cash: cash.toString(),
          contracts: '0',
          leaps: '0',
          baseline: baseline.toString(),
          statuses: ['ACTIVE'],
        });
        await client.query('SELECT ledger_post($1::jsonb)', [
          JSON.stringify({
            actorId: manager.id,
            transactions: [
              {
                id: unit.fork,
                kind: 'FORK',
                portfolioId: p.id,
                actorId: manager.id,
                legs: [
                  { accountId: p.gen, ledger: 'cash', amount: (-amount).toString() },
                  { accountId: unit.gen, ledger: 'cash', amount: (amount / 2n).toString() },
                  { accountId: unit.com, ledger: 'cash', amount: (amount / 2n).toString() },
                ],
                accounts: [
                  delta(p.gen, -amount),
                  delta(unit.gen, amount / 2n, amount / 2n),
                  delta(unit.com, amount / 2n),
                ],
              },
            ],
            audits: [],
          }),
        ]);
        await client.query(
          `INSERT INTO units (id, portfolio_id, parent_account_id, gen_account_id, com_account_id, amount, trigger,
                              created_by, fork_transaction_id, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())`,
          [unit.id, p.id, p.gen, unit.gen, unit.com, amount.toString(), trigger, manager.id, unit.fork],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
      units.push(unit);
      return unit;
    }

    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, { name: 'Family', initialCapital: '250000.00' });
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '60000.00' });
      await fork(6_000_000n, 'automatic');
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '50000.00' });
      await post(`/v1/accounts/${p.rev}/fees`, { amount: '25.00' });
      const second = await fork(5_000_000n, 'user');
      const merge = randomUUID();
      const client = await t.db.connect();
      try {
        await client.query('BEGIN');
        const leg = (accountId: string, amount: string) => ({ accountId, ledger: 'cash', amount });
        const delta = (id: string, cash: string) => ({
          id,
          cash,
          contracts: '0',
          leaps: '0',
          baseline: '0',
          statuses: ['ACTIVE'],
        });
        await client.query('SELECT ledger_post($1::jsonb)', [
          JSON.stringify({
            actorId: manager.id,
            transactions: [
              {
                id: merge,
                kind: 'MERGE',
                portfolioId: p.id,
                legs: [leg(second.gen, '-2500000'), leg(second.com, '-2500000'), leg(p.com, '5000000')],
                accounts: [delta(second.gen, '-2500000'), delta(second.com, '-2500000'), delta(p.com, '5000000')],
              },
            ],
            audits: [],
          }),
        ]);
        await client.query(`UPDATE accounts SET status = 'MERGED' WHERE unit_id = $1`, [second.id]);
        await client.query(
          `UPDATE units SET status = 'MERGED', merge_transaction_id = $2, merged_at = now() WHERE id = $1`,
          [second.id, merge],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });

    it('totals by type and unit, lists forks and merges, and sums income by period', async () => {
      const res = await portfolioAnalytics(p.id).expect(200);
      const stored = await t.db.query(
        'SELECT id, created_at, merged_at FROM units WHERE portfolio_id = $1 ORDER BY seq',
        [p.id],
      );
      const [u1, u2] = units;
      expect(res.body.total).toBe('359975.00'); // 250,000 + 110,000 of premiums − 25 of fee
      expect(res.body.byType).toEqual([
        { type: 'GEN', accounts: 3, cash: '130000.00', contracts: '0.00', leaps: '0.00', total: '130000.00' },
        { type: 'REV', accounts: 1, cash: '74975.00', contracts: '0.00', leaps: '0.00', total: '74975.00' },
        { type: 'COM', accounts: 3, cash: '155000.00', contracts: '0.00', leaps: '0.00', total: '155000.00' },
      ]);
      expect(res.body.units).toEqual([
        expect.objectContaining({
          unitId: u1.id,
          status: 'ACTIVE',
          gen: '30000.00',
          com: '30000.00',
          total: '60000.00',
        }),
        expect.objectContaining({ unitId: u2.id, status: 'MERGED', gen: '0.00', com: '0.00', total: '0.00' }),
      ]);
      expect(res.body.units.map((u: any) => u.seq)).toEqual([res.body.units[0].seq, res.body.units[0].seq + 1]);
      expect(res.body.forks).toEqual([
        {
          unitId: u1.id,
          parentAccountId: p.gen,
          parentUnitId: null,
          amount: '60000.00',
          trigger: 'automatic',
          createdBy: manager.id,
          transactionId: u1.fork,
          at: stored.rows[0].created_at.toISOString(),
        },
        {
          unitId: u2.id,
          parentAccountId: p.gen,
          parentUnitId: null,
          amount: '50000.00',
          trigger: 'user',
          createdBy: manager.id,
          transactionId: u2.fork,
          at: stored.rows[1].created_at.toISOString(),
        },
      ]);
      expect(res.body.merges).toEqual([
        {
          unitId: u2.id,
          amount: '50000.00',
          transactionId: expect.any(String),
          at: stored.rows[1].merged_at.toISOString(),
        },
      ]);
      expect(res.body.counts).toEqual({ forks: 2, merges: 1, activeUnits: 1, mergedUnits: 1 });
      // Premiums 60,000 + 50,000, fee 25; forks and merges are not income.
      const now = new Date();
      const monday = new Date(mondayOf(now.getTime())).toISOString();
      const month = `${now.toISOString().slice(0, 7)}`;
      expect(res.body.income).toEqual({
        total: '109975.00',
        weeks: [{ period: monday.slice(0, 10), start: monday, income: '109975.00' }],
        months: [{ period: month, start: `${month}-01T00:00:00.000Z`, income: '109975.00' }],
        quarters: [expect.objectContaining({ income: '109975.00' })],
        years: [{ period: month.slice(0, 4), start: `${month.slice(0, 4)}-01-01T00:00:00.000Z`, income: '109975.00' }],
      });
      expect(res.body.tree.roots.map((r: any) => [r.account.type, r.units.map((u: any) => [u.id, u.status])])).toEqual([
        [
          'GEN',
          [
            [u1.id, 'ACTIVE'],
            [u2.id, 'MERGED'],
          ],
        ],
        ['REV', []],
        ['COM', []],
      ]);
      expect(res.body.tree).toMatchObject({ units: 2, activeUnits: 1, totalValue: '359975.00' });
    });

    it('counts only the forks and merges inside the period, and its income', async () => {
      const { rows } = await t.db.query('SELECT created_at FROM units WHERE id = $1', [units[1].id]);
      const from = new Date((rows[0].created_at as Date).getTime() + 1).toISOString();
      const res = await portfolioAnalytics(p.id, `?from=${from}`).expect(200);
      expect(res.body.counts).toEqual({ forks: 0, merges: 1, activeUnits: 1, mergedUnits: 1 });
      expect(res.body.forks).toHaveLength(2); // the history is always whole
      expect(res.body.income.total).toBe('0.00');
      expect(res.body.income.weeks).toEqual([]);
    });

    it('gives a forked account its unit and merge progress, and a GEN after a fork its outlook', async () => {
      const unitGen = await analytics(units[0].gen).expect(200);
      expect(unitGen.body.unit).toEqual({
        unitId: units[0].id,
        status: 'ACTIVE',
        value: '60000.00',
        mergeThreshold: '500000.00',
        progressPct: 12,
      });
      // Baseline 30,000, no surplus: 1.01425^n ≥ 80,000 / 30,000 → n = 69.3… → 70.
      expect(unitGen.body.fork).toEqual({
        baseline: '30000.00',
        total: '30000.00',
        surplus: '0.00',
        forkThreshold: '50000.00',
        progressPct: 0,
        weeksToFork: 70,
      });
      // The forks took the surplus out as flows: the GEN's income is the premiums, its value the baseline.
      const root = await analytics(p.gen).expect(200);
      expect(root.body.income.net).toBe('110000.00');
      expect(root.body.netFlow).toBe('-10000.00');
      expect(root.body.fork).toMatchObject({ surplus: '0.00', progressPct: 0, weeksToFork: 29 });
      const merged = await analytics(units[1].com).expect(200);
      expect(merged.body).toMatchObject({
        status: 'MERGED',
        unit: { status: 'MERGED', value: '0.00', progressPct: 0 },
      });
      expect(merged.body.netFlow).toBe('0.00');
    });

    it('answers a viewer and an auditor, and refuses a bad period', async () => {
      const mine = (await portfolioAnalytics(p.id).expect(200)).body;
      for (const key of [viewer.key, auditor.key]) {
        const theirs = (await portfolioAnalytics(p.id, '', key).expect(200)).body;
        expect(theirs.units).toEqual(mine.units);
        expect(theirs.income.total).toBe(mine.income.total);
      }
      const res = await portfolioAnalytics(p.id, '?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z').expect(400);
      expect(res.body.errors).toEqual([{ field: 'from', message: 'must be before to' }]);
    });
  });
});
