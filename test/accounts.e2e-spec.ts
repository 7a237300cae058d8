import type { Response } from 'supertest';
import {
  bearer,
  createUser,
  grant,
  ledgerViolations,
  OpenedPortfolio,
  openPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';

/**
 * GET and PATCH /v1/accounts/:id (docs/domain.md §1, §2, §3, §10): the account view, configuration
 * changes and their validation, status changes and what each status lets through, and who may
 * change an account.
 */
describe('accounts (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let otherManager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('accounts');
    // The harness ends this pool without waiting for its sockets to close, so the DROP DATABASE ... WITH (FORCE)
    // in t.close() can terminate them and the pool re-emits that as an unhandled 'error' that fails the file.
    t.db.on('error', () => undefined);
    [manager, otherManager] = await Promise.all([createUser(t, 'manager'), createUser(t, 'manager', 'other manager')]);
  });
  afterAll(() => t.close());

  const open = (capital = '250000.00') => openPortfolio(t, manager.key, { name: 'Accounts', initialCapital: capital });
  const get = (id: string, key = manager.key) => t.http.get(`/v1/accounts/${id}`).set(bearer(key));
  const patch = (id: string, body: Record<string, unknown>, key = manager.key) =>
    t.http.patch(`/v1/accounts/${id}`).set(bearer(key)).send(body);

  type MovementRoute = 'deposits' | 'withdrawals' | 'premiums' | 'losses' | 'fees';
  const move = (id: string, route: MovementRoute, amount: string) =>
    t.http.post(`/v1/accounts/${id}/${route}`).set(bearer(manager.key)).send({ amount });
  const transfer = (fromAccountId: string, toAccountId: string, amount: string) =>
    t.http.post('/v1/transfers').set(bearer(manager.key)).send({ fromAccountId, toAccountId, amount });

  const expectProblem = (res: Response, status: number, code: string) =>
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });

  async function storedAccount(id: string) {
    const rows = await t.db.query(
      'SELECT status, baseline::text, cash::text, contracts::text, leaps::text, buffer_bp, config FROM accounts WHERE id = $1',
      [id],
    );
    return rows.rows[0];
  }

  async function auditCount(action: string, entityId: string): Promise<number> {
    const rows = await t.db.query('SELECT count(*)::int AS n FROM audit_log WHERE action = $1 AND entity_id = $2', [
      action,
      entityId,
    ]);
    return rows.rows[0].n;
  }

  describe('GET /v1/accounts/:id', () => {
    let p: OpenedPortfolio;
    beforeAll(async () => {
      p = await open('250000.01');
    });

    it('returns exactly the documented fields, money as strings with two decimals', async () => {
      const res = await get(p.gen);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(
        [
          'id',
          'portfolioId',
          'type',
          'status',
          'unitId',
          'parentAccountId',
          'baseline',
          'cash',
          'contracts',
          'leaps',
          'total',
          'buffer',
          'available',
          'config',
          'createdAt',
          'updatedAt',
        ].sort(),
      );
      for (const field of ['baseline', 'cash', 'contracts', 'leaps', 'total', 'buffer', 'available']) {
        expect([field, res.body[field]]).toEqual([field, expect.stringMatching(/^\d+\.\d{2}$/)]);
      }
      expect(res.body).toEqual({
        id: p.gen,
        portfolioId: p.id,
        type: 'GEN',
        status: 'ACTIVE',
        unitId: null,
        parentAccountId: null,
        baseline: '100000.01',
        cash: '100000.01',
        contracts: '0.00',
        leaps: '0.00',
        total: '100000.01',
        buffer: '5000.01',
        available: '95000.00',
        config: {
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
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
    });

    it.each([
      ['REV', 'rev', '75000.00'],
      ['COM', 'com', '75000.00'],
    ] as const)('shows a %s account with no baseline and its stored pockets', async (type, key, cash) => {
      const res = await get(p[key]);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: p[key], type, baseline: '0.00', cash, total: cash, buffer: '3750.00' });
      expect(await storedAccount(p[key])).toMatchObject({ cash: cash.replace('.', ''), baseline: '0', buffer_bp: 500 });
    });

    it.each([
      ['another manager', () => otherManager.key],
      ['an ungranted operator', async () => (await createUser(t, 'operator')).key],
      ['an ungranted viewer', async () => (await createUser(t, 'viewer')).key],
    ])('answers 404 ACCOUNT_NOT_FOUND to %s', async (_, key) => {
      expectProblem(await get(p.gen, await key()), 404, 'ACCOUNT_NOT_FOUND');
    });

    it('answers 404 for an account that does not exist', async () => {
      expectProblem(await get('00000000-0000-4000-8000-000000000000'), 404, 'ACCOUNT_NOT_FOUND');
      expectProblem(await get('00000000-0000-4000-8000-000000000000', t.adminKey), 404, 'ACCOUNT_NOT_FOUND');
    });
  });

  describe('PATCH /v1/accounts/:id: configuration', () => {
    let p: OpenedPortfolio;
    beforeEach(async () => {
      p = await open();
    });

    interface ConfigCase {
      name: string;
      account: 'gen' | 'rev' | 'com';
      body: Record<string, unknown>;
      /** The stored configuration's fields that change. */
      config?: Record<string, unknown>;
      bufferBp?: number;
      figures?: { buffer: string; available: string };
    }

    it.each<ConfigCase>([
      { name: 'weeklyTargetPct', account: 'gen', body: { weeklyTargetPct: 2.25 }, config: { weeklyTargetPct: 2.25 } },
      {
        name: 'weeklyTargetPct at its bounds',
        account: 'rev',
        body: { weeklyTargetPct: 0.1 },
        config: { weeklyTargetPct: 0.1 },
      },
      {
        name: 'deltaRange',
        account: 'gen',
        body: { deltaRange: { min: 35, max: 55 } },
        config: { deltaRange: { min: 35, max: 55 } },
      },
      {
        name: 'deltaRange at its bounds',
        account: 'com',
        body: { deltaRange: { min: 10, max: 70 } },
        config: { deltaRange: { min: 10, max: 70 } },
      },
      {
        name: 'entryDays',
        account: 'rev',
        body: { entryDays: ['MONDAY', 'FRIDAY'] },
        config: { entryDays: ['MONDAY', 'FRIDAY'] },
      },
      {
        name: 'positionSizingPct',
        account: 'com',
        body: { positionSizingPct: 80.5 },
        config: { positionSizingPct: 80.5 },
      },
      {
        name: 'contractsPct (leapsPct follows)',
        account: 'rev',
        body: { contractsPct: 60 },
        config: { contractsPct: 60, leapsPct: 40 },
      },
      {
        name: 'leapsPct (contractsPct follows)',
        account: 'com',
        body: { leapsPct: 10 },
        config: { contractsPct: 90, leapsPct: 10 },
      },
      {
        name: 'contractsPct and leapsPct together',
        account: 'com',
        body: { contractsPct: 55, leapsPct: 45 },
        config: { contractsPct: 55, leapsPct: 45 },
      },
      { name: 'maxDrawdownPct', account: 'gen', body: { maxDrawdownPct: 12.5 }, config: { maxDrawdownPct: 12.5 } },
      { name: 'reinvestRatePct', account: 'rev', body: { reinvestRatePct: 62.5 }, config: { reinvestRatePct: 62.5 } },
      { name: 'reinvestRatePct 0', account: 'com', body: { reinvestRatePct: 0 }, config: { reinvestRatePct: 0 } },
      {
        name: 'minReinvestment (stored with two decimals)',
        account: 'com',
        body: { minReinvestment: '250.5' },
        config: { minReinvestment: '250.50' },
      },
      {
        name: 'minReinvestment 0.00 (no minimum)',
        account: 'rev',
        body: { minReinvestment: '0.00' },
        config: { minReinvestment: '0.00' },
      },
      {
        name: 'bufferPct (buffer and available recomputed)',
        account: 'gen',
        body: { bufferPct: 10 },
        bufferBp: 1000,
        figures: { buffer: '10000.00', available: '90000.00' },
      },
      {
        name: 'bufferPct with two decimals',
        account: 'rev',
        body: { bufferPct: 12.25 },
        bufferBp: 1225,
        figures: { buffer: '9187.50', available: '65812.50' },
      },
      {
        name: 'bufferPct 0 (all cash available)',
        account: 'com',
        body: { bufferPct: 0 },
        bufferBp: 0,
        figures: { buffer: '0.00', available: '75000.00' },
      },
      {
        name: 'several fields at once',
        account: 'gen',
        body: { weeklyTargetPct: 3, entryDays: ['WEDNESDAY'], bufferPct: 20 },
        config: { weeklyTargetPct: 3, entryDays: ['WEDNESDAY'] },
        bufferBp: 2000,
        figures: { buffer: '20000.00', available: '80000.00' },
      },
    ])('changes $name and persists it', async ({ account, body, config = {}, bufferBp, figures }) => {
      const id = p[account];
      const before = await storedAccount(id);
      const audits = await auditCount('account.update', id);

      const res = await patch(id, body);
      expect(res.status).toBe(200);
      const expectedConfig = { ...before.config, ...config };
      const expectedBufferBp = bufferBp ?? before.buffer_bp;
      expect(res.body.config).toEqual({ ...expectedConfig, bufferPct: expectedBufferBp / 100 });
      if (figures) expect(res.body).toMatchObject(figures);

      // Stored: the config jsonb and buffer_bp, nothing else about the account.
      expect(await storedAccount(id)).toEqual({ ...before, config: expectedConfig, buffer_bp: expectedBufferBp });
      expect((await get(id)).body).toEqual(res.body);
      expect(await auditCount('account.update', id)).toBe(audits + 1);
    });

    it('drops duplicate entry days', async () => {
      const res = await patch(p.gen, { entryDays: ['TUESDAY', 'TUESDAY', 'THURSDAY'] });
      expect(res.status).toBe(200);
      expect(res.body.config.entryDays).toEqual(['TUESDAY', 'THURSDAY']);
      expect((await storedAccount(p.gen)).config.entryDays).toEqual(['TUESDAY', 'THURSDAY']);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['weeklyTargetPct 0.05', { weeklyTargetPct: 0.05 }, 'weeklyTargetPct'],
      ['weeklyTargetPct 5.5', { weeklyTargetPct: 5.5 }, 'weeklyTargetPct'],
      ['weeklyTargetPct as a string', { weeklyTargetPct: '2' }, 'weeklyTargetPct'],
      ['deltaRange min above max', { deltaRange: { min: 50, max: 40 } }, 'deltaRange'],
      ['deltaRange min equal to max', { deltaRange: { min: 40, max: 40 } }, 'deltaRange'],
      ['deltaRange min 5', { deltaRange: { min: 5, max: 50 } }, 'deltaRange.min'],
      ['deltaRange max 80', { deltaRange: { min: 40, max: 80 } }, 'deltaRange.max'],
      ['deltaRange without max', { deltaRange: { min: 40 } }, 'deltaRange.max'],
      ['deltaRange with an unknown field', { deltaRange: { min: 40, max: 50, mid: 45 } }, 'deltaRange.mid'],
      ['entryDays ["SATURDAY"]', { entryDays: ['SATURDAY'] }, 'entryDays'],
      ['entryDays []', { entryDays: [] }, 'entryDays'],
      ['entryDays in lower case', { entryDays: ['monday'] }, 'entryDays'],
      ['positionSizingPct 101', { positionSizingPct: 101 }, 'positionSizingPct'],
      ['positionSizingPct -1', { positionSizingPct: -1 }, 'positionSizingPct'],
      ['contractsPct 60 with leapsPct 30', { contractsPct: 60, leapsPct: 30 }, 'contractsPct'],
      ['contractsPct 75.5', { contractsPct: 75.5 }, 'contractsPct'],
      ['leapsPct 101', { leapsPct: 101 }, 'leapsPct'],
      ['bufferPct 25', { bufferPct: 25 }, 'bufferPct'],
      ['bufferPct with three decimals', { bufferPct: 5.125 }, 'bufferPct'],
      ['bufferPct -1', { bufferPct: -1 }, 'bufferPct'],
      ['maxDrawdownPct 101', { maxDrawdownPct: 101 }, 'maxDrawdownPct'],
      ['reinvestRatePct 100.01', { reinvestRatePct: 100.01 }, 'reinvestRatePct'],
      ['reinvestRatePct -1', { reinvestRatePct: -1 }, 'reinvestRatePct'],
      ['reinvestRatePct with three decimals', { reinvestRatePct: 50.125 }, 'reinvestRatePct'],
      ['reinvestRatePct as a string', { reinvestRatePct: '50' }, 'reinvestRatePct'],
      ['reinvestRatePct null', { reinvestRatePct: null }, 'reinvestRatePct'],
      ['minReinvestment as a number', { minReinvestment: 100 }, 'minReinvestment'],
      ['minReinvestment negative', { minReinvestment: '-1.00' }, 'minReinvestment'],
      ['minReinvestment with three decimals', { minReinvestment: '1.005' }, 'minReinvestment'],
      ['minReinvestment above 1,000,000,000,000.00', { minReinvestment: '1000000000000.01' }, 'minReinvestment'],
      ['minReinvestment null', { minReinvestment: null }, 'minReinvestment'],
      ['an unknown field', { color: 'red' }, 'color'],
      ['a baseline (not configuration)', { baseline: '0.00' }, 'baseline'],
      ['status "MERGED"', { status: 'MERGED' }, 'status'],
      ['status "active" in lower case', { status: 'active' }, 'status'],
      ['a valid change beside an invalid one', { weeklyTargetPct: 2, positionSizingPct: 101 }, 'positionSizingPct'],
      // null is a value, not an absent field: it must be refused, never stored in the configuration.
      ['weeklyTargetPct null', { weeklyTargetPct: null }, 'weeklyTargetPct'],
      ['positionSizingPct null', { positionSizingPct: null }, 'positionSizingPct'],
      ['contractsPct null', { contractsPct: null }, 'contractsPct'],
      ['leapsPct null', { leapsPct: null }, 'leapsPct'],
      ['bufferPct null', { bufferPct: null }, 'bufferPct'],
      ['maxDrawdownPct null', { maxDrawdownPct: null }, 'maxDrawdownPct'],
    ])('refuses %s with a 400 naming the field, and changes nothing', async (_, body, field) => {
      const before = await snapshot(t.db);
      const res = await patch(p.gen, body);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await snapshot(t.db)).toEqual(before);
    });
  });

  describe('PATCH /v1/accounts/:id: status', () => {
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    const setStatus = (id: string, status: string) => patch(id, { status });

    it('suspends an account and makes it active again', async () => {
      const p = await open();
      const suspended = await setStatus(p.gen, 'SUSPENDED');
      expect(suspended.status).toBe(200);
      expect(suspended.body.status).toBe('SUSPENDED');
      expect((await storedAccount(p.gen)).status).toBe('SUSPENDED');

      const active = await setStatus(p.gen, 'ACTIVE');
      expect(active.status).toBe(200);
      expect(active.body.status).toBe('ACTIVE');
      expect((await storedAccount(p.gen)).status).toBe('ACTIVE');
      expect((await move(p.gen, 'deposits', '10.00')).status).toBe(201);
      expect(await storedAccount(p.gen)).toMatchObject({ cash: '10001000', baseline: '10001000' });
    });

    describe('a SUSPENDED account', () => {
      let p: OpenedPortfolio;
      beforeAll(async () => {
        p = await open();
        expect((await setStatus(p.gen, 'SUSPENDED')).status).toBe(200);
      });

      it.each<[string, () => Promise<Response>]>([
        ['a deposit', () => move(p.gen, 'deposits', '100.00')],
        ['a withdrawal', () => move(p.gen, 'withdrawals', '100.00')],
        ['a transfer out', () => transfer(p.gen, p.rev, '100.00')],
        ['a transfer in', () => transfer(p.rev, p.gen, '100.00')],
      ])('refuses %s from its owner with 422 ACCOUNT_NOT_ACTIVE, changing nothing', async (_, request) => {
        const before = await snapshot(t.db);
        const res = await request();
        expectProblem(res, 422, 'ACCOUNT_NOT_ACTIVE');
        expect(await snapshot(t.db)).toEqual(before);
      });

      // Run in order: each row starts from the cash the previous one left.
      it.each<[string, MovementRoute, string, string]>([
        ['a premium', 'premiums', '2.50', '10000250'],
        ['a trading loss', 'losses', '1.25', '10000125'],
        ['a fee', 'fees', '0.25', '10000100'],
      ])('still takes %s (a market event)', async (_, route, amount, cashAfter) => {
        const res = await move(p.gen, route, amount);
        expect(res.status).toBe(201);
        // Performance flows never move the baseline.
        expect(await storedAccount(p.gen)).toMatchObject({
          status: 'SUSPENDED',
          cash: cashAfter,
          baseline: '10000000',
        });
      });
    });

    it('refuses to close an account that still holds value (422 ACCOUNT_NOT_EMPTY)', async () => {
      const p = await open();
      for (const id of [p.gen, p.rev, p.com]) {
        const before = await snapshot(t.db);
        expectProblem(await setStatus(id, 'CLOSED'), 422, 'ACCOUNT_NOT_EMPTY');
        expect(await snapshot(t.db)).toEqual(before);
      }
      // Suspending first does not help.
      expect((await setStatus(p.rev, 'SUSPENDED')).status).toBe(200);
      expectProblem(await setStatus(p.rev, 'CLOSED'), 422, 'ACCOUNT_NOT_EMPTY');
      expect((await storedAccount(p.rev)).status).toBe('SUSPENDED');
    });

    it('refuses to close an account with a single cent left', async () => {
      const p = await open();
      expect((await patch(p.rev, { bufferPct: 0 })).status).toBe(200);
      expect((await transfer(p.rev, p.gen, '74999.99')).status).toBe(201);
      expectProblem(await setStatus(p.rev, 'CLOSED'), 422, 'ACCOUNT_NOT_EMPTY');
      expect(await storedAccount(p.rev)).toMatchObject({ status: 'ACTIVE', cash: '1' });
    });

    describe('a CLOSED account', () => {
      let p: OpenedPortfolio;

      beforeAll(async () => {
        // Empty the REV account: no buffer, then withdraw part and transfer the rest to GEN.
        p = await open();
        expect((await patch(p.rev, { bufferPct: 0 })).status).toBe(200);
        expect((await move(p.rev, 'withdrawals', '25000.00')).status).toBe(201);
        expect((await transfer(p.rev, p.gen, '50000.00')).status).toBe(201);
      });

      it('closes once the account is empty', async () => {
        const res = await setStatus(p.rev, 'CLOSED');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ status: 'CLOSED', cash: '0.00', total: '0.00', available: '0.00' });
        expect(await storedAccount(p.rev)).toMatchObject({ status: 'CLOSED', cash: '0', contracts: '0', leaps: '0' });
        // The transfer in raised the GEN baseline with its cash.
        expect(await storedAccount(p.gen)).toMatchObject({ cash: '15000000', baseline: '15000000' });
      });

      it.each<[string, () => Promise<Response>]>([
        ['a deposit', () => move(p.rev, 'deposits', '1.00')],
        ['a withdrawal', () => move(p.rev, 'withdrawals', '1.00')],
        ['a premium', () => move(p.rev, 'premiums', '1.00')],
        ['a trading loss', () => move(p.rev, 'losses', '1.00')],
        ['a fee', () => move(p.rev, 'fees', '1.00')],
        ['a transfer in', () => transfer(p.gen, p.rev, '1.00')],
        ['a transfer out', () => transfer(p.rev, p.gen, '1.00')],
      ])('refuses %s with 422 ACCOUNT_NOT_ACTIVE, changing nothing', async (_, request) => {
        expect((await storedAccount(p.rev)).status).toBe('CLOSED');
        const before = await snapshot(t.db);
        expectProblem(await request(), 422, 'ACCOUNT_NOT_ACTIVE');
        expect(await snapshot(t.db)).toEqual(before);
      });

      it.each(['ACTIVE', 'SUSPENDED'])('cannot be reopened as %s (422 INVALID_STATUS_CHANGE)', async (status) => {
        const before = await snapshot(t.db);
        expectProblem(await setStatus(p.rev, status), 422, 'INVALID_STATUS_CHANGE');
        expect(await snapshot(t.db)).toEqual(before);
      });
    });
  });

  describe('PATCH /v1/accounts/:id: who may', () => {
    let p: OpenedPortfolio;
    let operator: TestUser;
    let viewer: TestUser;
    let auditor: TestUser;

    beforeAll(async () => {
      p = await open();
      [operator, viewer, auditor] = await Promise.all([
        createUser(t, 'operator'),
        createUser(t, 'viewer'),
        createUser(t, 'auditor'),
      ]);
      await grant(t, manager.key, p.id, operator.id, 'operator');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
    });

    it.each([
      ['a granted operator', 403, 'FORBIDDEN', () => operator.key],
      ['a granted viewer', 403, 'FORBIDDEN', () => viewer.key],
      ['an auditor', 403, 'FORBIDDEN', () => auditor.key],
      ['another manager', 404, 'ACCOUNT_NOT_FOUND', () => otherManager.key],
    ])('refuses %s (%i %s) and changes nothing', async (_, status, code, key) => {
      const before = await snapshot(t.db);
      expectProblem(await patch(p.gen, { weeklyTargetPct: 2 }, key()), status, code);
      expectProblem(await patch(p.rev, { status: 'SUSPENDED' }, key()), status, code);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it.each([
      ['the owning manager', 2.5, () => manager.key],
      ['an admin', 3.5, () => t.adminKey],
    ])('lets %s change the account', async (_, target, key) => {
      const res = await patch(p.com, { weeklyTargetPct: target }, key());
      expect(res.status).toBe(200);
      expect((await storedAccount(p.com)).config.weeklyTargetPct).toBe(target);
    });
  });
});
