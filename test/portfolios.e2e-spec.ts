import type { Response } from 'supertest';
import {
  allPages,
  bearer,
  createUser,
  grant,
  ledgerViolations,
  openPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';

/**
 * POST /v1/portfolios and the portfolio reads (docs/domain.md §2, §3, §4, §10): the allocation templates,
 * the opening DEPOSIT, validation, roles, idempotency and who sees which portfolio.
 */
describe('portfolios (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('portfolios');
    // The harness ends this pool without waiting for its sockets to close, so the DROP DATABASE ... WITH (FORCE)
    // in t.close() can terminate them and the pool re-emits that as an unhandled 'error' that fails the file.
    t.db.on('error', () => undefined);
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());

  const create = (key: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.http.post('/v1/portfolios').set(bearer(key)).set(headers).send(body);

  const expectProblem = (res: Response, status: number, code: string) =>
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });

  /** Everything a refused request must leave alone, portfolios and grants included. */
  async function state() {
    const counts = await t.db.query(
      'SELECT (SELECT count(*)::int FROM portfolios) AS portfolios, (SELECT count(*)::int FROM portfolio_grants) AS grants',
    );
    return { ...(await snapshot(t.db)), ...counts.rows[0] };
  }

  async function portfolioIdsOwnedBy(ownerId: string): Promise<string[]> {
    const rows = await t.db.query('SELECT id FROM portfolios WHERE owner_id = $1 ORDER BY created_at, id', [ownerId]);
    return rows.rows.map((r) => r.id);
  }

  /** The opening transactions of a portfolio with their postings, as stored. */
  async function storedTransactions(portfolioId: string) {
    const rows = await t.db.query(
      `SELECT t.kind, json_agg(json_build_object('accountId', p.account_id, 'ledger', p.ledger, 'amount', p.amount::text)
                                ORDER BY p.idx) AS postings
         FROM transactions t JOIN postings p ON p.tx_seq = t.seq
        WHERE t.portfolio_id = $1 GROUP BY t.seq, t.kind ORDER BY t.seq`,
      [portfolioId],
    );
    return rows.rows as { kind: string; postings: { accountId: string | null; ledger: string; amount: string }[] }[];
  }

  describe('POST /v1/portfolios: templates and the opening deposit', () => {
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    /** [type, cash, buffer, available] per root account, GEN first. */
    type Expected = [string, string, string, string][];
    interface TemplateCase {
      label: string;
      body: Record<string, unknown>;
      template: string;
      allocation: { gen: number; rev: number; com: number; bufferPct: number };
      accounts: Expected;
    }

    it.each<TemplateCase>([
      {
        label: 'no template means moderate 40/30/30 with a 5 % buffer',
        body: { initialCapital: '250000.00' },
        template: 'moderate',
        allocation: { gen: 40, rev: 30, com: 30, bufferPct: 5 },
        accounts: [
          ['GEN', '100000.00', '5000.00', '95000.00'],
          ['REV', '75000.00', '3750.00', '71250.00'],
          ['COM', '75000.00', '3750.00', '71250.00'],
        ],
      },
      {
        label: 'moderate: the remainder cent goes to GEN and its buffer rounds up',
        body: { initialCapital: '250000.01', template: 'moderate' },
        template: 'moderate',
        allocation: { gen: 40, rev: 30, com: 30, bufferPct: 5 },
        accounts: [
          ['GEN', '100000.01', '5000.01', '95000.00'],
          ['REV', '75000.00', '3750.00', '71250.00'],
          ['COM', '75000.00', '3750.00', '71250.00'],
        ],
      },
      {
        label: 'conservative 30/50/20 with a 7 % buffer',
        body: { initialCapital: '100.01', template: 'conservative' },
        template: 'conservative',
        allocation: { gen: 30, rev: 50, com: 20, bufferPct: 7 },
        accounts: [
          ['GEN', '30.01', '2.11', '27.90'],
          ['REV', '50.00', '3.50', '46.50'],
          ['COM', '20.00', '1.40', '18.60'],
        ],
      },
      {
        label: 'conservative on five cents: every share rounds down but GEN, buffers round up',
        body: { initialCapital: '0.05', template: 'conservative' },
        template: 'conservative',
        allocation: { gen: 30, rev: 50, com: 20, bufferPct: 7 },
        accounts: [
          ['GEN', '0.02', '0.01', '0.01'],
          ['REV', '0.02', '0.01', '0.01'],
          ['COM', '0.01', '0.01', '0.00'],
        ],
      },
      {
        label: 'aggressive 50/20/30 with a 3 % buffer',
        body: { initialCapital: '1000.03', template: 'aggressive' },
        template: 'aggressive',
        allocation: { gen: 50, rev: 20, com: 30, bufferPct: 3 },
        accounts: [
          ['GEN', '500.03', '15.01', '485.02'],
          ['REV', '200.00', '6.00', '194.00'],
          ['COM', '300.00', '9.00', '291.00'],
        ],
      },
      {
        label: 'custom 34/33/33 with a 12.5 % buffer',
        body: {
          initialCapital: '10.01',
          template: 'custom',
          allocation: { gen: 34, rev: 33, com: 33, bufferPct: 12.5 },
        },
        template: 'custom',
        allocation: { gen: 34, rev: 33, com: 33, bufferPct: 12.5 },
        accounts: [
          ['GEN', '3.41', '0.43', '2.98'],
          ['REV', '3.30', '0.42', '2.88'],
          ['COM', '3.30', '0.42', '2.88'],
        ],
      },
      {
        label: 'custom with no buffer at all',
        body: { initialCapital: '500.00', template: 'custom', allocation: { gen: 20, rev: 40, com: 40, bufferPct: 0 } },
        template: 'custom',
        allocation: { gen: 20, rev: 40, com: 40, bufferPct: 0 },
        accounts: [
          ['GEN', '100.00', '0.00', '100.00'],
          ['REV', '200.00', '0.00', '200.00'],
          ['COM', '200.00', '0.00', '200.00'],
        ],
      },
      {
        label: 'custom with the largest buffer, 20 %',
        body: {
          initialCapital: '1000.00',
          template: 'custom',
          allocation: { gen: 60, rev: 25, com: 15, bufferPct: 20 },
        },
        template: 'custom',
        allocation: { gen: 60, rev: 25, com: 15, bufferPct: 20 },
        accounts: [
          ['GEN', '600.00', '120.00', '480.00'],
          ['REV', '250.00', '50.00', '200.00'],
          ['COM', '150.00', '30.00', '120.00'],
        ],
      },
    ])('$label', async ({ body, template, allocation, accounts }) => {
      const res = await create(manager.key, { name: 'Template', ...body });
      expect(res.status).toBe(201);
      const capital = body.initialCapital as string;

      expect(res.body).toMatchObject({
        name: 'Template',
        ownerId: manager.id,
        template,
        allocation,
        forkThreshold: '50000.00',
        mergeThreshold: '500000.00',
        mergeMode: 'confirm',
        totals: {
          GEN: { accounts: 1, cash: accounts[0][1], contracts: '0.00', leaps: '0.00', total: accounts[0][1] },
          REV: { accounts: 1, cash: accounts[1][1], contracts: '0.00', leaps: '0.00', total: accounts[1][1] },
          COM: { accounts: 1, cash: accounts[2][1], contracts: '0.00', leaps: '0.00', total: accounts[2][1] },
          total: capital,
        },
      });
      expect(res.body.accounts.map((a: any) => [a.type, a.cash, a.buffer, a.available])).toEqual(accounts);
      for (const [i, a] of (res.body.accounts as any[]).entries()) {
        expect(a).toMatchObject({
          portfolioId: res.body.id,
          status: 'ACTIVE',
          unitId: null,
          parentAccountId: null,
          // The GEN share is the GEN baseline; REV and COM have none.
          baseline: i === 0 ? accounts[0][1] : '0.00',
          contracts: '0.00',
          leaps: '0.00',
          total: accounts[i][1],
          config: { bufferPct: allocation.bufferPct },
        });
      }

      // Stored: the portfolio, its three accounts in GEN, REV, COM order, one balanced DEPOSIT.
      const portfolio = await t.db.query(
        `SELECT owner_id, template, gen_pct, rev_pct, com_pct, buffer_bp, fork_threshold::text, merge_threshold::text,
                merge_mode FROM portfolios WHERE id = $1`,
        [res.body.id],
      );
      expect(portfolio.rows).toEqual([
        {
          owner_id: manager.id,
          template,
          gen_pct: allocation.gen,
          rev_pct: allocation.rev,
          com_pct: allocation.com,
          buffer_bp: Math.round(allocation.bufferPct * 100),
          fork_threshold: '5000000',
          merge_threshold: '50000000',
          merge_mode: 'confirm',
        },
      ]);
      const stored = await t.db.query(
        `SELECT id, type, status, baseline::text, cash::text, contracts::text, leaps::text, buffer_bp FROM accounts
          WHERE portfolio_id = $1 ORDER BY array_position(ARRAY['GEN', 'REV', 'COM'], type)`,
        [res.body.id],
      );
      const cents = (money: string) => money.replace('.', '').replace(/^0+(?=\d)/, '');
      expect(stored.rows).toEqual(
        accounts.map(([type, cash], i) => ({
          id: res.body.accounts[i].id,
          type,
          status: 'ACTIVE',
          baseline: type === 'GEN' ? cents(cash) : '0',
          cash: cents(cash),
          contracts: '0',
          leaps: '0',
          buffer_bp: Math.round(allocation.bufferPct * 100),
        })),
      );
      const [gen, rev, com] = res.body.accounts.map((a: { id: string }) => a.id);
      expect(await storedTransactions(res.body.id)).toEqual([
        {
          kind: 'DEPOSIT',
          postings: [
            { accountId: null, ledger: 'external:bank', amount: `-${cents(capital)}` },
            { accountId: gen, ledger: 'cash', amount: cents(accounts[0][1]) },
            { accountId: rev, ledger: 'cash', amount: cents(accounts[1][1]) },
            { accountId: com, ledger: 'cash', amount: cents(accounts[2][1]) },
          ],
        },
      ]);
    });

    it('gives each root account the default configuration of its type', async () => {
      const p = await openPortfolio(t, manager.key);
      expect(p.body.accounts.map((a: any) => [a.type, a.config])).toEqual([
        [
          'GEN',
          {
            weeklyTargetPct: 1.5,
            deltaRange: { min: 40, max: 50 },
            entryDays: ['THURSDAY'],
            positionSizingPct: 90,
            contractsPct: 75,
            leapsPct: 25,
            bufferPct: 5,
            maxDrawdownPct: 20,
            reinvestRatePct: 100,
            minReinvestment: '100.00',
          },
        ],
        [
          'REV',
          {
            weeklyTargetPct: 1,
            deltaRange: { min: 30, max: 40 },
            entryDays: ['MONDAY', 'TUESDAY', 'WEDNESDAY'],
            positionSizingPct: 90,
            contractsPct: 75,
            leapsPct: 25,
            bufferPct: 5,
            maxDrawdownPct: 15,
            reinvestRatePct: 100,
            minReinvestment: '100.00',
          },
        ],
        [
          'COM',
          {
            weeklyTargetPct: 0.5,
            deltaRange: { min: 20, max: 30 },
            entryDays: ['MONDAY'],
            positionSizingPct: 90,
            contractsPct: 75,
            leapsPct: 25,
            bufferPct: 5,
            maxDrawdownPct: 10,
            reinvestRatePct: 100,
            minReinvestment: '100.00',
          },
        ],
      ]);
    });

    it('keeps explicit thresholds and merge mode', async () => {
      const res = await create(manager.key, {
        name: 'Thresholds',
        initialCapital: '1000.00',
        forkThreshold: '25000.50',
        mergeThreshold: '25000.51',
        mergeMode: 'auto',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ forkThreshold: '25000.50', mergeThreshold: '25000.51', mergeMode: 'auto' });
      const row = await t.db.query(
        'SELECT fork_threshold::text, merge_threshold::text, merge_mode FROM portfolios WHERE id = $1',
        [res.body.id],
      );
      expect(row.rows).toEqual([{ fork_threshold: '2500050', merge_threshold: '2500051', merge_mode: 'auto' }]);
    });

    it('accepts the largest amount a request may carry, 1000000000000.00', async () => {
      const res = await create(manager.key, { name: 'Largest', initialCapital: '1000000000000.00' });
      expect(res.status).toBe(201);
      expect(res.body.totals.total).toBe('1000000000000.00');
      expect(res.body.accounts.map((a: any) => a.cash)).toEqual([
        '400000000000.00',
        '300000000000.00',
        '300000000000.00',
      ]);
    });

    it('trims the name and writes one audit entry for the creation', async () => {
      const before = await t.db.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'portfolio.create'");
      const p = await openPortfolio(t, manager.key, { name: '  Family  ', initialCapital: '100.00' });
      expect(p.body.name).toBe('Family');
      const audit = await t.db.query(
        "SELECT actor_id, entity_id, portfolio_id FROM audit_log WHERE action = 'portfolio.create' AND portfolio_id = $1",
        [p.id],
      );
      expect(audit.rows).toEqual([{ actor_id: manager.id, entity_id: p.id, portfolio_id: p.id }]);
      const after = await t.db.query("SELECT count(*)::int AS n FROM audit_log WHERE action = 'portfolio.create'");
      expect(after.rows[0].n).toBe(before.rows[0].n + 1);
    });
  });

  describe('POST /v1/portfolios: refusals', () => {
    const valid = { name: 'Refused', initialCapital: '1000.00' };
    const custom = (allocation: Record<string, unknown>) => ({ ...valid, template: 'custom', allocation });
    const ok = { gen: 40, rev: 30, com: 30, bufferPct: 5 };

    it.each<[string, Record<string, unknown>, string]>([
      ['custom without an allocation', { ...valid, template: 'custom' }, 'allocation'],
      ['an allocation with template moderate', { ...valid, template: 'moderate', allocation: ok }, 'allocation'],
      [
        'an allocation with template conservative',
        { ...valid, template: 'conservative', allocation: ok },
        'allocation',
      ],
      ['an allocation with template aggressive', { ...valid, template: 'aggressive', allocation: ok }, 'allocation'],
      ['percentages summing to 90', custom({ ...ok, com: 20 }), 'allocation'],
      ['percentages summing to 110', custom({ ...ok, com: 40 }), 'allocation'],
      ['a non-integer percentage', custom({ gen: 40.5, rev: 29.5, com: 30, bufferPct: 5 }), 'allocation.gen'],
      ['a negative percentage', custom({ gen: 110, rev: -10, com: 0, bufferPct: 5 }), 'allocation.rev'],
      ['a percentage given as a string', custom({ ...ok, com: '30' }), 'allocation.com'],
      ['a missing percentage', custom({ gen: 40, rev: 60, bufferPct: 5 }), 'allocation.com'],
      ['bufferPct above 20', custom({ ...ok, bufferPct: 20.01 }), 'allocation.bufferPct'],
      ['bufferPct 25', custom({ ...ok, bufferPct: 25 }), 'allocation.bufferPct'],
      ['bufferPct with three decimals', custom({ ...ok, bufferPct: 5.125 }), 'allocation.bufferPct'],
      ['a negative bufferPct', custom({ ...ok, bufferPct: -1 }), 'allocation.bufferPct'],
      ['an unknown field inside the allocation', custom({ ...ok, extra: 1 }), 'allocation.extra'],
      [
        'mergeThreshold equal to forkThreshold',
        { ...valid, forkThreshold: '1000.00', mergeThreshold: '1000.00' },
        'mergeThreshold',
      ],
      [
        'mergeThreshold below forkThreshold',
        { ...valid, forkThreshold: '1000.00', mergeThreshold: '999.99' },
        'mergeThreshold',
      ],
      ['mergeThreshold below the default forkThreshold', { ...valid, mergeThreshold: '50000.00' }, 'mergeThreshold'],
      ['forkThreshold above the default mergeThreshold', { ...valid, forkThreshold: '500000.00' }, 'mergeThreshold'],
      ['forkThreshold "0.00"', { ...valid, forkThreshold: '0.00' }, 'forkThreshold'],
      ['a negative forkThreshold', { ...valid, forkThreshold: '-1.00' }, 'forkThreshold'],
      ['forkThreshold as a JSON number', { ...valid, forkThreshold: 50000 }, 'forkThreshold'],
      ['mergeMode "manual"', { ...valid, mergeMode: 'manual' }, 'mergeMode'],
      ['mergeMode "AUTO"', { ...valid, mergeMode: 'AUTO' }, 'mergeMode'],
      ['an unknown template', { ...valid, template: 'balanced' }, 'template'],
      ['initialCapital as a JSON number', { ...valid, initialCapital: 1000 }, 'initialCapital'],
      ['initialCapital "0"', { ...valid, initialCapital: '0' }, 'initialCapital'],
      ['initialCapital "0.00"', { ...valid, initialCapital: '0.00' }, 'initialCapital'],
      ['a negative initialCapital', { ...valid, initialCapital: '-100.00' }, 'initialCapital'],
      ['initialCapital with three decimals', { ...valid, initialCapital: '100.001' }, 'initialCapital'],
      ['initialCapital in exponent form', { ...valid, initialCapital: '1e5' }, 'initialCapital'],
      ['initialCapital with a thousands separator', { ...valid, initialCapital: '1,000.00' }, 'initialCapital'],
      ['initialCapital with spaces', { ...valid, initialCapital: ' 100.00' }, 'initialCapital'],
      ['initialCapital with a leading zero', { ...valid, initialCapital: '01.00' }, 'initialCapital'],
      ['initialCapital above 1000000000000.00', { ...valid, initialCapital: '1000000000000.01' }, 'initialCapital'],
      ['an empty initialCapital', { ...valid, initialCapital: '' }, 'initialCapital'],
      ['no initialCapital', { name: 'Refused' }, 'initialCapital'],
      ['an unknown field', { ...valid, color: 'blue' }, 'color'],
      [
        'an ownerId (not the caller’s to choose)',
        { ...valid, ownerId: '00000000-0000-4000-8000-000000000000' },
        'ownerId',
      ],
      ['a blank name', { ...valid, name: '   ' }, 'name'],
      ['an empty name', { ...valid, name: '' }, 'name'],
      ['no name', { initialCapital: '1000.00' }, 'name'],
      ['a name longer than 200 characters', { ...valid, name: 'x'.repeat(201) }, 'name'],
    ])('refuses %s with a 400 naming the field, and creates nothing', async (_, body, field) => {
      const before = await state();
      const res = await create(manager.key, body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await state()).toEqual(before);
    });
  });

  describe('POST /v1/portfolios: roles', () => {
    it.each(['operator', 'viewer', 'auditor'])('refuses a %s with 403 and creates nothing', async (role) => {
      const user = await createUser(t, role);
      const before = await state();
      const res = await create(user.key, { name: 'Not yours', initialCapital: '1000.00' });
      expectProblem(res, 403, 'FORBIDDEN');
      expect(await state()).toEqual(before);
      expect(await portfolioIdsOwnedBy(user.id)).toEqual([]);
    });

    it.each(['manager', 'admin'])('lets a %s open a portfolio they own', async (role) => {
      const user = await createUser(t, role);
      const res = await create(user.key, { name: `${role}'s`, initialCapital: '1000.00' });
      expect(res.status).toBe(201);
      expect(res.body.ownerId).toBe(user.id);
      expect(await portfolioIdsOwnedBy(user.id)).toEqual([res.body.id]);
      expect(await ledgerViolations(t.db)).toEqual([]);
    });
  });

  describe('POST /v1/portfolios: Idempotency-Key', () => {
    const body = { name: 'Idempotent', initialCapital: '2500.00', template: 'aggressive' };
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    async function storedFor(ownerId: string) {
      const rows = await t.db.query(
        `SELECT p.id, (SELECT count(*)::int FROM accounts a WHERE a.portfolio_id = p.id) AS accounts,
                (SELECT count(*)::int FROM transactions x WHERE x.portfolio_id = p.id) AS transactions
           FROM portfolios p WHERE p.owner_id = $1`,
        [ownerId],
      );
      return rows.rows;
    }

    it('answers a repeated request with the first portfolio and creates only one', async () => {
      const owner = await createUser(t, 'manager');
      const headers = { 'Idempotency-Key': 'open-once' };
      const first = await create(owner.key, body, headers);
      expect(first.status).toBe(201);
      const before = await state();
      const second = await create(owner.key, body, headers);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(await state()).toEqual(before);
      expect(await storedFor(owner.id)).toEqual([{ id: first.body.id, accounts: 3, transactions: 1 }]);
    });

    it('refuses the same key with a different body (409) and changes nothing', async () => {
      const owner = await createUser(t, 'manager');
      const headers = { 'Idempotency-Key': 'open-differently' };
      const first = await create(owner.key, body, headers);
      expect(first.status).toBe(201);
      const before = await state();
      const res = await create(owner.key, { ...body, initialCapital: '2500.01' }, headers);
      expectProblem(res, 409, 'IDEMPOTENCY_KEY_REUSED');
      expect(await state()).toEqual(before);
      expect(await storedFor(owner.id)).toEqual([{ id: first.body.id, accounts: 3, transactions: 1 }]);
    });

    it('opens exactly one portfolio when the same request races five times', async () => {
      const owner = await createUser(t, 'manager');
      const headers = { 'Idempotency-Key': 'open-racing' };
      const answers = await Promise.all(Array.from({ length: 5 }, () => create(owner.key, body, headers)));
      expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      const ids = new Set(answers.map((r) => r.body.id));
      expect(ids.size).toBe(1);
      expect(await storedFor(owner.id)).toEqual([{ id: [...ids][0], accounts: 3, transactions: 1 }]);
      const keys = await t.db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE owner_id = $1', [owner.id]);
      expect(keys.rows[0].n).toBe(1);
    });

    it('scopes keys to the caller: another user with the same key gets their own portfolio', async () => {
      const [a, b] = [await createUser(t, 'manager'), await createUser(t, 'manager')];
      const headers = { 'Idempotency-Key': 'shared-key' };
      const first = await create(a.key, body, headers);
      const second = await create(b.key, body, headers);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body.id).not.toBe(first.body.id);
      expect(await portfolioIdsOwnedBy(a.id)).toEqual([first.body.id]);
      expect(await portfolioIdsOwnedBy(b.id)).toEqual([second.body.id]);
    });

    it('refuses a malformed Idempotency-Key with a 400 and creates nothing', async () => {
      const before = await state();
      const res = await create(manager.key, body, { 'Idempotency-Key': 'x'.repeat(256) });
      expectProblem(res, 400, 'INVALID_IDEMPOTENCY_KEY');
      expect(await state()).toEqual(before);
    });
  });

  describe('GET /v1/portfolios', () => {
    let ownerA: TestUser;
    let ownerB: TestUser;
    let operator: TestUser;
    let viewer: TestUser;
    let stranger: TestUser;
    let auditor: TestUser;
    let a1: string;
    let a2: string;
    let b1: string;

    beforeAll(async () => {
      [ownerA, ownerB, operator, viewer, stranger, auditor] = await Promise.all([
        createUser(t, 'manager', 'owner A'),
        createUser(t, 'manager', 'owner B'),
        createUser(t, 'operator'),
        createUser(t, 'viewer'),
        createUser(t, 'operator', 'ungranted operator'),
        createUser(t, 'auditor'),
      ]);
      a1 = (await openPortfolio(t, ownerA.key, { name: 'A1', initialCapital: '1000.00' })).id;
      a2 = (await openPortfolio(t, ownerA.key, { name: 'A2', initialCapital: '2000.00' })).id;
      b1 = (await openPortfolio(t, ownerB.key, { name: 'B1', initialCapital: '3000.00' })).id;
      await grant(t, ownerA.key, a1, operator.id, 'operator');
      await grant(t, ownerB.key, b1, viewer.id, 'viewer');
    });

    const list = async (key: string) => {
      const res = await t.http.get('/v1/portfolios').set(bearer(key));
      expect(res.status).toBe(200);
      expect(res.body.nextCursor).toBeNull(); // one page holds them
      return res.body.items as any[];
    };

    it('shows a manager only the portfolios they own', async () => {
      expect((await list(ownerA.key)).map((p) => p.id)).toEqual([a1, a2]);
      expect((await list(ownerB.key)).map((p) => p.id)).toEqual([b1]);
    });

    it('shows an operator or a viewer only what they were granted', async () => {
      expect((await list(operator.key)).map((p) => p.id)).toEqual([a1]);
      expect((await list(viewer.key)).map((p) => p.id)).toEqual([b1]);
      expect(await list(stranger.key)).toEqual([]);
    });

    it.each([
      ['admin', () => t.adminKey],
      ['auditor', () => auditor.key],
    ])('shows an %s every portfolio', async (_, key) => {
      const all = await t.db.query('SELECT id FROM portfolios ORDER BY created_at, id');
      const ids = (await allPages(t, key(), '/v1/portfolios')).map((p) => p.id);
      expect(ids).toEqual(all.rows.map((r) => r.id));
      expect(ids).toEqual(expect.arrayContaining([a1, a2, b1]));
    });

    describe('a page at a time', () => {
      let pager: TestUser;
      let opened: string[];
      beforeAll(async () => {
        pager = await createUser(t, 'manager', 'pager');
        opened = [];
        for (let i = 0; i < 7; i++) {
          opened.push((await openPortfolio(t, pager.key, { name: `page ${i}`, initialCapital: '100.00' })).id);
        }
      });
      const page = (key: string, query: Record<string, unknown>) =>
        t.http.get('/v1/portfolios').query(query).set(bearer(key));

      it('walks the list by nextCursor, oldest first, each portfolio once, null after the last page', async () => {
        const first = await page(pager.key, { limit: 3 }).expect(200);
        expect(first.body.items.map((p: any) => p.id)).toEqual(opened.slice(0, 3));
        expect(first.body.nextCursor).toBe(opened[2]);
        const second = await page(pager.key, { limit: 3, cursor: first.body.nextCursor }).expect(200);
        expect(second.body.items.map((p: any) => p.id)).toEqual(opened.slice(3, 6));
        const last = await page(pager.key, { limit: 3, cursor: second.body.nextCursor }).expect(200);
        expect(last.body).toEqual({ items: [expect.objectContaining({ id: opened[6] })], nextCursor: null });
        expect((await allPages(t, pager.key, '/v1/portfolios', 2)).map((p) => p.id)).toEqual(opened);
      });

      it('pages an admin through every portfolio, and a viewer through their grants', async () => {
        const all = (await t.db.query('SELECT id FROM portfolios ORDER BY created_at, id')).rows.map((r) => r.id);
        expect((await allPages(t, t.adminKey, '/v1/portfolios', 4)).map((p) => p.id)).toEqual(all);
        const reader = await createUser(t, 'viewer', 'paged viewer');
        for (const id of [opened[5], opened[1], opened[3]]) await grant(t, pager.key, id, reader.id, 'viewer');
        const granted = await page(reader.key, { limit: 2 }).expect(200);
        expect(granted.body.items.map((p: any) => p.id)).toEqual([opened[1], opened[3]]);
        const rest = await page(reader.key, { limit: 2, cursor: granted.body.nextCursor }).expect(200);
        expect(rest.body).toEqual({ items: [expect.objectContaining({ id: opened[5] })], nextCursor: null });
      });

      it("gives an empty page for a cursor outside the caller's list, telling nothing about it", async () => {
        // ownerA's portfolio as a cursor for the pager, and an id that names nothing.
        for (const cursor of [a1, '00000000-0000-4000-8000-000000000000']) {
          const res = await page(pager.key, { cursor }).expect(200);
          expect(res.body).toEqual({ items: [], nextCursor: null });
        }
      });

      it.each([
        ['limit', { limit: 0 }],
        ['limit', { limit: 501 }],
        ['limit', { limit: 'ten' }],
        ['cursor', { cursor: 'not-a-uuid' }],
        ['cursor', { cursor: '12345' }],
      ])('refuses a bad %s (%j) with 400 naming it', async (field, query) => {
        const res = await page(pager.key, query);
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expect(new Set(res.body.errors.map((e: { field: string }) => e.field))).toEqual(new Set([field]));
      });

      it('gives 100 by default and up to 500', async () => {
        for (let i = 0; i < 95; i++) await openPortfolio(t, pager.key, { name: `bulk ${i}`, initialCapital: '1.00' });
        const byDefault = await page(pager.key, {}).expect(200);
        expect(byDefault.body.items).toHaveLength(100);
        expect(byDefault.body.nextCursor).toBe(byDefault.body.items[99].id);
        const large = await page(pager.key, { limit: 500 }).expect(200);
        expect(large.body.items).toHaveLength(102);
        expect(large.body.nextCursor).toBeNull();
      });
    });

    it('describes each portfolio without totals or accounts', async () => {
      const [first] = await list(ownerB.key);
      expect(first).toEqual({
        id: b1,
        name: 'B1',
        ownerId: ownerB.id,
        template: 'moderate',
        allocation: { gen: 40, rev: 30, com: 30, bufferPct: 5 },
        forkThreshold: '50000.00',
        mergeThreshold: '500000.00',
        mergeMode: 'confirm',
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    });
  });

  describe('GET /v1/portfolios/:id and /accounts', () => {
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    const detail = (key: string, id: string) => t.http.get(`/v1/portfolios/${id}`).set(bearer(key));

    /** Totals by type straight from the accounts table, in the API's format. */
    async function storedTotals(portfolioId: string) {
      const rows = await t.db.query(
        `SELECT type, count(*)::int AS accounts, sum(cash)::text AS cash, sum(contracts)::text AS contracts,
                sum(leaps)::text AS leaps, sum(cash + contracts + leaps)::text AS total
           FROM accounts WHERE portfolio_id = $1 GROUP BY type`,
        [portfolioId],
      );
      const money = (c: string) => `${(BigInt(c) / 100n).toString()}.${(BigInt(c) % 100n).toString().padStart(2, '0')}`;
      const byType = Object.fromEntries(
        rows.rows.map((r) => [
          r.type,
          {
            accounts: r.accounts,
            cash: money(r.cash),
            contracts: money(r.contracts),
            leaps: money(r.leaps),
            total: money(r.total),
          },
        ]),
      );
      const grand = rows.rows.reduce((sum, r) => sum + BigInt(r.total), 0n);
      return { ...byType, total: money(grand.toString()) };
    }

    it('reports totals by account type, and they follow the money', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Totals', initialCapital: '10000.00' });
      const initial = await detail(manager.key, p.id);
      expect(initial.status).toBe(200);
      expect(initial.body.totals).toEqual({
        GEN: { accounts: 1, cash: '4000.00', contracts: '0.00', leaps: '0.00', total: '4000.00' },
        REV: { accounts: 1, cash: '3000.00', contracts: '0.00', leaps: '0.00', total: '3000.00' },
        COM: { accounts: 1, cash: '3000.00', contracts: '0.00', leaps: '0.00', total: '3000.00' },
        total: '10000.00',
      });
      expect(initial.body.totals).toEqual(await storedTotals(p.id));

      await t.http
        .post(`/v1/accounts/${p.rev}/deposits`)
        .set(bearer(manager.key))
        .send({ amount: '1234.56' })
        .expect(201);
      await t.http.post(`/v1/accounts/${p.com}/premiums`).set(bearer(manager.key)).send({ amount: '0.44' }).expect(201);

      const after = await detail(manager.key, p.id);
      expect(after.status).toBe(200);
      expect(after.body.totals).toEqual({
        GEN: { accounts: 1, cash: '4000.00', contracts: '0.00', leaps: '0.00', total: '4000.00' },
        REV: { accounts: 1, cash: '4234.56', contracts: '0.00', leaps: '0.00', total: '4234.56' },
        COM: { accounts: 1, cash: '3000.44', contracts: '0.00', leaps: '0.00', total: '3000.44' },
        total: '11235.00',
      });
      expect(after.body.totals).toEqual(await storedTotals(p.id));
      expect(after.body).toMatchObject({ id: p.id, name: 'Totals', ownerId: manager.id, template: 'moderate' });
    });

    it('lists the portfolio accounts, root accounts GEN, REV, COM, as GET /v1/accounts/:id shows them', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Accounts', initialCapital: '999.99' });
      const res = await t.http.get(`/v1/portfolios/${p.id}/accounts`).set(bearer(manager.key));
      expect(res.status).toBe(200);
      expect(res.body.items.map((a: any) => [a.id, a.type, a.cash])).toEqual([
        [p.gen, 'GEN', '400.01'],
        [p.rev, 'REV', '299.99'],
        [p.com, 'COM', '299.99'],
      ]);
      expect(res.body.nextCursor).toBeNull();
      for (const account of res.body.items) {
        const one = await t.http.get(`/v1/accounts/${account.id}`).set(bearer(manager.key)).expect(200);
        expect(account).toEqual(one.body);
      }
      expect(res.body.items).toEqual(p.body.accounts);
    });

    it('pages the accounts in that order, the cursor read within the portfolio', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Paged accounts', initialCapital: '999.99' });
      const path = `/v1/portfolios/${p.id}/accounts`;
      const first = await t.http.get(path).query({ limit: 2 }).set(bearer(manager.key)).expect(200);
      expect(first.body.items.map((a: any) => a.id)).toEqual([p.gen, p.rev]);
      expect(first.body.nextCursor).toBe(p.rev);
      const second = await t.http.get(path).query({ limit: 2, cursor: p.rev }).set(bearer(manager.key)).expect(200);
      expect(second.body).toEqual({ items: [expect.objectContaining({ id: p.com })], nextCursor: null });
      // Another portfolio's account as a cursor: nothing.
      const foreign = (await openPortfolio(t, manager.key, { name: 'Other', initialCapital: '1.00' })).gen;
      const none = await t.http.get(path).query({ cursor: foreign }).set(bearer(manager.key)).expect(200);
      expect(none.body).toEqual({ items: [], nextCursor: null });
      const bad = await t.http.get(path).query({ limit: 0 }).set(bearer(manager.key));
      expectProblem(bad, 400, 'VALIDATION_FAILED');
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['limit']);
    });

    it.each([
      ['another manager', 'manager'],
      ['an ungranted operator', 'operator'],
      ['an ungranted viewer', 'viewer'],
    ])('answers 404 PORTFOLIO_NOT_FOUND (not 403) to %s', async (_, role) => {
      const p = await openPortfolio(t, manager.key, { name: 'Private', initialCapital: '100.00' });
      const other = await createUser(t, role);
      expectProblem(await detail(other.key, p.id), 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(
        await t.http.get(`/v1/portfolios/${p.id}/accounts`).set(bearer(other.key)),
        404,
        'PORTFOLIO_NOT_FOUND',
      );
      // The owner still sees it.
      expect((await detail(manager.key, p.id)).status).toBe(200);
    });

    it('answers 404 for a portfolio that does not exist and 400 for an id that is not a UUID', async () => {
      expectProblem(await detail(manager.key, '00000000-0000-4000-8000-000000000000'), 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(await detail(t.adminKey, '00000000-0000-4000-8000-000000000000'), 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(await detail(manager.key, 'not-a-uuid'), 400, 'INVALID_ID');
    });
  });
});
