import { randomUUID } from 'node:crypto';
import {
  bearer,
  createUser,
  eventually,
  grant,
  ledgerViolations,
  openPortfolio,
  OpenedPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { Clock } from '../src/common/clock';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';

/**
 * docs/domain.md §7: quarterly reinvestment of REV and COM accounts (the task, and the admin endpoint
 * that runs it), reinvestment a user asks for, closing positions; on real PostgreSQL and Redis.
 */
describe('reinvestment (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let otherManager: TestUser;
  let operator: TestUser;
  let viewer: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    t = await startTestApp('reinvestment');
    [manager, otherManager, operator, viewer, auditor] = await Promise.all([
      createUser(t, 'manager'),
      createUser(t, 'manager', 'other manager'),
      createUser(t, 'operator'),
      createUser(t, 'viewer'),
      createUser(t, 'auditor'),
    ]);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    jest.restoreAllMocks();
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  const setNow = (iso: string) => jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date(iso));
  const account = async (id: string) =>
    (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body;
  const pockets = async (id: string) => {
    const a = await account(id);
    return { cash: a.cash, contracts: a.contracts, leaps: a.leaps };
  };
  const move = (id: string, movement: string, amount: string) =>
    t.http.post(`/v1/accounts/${id}/${movement}`).set(bearer(manager.key)).send({ amount }).expect(201);
  const configure = (id: string, body: object) =>
    t.http.patch(`/v1/accounts/${id}`).set(bearer(manager.key)).send(body).expect(200);
  const reinvest = (id: string, body: object = {}, key = manager.key, headers: Record<string, string> = {}) =>
    t.http.post(`/v1/accounts/${id}/reinvestments`).set(bearer(key)).set(headers).send(body);
  const close = (id: string, body: object = {}, key = manager.key, headers: Record<string, string> = {}) =>
    t.http.post(`/v1/accounts/${id}/positions/close`).set(bearer(key)).set(headers).send(body);
  const startRun = (body: object = {}, key = t.adminKey) =>
    t.http.post('/v1/admin/reinvestments/run').set(bearer(key)).send(body);

  /** Waits for a task to complete and gives its result. */
  const result = (taskId: string) =>
    eventually(async () => {
      const res = await t.http.get(`/v1/tasks/${taskId}`).set(bearer(t.adminKey)).expect(200);
      if (res.body.state === 'failed') throw new Error(`task failed: ${res.body.error}`);
      return res.body.state === 'completed' ? res.body : undefined;
    }, `task ${taskId}`);

  async function run(quarter?: string) {
    const res = await startRun(quarter ? { quarter } : {}).expect(202);
    expect(res.body.id).toMatch(/^reinvestments:/);
    const task = await result(res.body.id);
    expect(task.progress).toBe(100);
    return task.result;
  }

  /** Runs a request that must be refused, and proves it changed nothing. */
  async function expectRefused(send: () => Promise<{ status: number; body: any }>, status: number, code: string) {
    const before = await snapshot(t.db);
    const reinvestments = await t.db.query('SELECT count(*)::int AS n FROM reinvestments');
    const res = await send();
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(await snapshot(t.db)).toEqual(before);
    expect((await t.db.query('SELECT count(*)::int AS n FROM reinvestments')).rows).toEqual(reinvestments.rows);
    return res;
  }

  /**
   * A forked unit (GEN + COM) of `p`, inserted directly (the fork engine is another module's), with
   * the FORK transaction its record names: a cent from the root GEN to the unit's GEN.
   */
  async function insertUnit(p: OpenedPortfolio) {
    const [unit, gen, com, fork] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const client = await t.db.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO accounts (id, portfolio_id, type, buffer_bp, config, unit_id, parent_account_id)
         SELECT x.id, $1, x.type, 500, a.config, $2, $3
           FROM (VALUES ($4::uuid, 'GEN'), ($5::uuid, 'COM')) AS x (id, type)
           JOIN accounts a ON a.portfolio_id = $1 AND a.type = x.type AND a.unit_id IS NULL`,
        [p.id, unit, p.gen, gen, com],
      );
      const cent = (id: string, amount: string) => ({ id, cash: amount, contracts: '0', leaps: '0', baseline: '0' });
      await client.query('SELECT ledger_post($1::jsonb)', [
        JSON.stringify({
          actorId: null,
          audits: [],
          transactions: [
            {
              id: fork,
              kind: 'FORK',
              portfolioId: p.id,
              legs: [
                { accountId: p.gen, ledger: 'cash', amount: '-1' },
                { accountId: gen, ledger: 'cash', amount: '1' },
              ],
              accounts: [cent(p.gen, '-1'), cent(gen, '1')].map((a) => ({ ...a, statuses: ['ACTIVE'] })),
            },
          ],
        }),
      ]);
      await client.query(
        `INSERT INTO units (id, portfolio_id, parent_account_id, gen_account_id, com_account_id, amount, trigger,
                            fork_transaction_id, created_at)
         VALUES ($1, $2, $3, $4, $5, 1, 'user', $6, now())`,
        [unit, p.id, p.gen, gen, com, fork],
      );
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return { gen, com };
  }

  describe('the quarterly reinvestment', () => {
    let p1: OpenedPortfolio;
    let p2: OpenedPortfolio;
    let p3: OpenedPortfolio;
    let unit: { gen: string; com: string };

    beforeAll(async () => {
      // P1, 250,000.00 moderate: GEN 100,000.00, REV 75,000.00, COM 75,000.00, buffer 5 %.
      p1 = await openPortfolio(t, manager.key, { name: 'Quarterly', initialCapital: '250000.00' });
      await move(p1.rev, 'premiums', '1500.00');
      await move(p1.rev, 'losses', '200.00');
      await move(p1.rev, 'fees', '12.34'); // REV net income 1,287.66
      unit = await insertUnit(p1); // its accounts take the root accounts' (default) configuration
      await configure(p1.com, { reinvestRatePct: 50, contractsPct: 60 });
      await move(p1.com, 'premiums', '1000.01');
      const reversed = await move(p1.com, 'premiums', '300.00');
      await t.http.post(`/v1/transactions/${reversed.body.id}/reversal`).set(bearer(manager.key)).send({}).expect(201);
      await move(p1.com, 'deposits', '5000.00'); // capital, not income
      await move(p1.gen, 'premiums', '5000.00'); // GEN never reinvests
      await move(unit.com, 'deposits', '10000.00');
      await move(unit.com, 'premiums', '500.00');
      await move(unit.gen, 'deposits', '100.00');
      await move(unit.gen, 'premiums', '100.00');

      // P2, 1,000.00: REV keeps 15.00 after a withdrawal, so its income is capped by the buffer.
      p2 = await openPortfolio(t, manager.key, { name: 'Small', initialCapital: '1000.00' });
      await move(p2.rev, 'withdrawals', '285.00');
      await move(p2.rev, 'premiums', '400.00'); // cash 415.00, buffer 20.75 → 394.25 available
      await move(p2.com, 'premiums', '99.99'); // below the 100.00 minimum

      // P3: a suspended REV with income is left alone; its COM has no income.
      p3 = await openPortfolio(t, manager.key, { name: 'Suspended', initialCapital: '10000.00' });
      await move(p3.rev, 'premiums', '500.00');
      await configure(p3.rev, { status: 'SUSPENDED' });
    });

    it('declares the quarterly job scheduler at start', async () => {
      const queue = t.app.get(QueueRegistry).get('reinvestments');
      const scheduler = await eventually(() => queue.getJobScheduler('reinvest-quarterly'), 'the scheduler');
      expect(scheduler).toMatchObject({ pattern: '30 17 L 3,6,9,12 *', tz: 'America/New_York' });
    });

    it('reinvests each REV and COM account its net trading income of the quarter, split by its config', async () => {
      setNow('2026-12-31T22:30:00Z'); // 17:30 on 31 December in New York
      const before = {
        p1gen: await pockets(p1.gen),
        unitGen: await pockets(unit.gen),
        p2com: await pockets(p2.com),
        p3rev: await pockets(p3.rev),
        p3com: await pockets(p3.com),
      };

      expect(await run()).toEqual({
        quarter: '2026-Q4',
        accounts: 6, // P1 REV, COM; unit COM; P2 REV, COM; P3 COM (P3 REV is suspended)
        reinvested: 4,
        skipped: 2,
        alreadyDone: 0,
        failed: 0,
        amount: '2681.91', // 1,287.66 + 500.00 + 500.00 + 394.25
        failures: [],
      });

      // 1,287.66 × 100 %: 75 % to contracts with the remainder cent (965.745 → 965.75), LEAPS 321.91.
      expect(await pockets(p1.rev)).toEqual({ cash: '75000.00', contracts: '965.75', leaps: '321.91' });
      // COM: (1,000.01 + 300.00 − 300.00) × 50 % = 500.005 → 500.00 (rounded down); 60/40.
      expect(await pockets(p1.com)).toEqual({ cash: '80500.01', contracts: '300.00', leaps: '200.00' });
      expect(await pockets(unit.com)).toEqual({ cash: '10000.00', contracts: '375.00', leaps: '125.00' });
      // Capped at the available cash, 394.25: 295.69 / 98.56.
      expect(await pockets(p2.rev)).toEqual({ cash: '20.75', contracts: '295.69', leaps: '98.56' });
      expect({
        p1gen: await pockets(p1.gen),
        unitGen: await pockets(unit.gen),
        p2com: await pockets(p2.com),
        p3rev: await pockets(p3.rev),
        p3com: await pockets(p3.com),
      }).toEqual(before);

      const { rows } = await t.db.query(
        `SELECT r.account_id, r.quarter, r.amount::text, t.kind, t.memo, t.actor_id
           FROM reinvestments r JOIN transactions t ON t.id = r.transaction_id ORDER BY r.amount`,
      );
      const admin = (await t.db.query(`SELECT id FROM users WHERE role = 'admin' LIMIT 1`)).rows[0].id;
      const row = (accountId: string, amount: string) => ({
        account_id: accountId,
        quarter: '2026-Q4',
        amount,
        kind: 'REINVESTMENT',
        memo: 'quarterly reinvestment 2026-Q4',
        actor_id: admin,
      });
      expect(rows).toHaveLength(4);
      expect(rows).toEqual(
        expect.arrayContaining([
          row(p2.rev, '39425'),
          row(p1.com, '50000'),
          row(unit.com, '50000'),
          row(p1.rev, '128766'),
        ]),
      );
    });

    it('reinvests nothing more when the quarter runs again, or twice at once', async () => {
      setNow('2027-01-01T03:00:00Z'); // still 31 December in New York
      const before = await snapshot(t.db);
      const again = { quarter: '2026-Q4', accounts: 6, reinvested: 0, skipped: 2, alreadyDone: 4, failed: 0 };
      expect(await run()).toMatchObject(again);
      const [a, b] = await Promise.all([run('2026-Q4'), run('2026-Q4')]);
      expect([a, b]).toEqual([expect.objectContaining(again), expect.objectContaining(again)]);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('counts only the new income next quarter, once however many runs race', async () => {
      await move(p1.rev, 'premiums', '400.00');
      await move(p2.com, 'fees', '0.99'); // P2 COM: 99.00 now, still below the minimum
      setNow('2027-03-31T21:30:00Z');
      const reports = await Promise.all([run(), run(), run()]);
      expect(reports.map((r) => r.quarter)).toEqual(['2027-Q1', '2027-Q1', '2027-Q1']);
      expect(reports.reduce((n, r) => n + r.reinvested, 0)).toBe(1);
      expect(reports.reduce((n, r) => n + r.alreadyDone, 0)).toBe(2);
      expect(reports.every((r) => r.failed === 0 && r.accounts === 6)).toBe(true);
      expect(await pockets(p1.rev)).toEqual({ cash: '75000.00', contracts: '1265.75', leaps: '421.91' });
      const { rows } = await t.db.query(`SELECT account_id, amount::text FROM reinvestments WHERE quarter = '2027-Q1'`);
      expect(rows).toEqual([{ account_id: p1.rev, amount: '40000' }]);
    });

    it('runs a past quarter that was missed, and refuses bad or future quarters', async () => {
      setNow('2027-03-31T21:30:00Z');
      expect(await run('2026-Q3')).toMatchObject({ quarter: '2026-Q3', reinvested: 0, alreadyDone: 0 });
      await expectRefused(() => startRun({ quarter: '2027-Q2' }), 422, 'QUARTER_NOT_STARTED');
      for (const quarter of ['2026-Q5', '2026Q1', 2026, null]) {
        const res = await expectRefused(() => startRun({ quarter }), 400, 'VALIDATION_FAILED');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['quarter']);
      }
      await expectRefused(() => startRun({ extra: 1 }), 400, 'VALIDATION_FAILED');
    });

    it.each([
      ['a manager', () => manager.key],
      ['an operator', () => operator.key],
      ['an auditor', () => auditor.key],
    ])('lets only admins run it: %s gets 403', async (_name, key) => {
      await expectRefused(() => startRun({}, key()), 403, 'FORBIDDEN');
    });
  });

  describe('POST /v1/accounts/:id/reinvestments', () => {
    let p: OpenedPortfolio;
    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, { name: 'Manual', initialCapital: '100000.00' });
      await grant(t, manager.key, p.id, operator.id, 'operator');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
    });

    it('reinvests the net income since the last reinvestment when no amount is given', async () => {
      await move(p.rev, 'premiums', '250.00');
      const before = await pockets(p.rev);
      const res = await reinvest(p.rev).expect(201);
      expect(res.body).toMatchObject({
        kind: 'REINVESTMENT',
        portfolioId: p.id,
        accountId: p.rev,
        amount: '250.00',
        contracts: '187.50',
        leaps: '62.50',
        quarter: null,
        postings: [
          { accountId: p.rev, ledger: 'cash', amount: '-250.00' },
          { accountId: p.rev, ledger: 'contracts', amount: '187.50' },
          { accountId: p.rev, ledger: 'leaps', amount: '62.50' },
        ],
      });
      expect(await pockets(p.rev)).toEqual({ cash: '30000.00', contracts: '187.50', leaps: '62.50' });
      expect(before.cash).toBe('30250.00');
      const stored = await t.http.get(`/v1/transactions/${res.body.id}`).set(bearer(manager.key)).expect(200);
      const { accountId: _a, amount: _m, contracts: _c, leaps: _l, quarter: _q, ...transaction } = res.body;
      expect(stored.body).toEqual(transaction);
      const { rows } = await t.db.query(
        'SELECT account_id, quarter, amount::text FROM reinvestments WHERE transaction_id = $1',
        [res.body.id],
      );
      expect(rows).toEqual([{ account_id: p.rev, quarter: null, amount: '25000' }]);

      // That income is reinvested: nothing is left until more comes in.
      const refused = await expectRefused(() => reinvest(p.rev), 422, 'NOTHING_TO_REINVEST');
      expect(refused.body).toMatchObject({ reason: 'NO_INCOME' });
    });

    it('refuses a rule amount below the minimum, and honours a lower minimum', async () => {
      await move(p.rev, 'premiums', '99.99');
      const refused = await expectRefused(() => reinvest(p.rev), 422, 'NOTHING_TO_REINVEST');
      expect(refused.body).toMatchObject({ reason: 'BELOW_MINIMUM', amount: '99.99', minReinvestment: '100.00' });
      await configure(p.rev, { minReinvestment: '0.00' });
      expect((await reinvest(p.rev).expect(201)).body).toMatchObject({ amount: '99.99', contracts: '75.00' });
      await configure(p.rev, { minReinvestment: '100.00' });
    });

    it('reinvests a given amount, which starts the next income window', async () => {
      await move(p.com, 'premiums', '50.00');
      const res = await reinvest(p.com, { amount: '1000.00' }, operator.key).expect(201);
      expect(res.body).toMatchObject({ amount: '1000.00', contracts: '750.00', leaps: '250.00', quarter: null });
      expect(await pockets(p.com)).toEqual({ cash: '29050.00', contracts: '750.00', leaps: '250.00' });
      await expectRefused(() => reinvest(p.com), 422, 'NOTHING_TO_REINVEST');
    });

    it('refuses an amount above the available cash with INSUFFICIENT_FUNDS', async () => {
      const { available } = await account(p.com);
      const cents = BigInt(available.replace('.', '')) + 1n;
      const amount = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
      await expectRefused(() => reinvest(p.com, { amount }), 422, 'INSUFFICIENT_FUNDS');
      await reinvest(p.com, { amount: available }).expect(201);
      expect(await account(p.com)).toMatchObject({ available: '0.00' });
    });

    it('refuses a GEN account', async () => {
      await move(p.gen, 'premiums', '500.00');
      await expectRefused(() => reinvest(p.gen), 422, 'REINVESTMENT_NOT_ALLOWED');
      await expectRefused(() => reinvest(p.gen, { amount: '10.00' }), 422, 'REINVESTMENT_NOT_ALLOWED');
    });

    it('refuses a suspended account', async () => {
      const q = await openPortfolio(t, manager.key, { name: 'Suspended manual', initialCapital: '10000.00' });
      await configure(q.rev, { status: 'SUSPENDED' });
      await expectRefused(() => reinvest(q.rev, { amount: '10.00' }), 422, 'ACCOUNT_NOT_ACTIVE');
    });

    it.each([
      ['a viewer', () => viewer.key, 403, 'FORBIDDEN'],
      ['an auditor', () => auditor.key, 403, 'FORBIDDEN'],
      ['another manager', () => otherManager.key, 404, 'ACCOUNT_NOT_FOUND'],
    ])('refuses %s', async (_name, key, status, code) => {
      await move(p.rev, 'premiums', '300.00');
      await expectRefused(() => reinvest(p.rev, {}, key()), status, code);
      await expectRefused(() => reinvest(p.rev, { amount: '10.00' }, key()), status, code);
    });

    it('answers 404 for an unknown account', async () => {
      await expectRefused(() => reinvest(randomUUID(), {}, t.adminKey), 404, 'ACCOUNT_NOT_FOUND');
    });

    it.each([['0.00'], ['-1.00'], ['1.234'], ['1000000000000.01'], [10], [null], ['']])(
      'refuses the amount %p with a 400 naming it',
      async (amount) => {
        const res = await expectRefused(() => reinvest(p.rev, { amount }), 400, 'VALIDATION_FAILED');
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['amount']);
      },
    );

    it('replays an Idempotency-Key with the first result, and refuses it for another body', async () => {
      const headers = { 'Idempotency-Key': `reinvest-${randomUUID()}` };
      const first = await reinvest(p.rev, { amount: '10.00' }, manager.key, headers).expect(201);
      const before = await snapshot(t.db);
      const again = await reinvest(p.rev, { amount: '10.00' }, manager.key, headers).expect(201);
      expect(again.body).toEqual(first.body);
      expect(await snapshot(t.db)).toEqual(before);
      await expectRefused(
        () => reinvest(p.rev, { amount: '11.00' }, manager.key, headers),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      );
      await expectRefused(() => close(p.rev, {}, manager.key, headers), 409, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('replays a rule reinvestment even when the rule would now give nothing, and once under a race', async () => {
      await move(p.rev, 'premiums', '200.00');
      const headers = { 'Idempotency-Key': `rule-${randomUUID()}` };
      const all = await Promise.all([1, 2, 3, 4].map(() => reinvest(p.rev, {}, manager.key, headers)));
      expect(all.map((r) => r.status)).toEqual([201, 201, 201, 201]);
      expect(new Set(all.map((r) => r.body.id)).size).toBe(1);
      expect(all[0].body).toMatchObject({ amount: '200.00' });
      const again = await reinvest(p.rev, {}, manager.key, headers).expect(201);
      expect(again.body).toEqual(all[0].body);
      const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM reinvestments WHERE transaction_id = $1`, [
        all[0].body.id,
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('reinvests once per income when requests race without a key', async () => {
      await move(p.rev, 'premiums', '300.00');
      const all = await Promise.all([1, 2, 3].map(() => reinvest(p.rev)));
      expect(all.map((r) => r.status).sort()).toEqual([201, 422, 422]);
      expect(all.find((r) => r.status === 201)!.body.amount).toBe('300.00');
    });
  });

  describe('POST /v1/accounts/:id/positions/close', () => {
    let p: OpenedPortfolio;
    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, { name: 'Close', initialCapital: '100000.00' });
      await grant(t, manager.key, p.id, operator.id, 'operator');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      await reinvest(p.com, { amount: '4000.00' }).expect(201); // 3,000.00 contracts, 1,000.00 LEAPS
    });

    it('closes the amounts given', async () => {
      const res = await close(p.com, { contracts: '100.00' }, operator.key).expect(201);
      expect(res.body).toMatchObject({
        kind: 'POSITION_CLOSE',
        accountId: p.com,
        amount: '100.00',
        contracts: '100.00',
        leaps: '0.00',
        postings: [
          { accountId: p.com, ledger: 'contracts', amount: '-100.00' },
          { accountId: p.com, ledger: 'cash', amount: '100.00' },
        ],
      });
      expect(await pockets(p.com)).toEqual({ cash: '26100.00', contracts: '2900.00', leaps: '1000.00' });
      await close(p.com, { contracts: '0.01', leaps: '0.02' }).expect(201);
      expect(await pockets(p.com)).toEqual({ cash: '26100.03', contracts: '2899.99', leaps: '999.98' });
    });

    it('refuses to close more than is held', async () => {
      await expectRefused(() => close(p.com, { leaps: '999.99' }), 422, 'INSUFFICIENT_FUNDS');
    });

    it('closes everything when no amount is given, then has nothing to close', async () => {
      const res = await close(p.com).expect(201);
      expect(res.body).toMatchObject({ amount: '3899.97', contracts: '2899.99', leaps: '999.98' });
      expect(await pockets(p.com)).toEqual({ cash: '30000.00', contracts: '0.00', leaps: '0.00' });
      await expectRefused(() => close(p.com), 422, 'NOTHING_TO_CLOSE');
      await expectRefused(() => close(p.gen), 422, 'NOTHING_TO_CLOSE');
    });

    it('replays an Idempotency-Key', async () => {
      await reinvest(p.rev, { amount: '100.00' }).expect(201);
      const headers = { 'Idempotency-Key': `close-${randomUUID()}` };
      const first = await close(p.rev, {}, manager.key, headers).expect(201);
      expect(first.body).toMatchObject({ amount: '100.00', contracts: '75.00', leaps: '25.00' });
      const before = await snapshot(t.db);
      expect((await close(p.rev, {}, manager.key, headers).expect(201)).body).toEqual(first.body);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it.each([
      ['a viewer', () => viewer.key, 403, 'FORBIDDEN'],
      ['an auditor', () => auditor.key, 403, 'FORBIDDEN'],
      ['another manager', () => otherManager.key, 404, 'ACCOUNT_NOT_FOUND'],
    ])('refuses %s', async (_name, key, status, code) => {
      await reinvest(p.com, { amount: '100.00' }).expect(201);
      await expectRefused(() => close(p.com, {}, key()), status, code);
    });

    it.each([
      [{ contracts: '0.00' }, 'contracts'],
      [{ leaps: '-5.00' }, 'leaps'],
      [{ contracts: 5 }, 'contracts'],
      [{ leaps: null }, 'leaps'],
      [{ cash: '1.00' }, 'cash'],
    ])('refuses %p with a 400 naming the field', async (body, field) => {
      const res = await expectRefused(() => close(p.com, body), 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });
  });
});
