import type { Response } from 'supertest';
import {
  allPages,
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
 * Portfolio grants and what each role may do with them (docs/domain.md §10): owners and admins grant
 * operator or viewer access; operators move money, viewers and auditors only read; a portfolio a
 * caller may not see answers 404, one they see but may not change answers 403.
 */
describe('grants and roles (e2e)', () => {
  let t: TestApp;
  let adminId: string;
  let owner: TestUser;
  let otherManager: TestUser;
  let auditor: TestUser;
  let p: OpenedPortfolio;
  let other: OpenedPortfolio;
  /** A DEPOSIT in p that refused reversals can point at. */
  let depositId: string;

  beforeAll(async () => {
    t = await startTestApp('grants');
    // The harness ends this pool without waiting for its sockets to close, so the DROP DATABASE ... WITH (FORCE)
    // in t.close() can terminate them and the pool re-emits that as an unhandled 'error' that fails the file.
    t.db.on('error', () => undefined);
    adminId = (await t.http.get('/v1/users/me').set(bearer(t.adminKey)).expect(200)).body.id;
    [owner, otherManager, auditor] = await Promise.all([
      createUser(t, 'manager', 'owner'),
      createUser(t, 'manager', 'other manager'),
      createUser(t, 'auditor'),
    ]);
    p = await openPortfolio(t, owner.key, { name: 'Granted', initialCapital: '100000.00' });
    other = await openPortfolio(t, otherManager.key, { name: 'Elsewhere', initialCapital: '50000.00' });
    depositId = (
      await t.http.post(`/v1/accounts/${p.rev}/deposits`).set(bearer(owner.key)).send({ amount: '10.00' }).expect(201)
    ).body.id;
  });
  afterAll(() => t.close());

  const expectProblem = (res: Response, status: number, code: string) =>
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });

  const postGrant = (key: string, portfolioId: string, body: Record<string, unknown>) =>
    t.http.post(`/v1/portfolios/${portfolioId}/grants`).set(bearer(key)).send(body);
  const revoke = (key: string, portfolioId: string, userId: string) =>
    t.http.delete(`/v1/portfolios/${portfolioId}/grants/${userId}`).set(bearer(key));

  /** Everything a refused request must leave alone, grants included. */
  async function state() {
    const grants = await t.db.query(
      'SELECT portfolio_id, user_id, role, granted_by FROM portfolio_grants ORDER BY 1, 2',
    );
    return { ...(await snapshot(t.db)), grants: grants.rows };
  }

  async function storedGrant(portfolioId: string, userId: string) {
    const rows = await t.db.query(
      'SELECT role, granted_by FROM portfolio_grants WHERE portfolio_id = $1 AND user_id = $2',
      [portfolioId, userId],
    );
    return rows.rows[0];
  }

  async function cashOf(accountId: string): Promise<string> {
    return (await t.db.query('SELECT cash::text FROM accounts WHERE id = $1', [accountId])).rows[0].cash;
  }

  /** The reads a portfolio member may make, each answering with its status. */
  const reads = (key: string, portfolio: OpenedPortfolio) =>
    Promise.all([
      t.http.get(`/v1/portfolios/${portfolio.id}`).set(bearer(key)),
      t.http.get(`/v1/portfolios/${portfolio.id}/accounts`).set(bearer(key)),
      t.http.get(`/v1/accounts/${portfolio.gen}`).set(bearer(key)),
      t.http.get(`/v1/accounts/${portfolio.com}/transactions`).set(bearer(key)),
    ]);

  /** Every kind of money movement in portfolio p, as the given caller. */
  const movements: [string, (key: string) => Promise<Response>][] = [
    ['a deposit', (key) => t.http.post(`/v1/accounts/${p.gen}/deposits`).set(bearer(key)).send({ amount: '1.00' })],
    [
      'a withdrawal',
      (key) => t.http.post(`/v1/accounts/${p.gen}/withdrawals`).set(bearer(key)).send({ amount: '1.00' }),
    ],
    ['a premium', (key) => t.http.post(`/v1/accounts/${p.rev}/premiums`).set(bearer(key)).send({ amount: '1.00' })],
    ['a trading loss', (key) => t.http.post(`/v1/accounts/${p.rev}/losses`).set(bearer(key)).send({ amount: '1.00' })],
    ['a fee', (key) => t.http.post(`/v1/accounts/${p.com}/fees`).set(bearer(key)).send({ amount: '1.00' })],
    [
      'a transfer',
      (key) =>
        t.http
          .post('/v1/transfers')
          .set(bearer(key))
          .send({ fromAccountId: p.gen, toAccountId: p.rev, amount: '1.00' }),
    ],
    [
      'a batch',
      (key) =>
        t.http
          .post('/v1/transactions/batch')
          .set(bearer(key))
          .send({ items: [{ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' }] }),
    ],
    ['a reversal', (key) => t.http.post(`/v1/transactions/${depositId}/reversal`).set(bearer(key)).send({})],
  ];

  describe('POST /v1/portfolios/:id/grants', () => {
    it('lets the owning manager grant operator access', async () => {
      const operator = await createUser(t, 'operator');
      const res = await postGrant(owner.key, p.id, { userId: operator.id, role: 'operator' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        userId: operator.id,
        role: 'operator',
        grantedBy: owner.id,
        createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      expect(await storedGrant(p.id, operator.id)).toEqual({ role: 'operator', granted_by: owner.id });
      const audit = await t.db.query(
        "SELECT actor_id, details FROM audit_log WHERE action = 'grant.create' AND portfolio_id = $1 AND entity_id = $2",
        [p.id, operator.id],
      );
      expect(audit.rows).toEqual([{ actor_id: owner.id, details: { userId: operator.id, role: 'operator' } }]);
    });

    it('lets an admin grant viewer access on a portfolio the admin does not own', async () => {
      const viewer = await createUser(t, 'viewer');
      const res = await postGrant(t.adminKey, p.id, { userId: viewer.id, role: 'viewer' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ userId: viewer.id, role: 'viewer', grantedBy: adminId });
      expect(await storedGrant(p.id, viewer.id)).toEqual({ role: 'viewer', granted_by: adminId });
    });

    it('lets an operator be granted viewer access only', async () => {
      const operator = await createUser(t, 'operator');
      expect((await postGrant(owner.key, p.id, { userId: operator.id, role: 'viewer' })).status).toBe(201);
      expect(await storedGrant(p.id, operator.id)).toEqual({ role: 'viewer', granted_by: owner.id });
    });

    interface RefusedGrant {
      name: string;
      caller: () => Promise<string> | string;
      target: () => Promise<string> | string;
      role?: string;
      portfolio?: () => string;
      status: number;
      code: string;
    }
    const userOf = (role: string) => async () => (await createUser(t, role)).id;
    const grantedUser = (role: 'operator' | 'viewer') => async () => {
      const user = await createUser(t, role);
      await grant(t, owner.key, p.id, user.id, role);
      return user.key;
    };

    it.each<RefusedGrant>([
      {
        name: 'a grant to a manager',
        caller: () => owner.key,
        target: userOf('manager'),
        status: 422,
        code: 'GRANT_NOT_ALLOWED',
      },
      {
        name: 'a grant to an admin',
        caller: () => owner.key,
        target: userOf('admin'),
        status: 422,
        code: 'GRANT_NOT_ALLOWED',
      },
      {
        name: 'a grant to an auditor',
        caller: () => owner.key,
        target: userOf('auditor'),
        status: 422,
        code: 'GRANT_NOT_ALLOWED',
      },
      {
        name: 'a viewer user granted operator access',
        caller: () => owner.key,
        target: userOf('viewer'),
        role: 'operator',
        status: 422,
        code: 'GRANT_NOT_ALLOWED',
      },
      {
        name: 'an admin granting a viewer user operator access',
        caller: () => t.adminKey,
        target: userOf('viewer'),
        role: 'operator',
        status: 422,
        code: 'GRANT_NOT_ALLOWED',
      },
      {
        name: 'another manager granting on a portfolio they do not own',
        caller: () => otherManager.key,
        target: userOf('operator'),
        status: 404,
        code: 'PORTFOLIO_NOT_FOUND',
      },
      {
        name: 'a granted operator granting',
        caller: grantedUser('operator'),
        target: userOf('operator'),
        status: 403,
        code: 'FORBIDDEN',
      },
      {
        name: 'a granted viewer granting',
        caller: grantedUser('viewer'),
        target: userOf('viewer'),
        role: 'viewer',
        status: 403,
        code: 'FORBIDDEN',
      },
      {
        name: 'an auditor granting',
        caller: () => auditor.key,
        target: userOf('operator'),
        status: 403,
        code: 'FORBIDDEN',
      },
      {
        name: 'an ungranted operator granting',
        caller: async () => (await createUser(t, 'operator')).key,
        target: userOf('operator'),
        status: 404,
        code: 'PORTFOLIO_NOT_FOUND',
      },
      {
        name: 'a grant to a user that does not exist',
        caller: () => owner.key,
        target: () => '00000000-0000-4000-8000-000000000000',
        status: 404,
        code: 'USER_NOT_FOUND',
      },
      {
        name: 'a grant on a portfolio that does not exist',
        caller: () => t.adminKey,
        target: userOf('operator'),
        portfolio: () => '00000000-0000-4000-8000-000000000000',
        status: 404,
        code: 'PORTFOLIO_NOT_FOUND',
      },
      {
        name: 'the role "manager"',
        caller: () => owner.key,
        target: userOf('operator'),
        role: 'manager',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'the role "admin"',
        caller: () => owner.key,
        target: userOf('operator'),
        role: 'admin',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'a userId that is not a UUID',
        caller: () => owner.key,
        target: () => 'someone',
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ])(
      'refuses $name ($status $code) and grants nothing',
      async ({ caller, target, role = 'operator', portfolio, status, code }) => {
        const [key, userId] = [await caller(), await target()];
        const before = await state();
        const res = await postGrant(key, portfolio?.() ?? p.id, { userId, role });
        expectProblem(res, status, code);
        expect(await state()).toEqual(before);
      },
    );

    it('refuses an unknown field with a 400 naming it', async () => {
      const operator = await createUser(t, 'operator');
      const before = await state();
      const res = await postGrant(owner.key, p.id, { userId: operator.id, role: 'operator', expiresAt: '2030-01-01' });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['expiresAt']);
      expect(await state()).toEqual(before);
    });
  });

  describe('an operator granted operator access', () => {
    let operator: TestUser;
    beforeAll(async () => {
      operator = await createUser(t, 'operator');
      await grant(t, owner.key, p.id, operator.id, 'operator');
    });
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    it('reads the portfolio, its accounts and their transactions', async () => {
      expect((await reads(operator.key, p)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const list = await t.http.get('/v1/portfolios').set(bearer(operator.key)).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([p.id]);
    });

    it.each<[string, string, 'gen' | 'rev', string]>([
      ['a deposit', 'deposits', 'gen', '12.34'],
      ['a premium', 'premiums', 'rev', '5.67'],
    ])('posts %s (201), recorded as theirs', async (_, route, account, amount) => {
      const before = BigInt(await cashOf(p[account]));
      const res = await t.http.post(`/v1/accounts/${p[account]}/${route}`).set(bearer(operator.key)).send({ amount });
      expect(res.status).toBe(201);
      expect(BigInt(await cashOf(p[account])) - before).toBe(BigInt(amount.replace('.', '')));
      const tx = await t.db.query('SELECT actor_id, portfolio_id FROM transactions WHERE id = $1', [res.body.id]);
      expect(tx.rows).toEqual([{ actor_id: operator.id, portfolio_id: p.id }]);
    });

    it('may not manage the portfolio: listing grants, granting or changing an account answer 403', async () => {
      const before = await state();
      expectProblem(await t.http.get(`/v1/portfolios/${p.id}/grants`).set(bearer(operator.key)), 403, 'FORBIDDEN');
      expectProblem(await revoke(operator.key, p.id, operator.id), 403, 'FORBIDDEN');
      expectProblem(
        await t.http.patch(`/v1/accounts/${p.gen}`).set(bearer(operator.key)).send({ bufferPct: 0 }),
        403,
        'FORBIDDEN',
      );
      expect(await state()).toEqual(before);
    });

    it('cannot reach another portfolio (404), even to move money into its own', async () => {
      const before = await state();
      expectProblem(
        await t.http.get(`/v1/portfolios/${other.id}`).set(bearer(operator.key)),
        404,
        'PORTFOLIO_NOT_FOUND',
      );
      expectProblem(
        await t.http
          .post('/v1/transfers')
          .set(bearer(operator.key))
          .send({ fromAccountId: other.gen, toAccountId: p.gen, amount: '1.00' }),
        404,
        'ACCOUNT_NOT_FOUND',
      );
      expect(await state()).toEqual(before);
    });
  });

  describe('a viewer granted viewer access', () => {
    let viewer: TestUser;
    beforeAll(async () => {
      viewer = await createUser(t, 'viewer');
      await grant(t, owner.key, p.id, viewer.id, 'viewer');
    });

    it('reads the portfolio, its accounts and their transactions', async () => {
      expect((await reads(viewer.key, p)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const list = await t.http.get('/v1/portfolios').set(bearer(viewer.key)).expect(200);
      expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([p.id]);
    });

    it.each(movements)('is refused %s with 403 FORBIDDEN, and nothing changes', async (_, request) => {
      const before = await state();
      expectProblem(await request(viewer.key), 403, 'FORBIDDEN');
      expect(await state()).toEqual(before);
    });
  });

  describe('an ungranted operator', () => {
    let stranger: TestUser;
    beforeAll(async () => {
      stranger = await createUser(t, 'operator', 'stranger');
    });

    it('gets 404 on the portfolio and its accounts, and sees no portfolio', async () => {
      const [portfolio, accounts, account, transactions] = await reads(stranger.key, p);
      expectProblem(portfolio, 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(accounts, 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(account, 404, 'ACCOUNT_NOT_FOUND');
      expectProblem(transactions, 404, 'ACCOUNT_NOT_FOUND');
      expect((await t.http.get('/v1/portfolios').set(bearer(stranger.key)).expect(200)).body).toEqual({
        items: [],
        nextCursor: null,
      });
    });

    it.each(movements)('gets 404 for %s, and nothing changes', async (_, request) => {
      const before = await state();
      const res = await request(stranger.key);
      expect(res.status).toBe(404);
      expect(['ACCOUNT_NOT_FOUND', 'TRANSACTION_NOT_FOUND']).toContain(res.body.code);
      expect(await state()).toEqual(before);
    });
  });

  describe('GET /v1/portfolios/:id/grants', () => {
    it('lists every grant of the portfolio, oldest first, for the owner and an admin', async () => {
      const q = await openPortfolio(t, owner.key, { name: 'Listed', initialCapital: '100.00' });
      const [operator, viewer] = await Promise.all([createUser(t, 'operator'), createUser(t, 'viewer')]);
      await grant(t, owner.key, q.id, operator.id, 'operator');
      await grant(t, t.adminKey, q.id, viewer.id, 'viewer');
      const expected = [
        { userId: operator.id, role: 'operator', grantedBy: owner.id, createdAt: expect.any(String) },
        { userId: viewer.id, role: 'viewer', grantedBy: adminId, createdAt: expect.any(String) },
      ];
      for (const key of [owner.key, t.adminKey]) {
        const res = await t.http.get(`/v1/portfolios/${q.id}/grants`).set(bearer(key));
        expect(res.status).toBe(200);
        expect(res.body).toEqual(expected);
      }
    });

    it.each([
      ['another manager', 404, 'PORTFOLIO_NOT_FOUND', () => otherManager.key],
      ['an auditor', 403, 'FORBIDDEN', () => auditor.key],
    ])('refuses %s (%i %s)', async (_, status, code, key) => {
      expectProblem(await t.http.get(`/v1/portfolios/${p.id}/grants`).set(bearer(key())), status, code);
    });
  });

  describe('DELETE /v1/portfolios/:id/grants/:userId', () => {
    afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

    it('removes access at once, and a second delete answers 404 GRANT_NOT_FOUND', async () => {
      const operator = await createUser(t, 'operator');
      await grant(t, owner.key, p.id, operator.id, 'operator');
      // Use the access first, so that any cached grant is warm.
      expect((await reads(operator.key, p)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      await t.http
        .post(`/v1/accounts/${p.gen}/premiums`)
        .set(bearer(operator.key))
        .send({ amount: '1.00' })
        .expect(201);

      const res = await revoke(owner.key, p.id, operator.id);
      expect(res.status).toBe(204);
      expect(await storedGrant(p.id, operator.id)).toBeUndefined();
      const audit = await t.db.query(
        "SELECT actor_id FROM audit_log WHERE action = 'grant.revoke' AND portfolio_id = $1 AND entity_id = $2",
        [p.id, operator.id],
      );
      expect(audit.rows).toEqual([{ actor_id: owner.id }]);

      const before = await state();
      const [portfolio, accounts, account] = await reads(operator.key, p);
      expectProblem(portfolio, 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(accounts, 404, 'PORTFOLIO_NOT_FOUND');
      expectProblem(account, 404, 'ACCOUNT_NOT_FOUND');
      expectProblem(
        await t.http.post(`/v1/accounts/${p.gen}/premiums`).set(bearer(operator.key)).send({ amount: '1.00' }),
        404,
        'ACCOUNT_NOT_FOUND',
      );
      expect((await t.http.get('/v1/portfolios').set(bearer(operator.key)).expect(200)).body.items).toEqual([]);
      expect(await state()).toEqual(before);

      expectProblem(await revoke(owner.key, p.id, operator.id), 404, 'GRANT_NOT_FOUND');
      expect(await state()).toEqual(before);
    });

    it('lets an admin revoke, and turning an operator into a viewer takes effect at once', async () => {
      const operator = await createUser(t, 'operator');
      await grant(t, owner.key, p.id, operator.id, 'operator');
      const deposit = (key: string) =>
        t.http.post(`/v1/accounts/${p.gen}/deposits`).set(bearer(key)).send({ amount: '1.00' });
      expect((await deposit(operator.key)).status).toBe(201);

      await grant(t, owner.key, p.id, operator.id, 'viewer');
      const before = await state();
      expectProblem(await deposit(operator.key), 403, 'FORBIDDEN');
      expect(await state()).toEqual(before);

      expect((await revoke(t.adminKey, p.id, operator.id)).status).toBe(204);
      expectProblem(await deposit(operator.key), 404, 'ACCOUNT_NOT_FOUND');
      expect(await storedGrant(p.id, operator.id)).toBeUndefined();
    });

    it.each([
      ['another manager', 404, 'PORTFOLIO_NOT_FOUND', () => otherManager.key],
      ['an auditor', 403, 'FORBIDDEN', () => auditor.key],
    ])('refuses %s (%i %s) and keeps the grant', async (_, status, code, key) => {
      const viewer = await createUser(t, 'viewer');
      await grant(t, owner.key, p.id, viewer.id, 'viewer');
      const before = await state();
      expectProblem(await revoke(key(), p.id, viewer.id), status, code);
      expect(await state()).toEqual(before);
      expect((await reads(viewer.key, p)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    });

    it('answers 404 GRANT_NOT_FOUND for a user who never had access', async () => {
      const operator = await createUser(t, 'operator');
      const before = await state();
      expectProblem(await revoke(owner.key, p.id, operator.id), 404, 'GRANT_NOT_FOUND');
      expect(await state()).toEqual(before);
    });
  });

  describe('an auditor', () => {
    it('reads every portfolio and every account', async () => {
      const all = await t.db.query('SELECT id FROM portfolios ORDER BY created_at, id');
      const list = await allPages(t, auditor.key, '/v1/portfolios');
      expect(list.map((x: { id: string }) => x.id)).toEqual(all.rows.map((r) => r.id));
      for (const portfolio of [p, other]) {
        expect((await reads(auditor.key, portfolio)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
      }
      const accounts = await t.db.query('SELECT id FROM accounts ORDER BY id');
      for (const { id } of accounts.rows) {
        expect([id, (await t.http.get(`/v1/accounts/${id}`).set(bearer(auditor.key))).status]).toEqual([id, 200]);
      }
    });

    it.each(movements)('is refused %s with 403 FORBIDDEN, and nothing changes', async (_, request) => {
      const before = await state();
      expectProblem(await request(auditor.key), 403, 'FORBIDDEN');
      expect(await state()).toEqual(before);
    });

    it('may not open a portfolio or change an account (403)', async () => {
      const before = await state();
      expectProblem(
        await t.http.post('/v1/portfolios').set(bearer(auditor.key)).send({ name: 'Mine', initialCapital: '1.00' }),
        403,
        'FORBIDDEN',
      );
      expectProblem(
        await t.http.patch(`/v1/accounts/${other.gen}`).set(bearer(auditor.key)).send({ status: 'SUSPENDED' }),
        403,
        'FORBIDDEN',
      );
      expect(await state()).toEqual(before);
    });
  });
});
