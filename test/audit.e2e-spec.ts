import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { bearer, createUser, startTestApp, TestApp, TestUser } from '@app/testing';

interface AuditItem {
  id: string;
  at: string;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string | null;
  portfolioId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  correlationId: string | null;
}

/** What a change should have left in the audit log. */
interface Expected {
  actorId: string;
  entityId: string;
  portfolioId: string | null;
  correlationId: string;
}

const AUDITED_ACTIONS = [
  'user.create',
  'api-key.create',
  'api-key.revoke',
  'portfolio.create',
  'grant.create',
  'ledger.movement',
  'account.update',
] as const;
type AuditedAction = (typeof AUDITED_ACTIONS)[number];

const MOVEMENT_CORRELATION_ID = 'test-corr-123';
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('audit log (e2e)', () => {
  let t: TestApp;
  let adminId: string;
  let manager: TestUser;
  let operator: TestUser;
  let viewer: TestUser;
  let auditor: TestUser;
  let portfolio: { id: string; gen: string; rev: string };
  const expected = new Map<AuditedAction, Expected>();

  /** Notes what `res` (a successful change) should have written, with the correlation id it answered. */
  function remember(
    action: AuditedAction,
    res: Response,
    actorId: string,
    entityId: string,
    portfolioId: string | null = null,
  ) {
    const correlationId = res.headers['x-correlation-id'];
    expect(correlationId).toEqual(expect.any(String));
    expected.set(action, { actorId, entityId, portfolioId, correlationId });
  }

  beforeAll(async () => {
    t = await startTestApp('audit');
    // t.close() ends this pool without waiting for its sockets, so its DROP DATABASE ... WITH (FORCE) can
    // terminate them and the pool would re-emit that as an unhandled 'error' failing the last test.
    t.db.on('error', () => undefined);
    adminId = (await t.db.query('SELECT user_id FROM api_keys WHERE key_hash = $1', [sha256(t.adminKey)])).rows[0]
      .user_id;
    manager = await createUser(t, 'manager');
    viewer = await createUser(t, 'viewer');
    auditor = await createUser(t, 'auditor');
    const admin = bearer(t.adminKey);

    const user = await t.http
      .post('/v1/users')
      .set(admin)
      .send({ name: 'Audited operator', role: 'operator' })
      .expect(201);
    remember('user.create', user, adminId, user.body.id);
    const key = await t.http.post(`/v1/users/${user.body.id}/api-keys`).set(admin).expect(201);
    remember('api-key.create', key, adminId, key.body.id);
    operator = { id: user.body.id, key: key.body.key };

    const spare = await t.http.post(`/v1/users/${operator.id}/api-keys`).set(admin).expect(201);
    const revoked = await t.http.delete(`/v1/api-keys/${spare.body.id}`).set(admin).expect(204);
    remember('api-key.revoke', revoked, adminId, spare.body.id);

    const opened = await t.http
      .post('/v1/portfolios')
      .set(bearer(manager.key))
      .send({ name: 'Audited portfolio', initialCapital: '100000.00' })
      .expect(201);
    const byType = Object.fromEntries(opened.body.accounts.map((a: { type: string; id: string }) => [a.type, a.id]));
    portfolio = { id: opened.body.id, gen: byType.GEN, rev: byType.REV };
    remember('portfolio.create', opened, manager.id, portfolio.id, portfolio.id);

    const granted = await t.http
      .post(`/v1/portfolios/${portfolio.id}/grants`)
      .set(bearer(manager.key))
      .send({ userId: operator.id, role: 'operator' })
      .expect(201);
    remember('grant.create', granted, manager.id, operator.id, portfolio.id);

    const moved = await t.http
      .post(`/v1/accounts/${portfolio.rev}/deposits`)
      .set({
        ...bearer(operator.key),
        'x-correlation-id': MOVEMENT_CORRELATION_ID,
      })
      .send({ amount: '500.00' })
      .expect(201);
    remember('ledger.movement', moved, operator.id, moved.body.id, portfolio.id);

    const patched = await t.http
      .patch(`/v1/accounts/${portfolio.gen}`)
      .set(bearer(manager.key))
      .send({ weeklyTargetPct: 2 })
      .expect(200);
    remember('account.update', patched, manager.id, portfolio.gen, portfolio.id);
  });
  afterAll(() => t.close());

  const audit = (query = '', key = auditor.key) => t.http.get(`/v1/audit${query}`).set(bearer(key));
  const items = async (query: string): Promise<AuditItem[]> => (await audit(query).expect(200)).body.items;
  const auditCount = async () => (await t.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n as number;
  /** The whole log as the API shows it, newest first. */
  const everything = () => items('?limit=500');

  describe('access', () => {
    it.each(['admin', 'auditor'])('lets role %s read the log', async (role) => {
      const key = role === 'admin' ? t.adminKey : auditor.key;
      const res = await audit('', key).expect(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      expect(res.body.items.length).toBe(await auditCount());
    });

    it.each(['manager', 'operator', 'viewer'])('refuses role %s with 403 FORBIDDEN', async (role) => {
      const key = { manager, operator, viewer }[role as 'manager' | 'operator' | 'viewer'].key;
      const res = await audit('', key).expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
      expect(res.body.items).toBeUndefined();
    });

    it('answers 401 without a key', async () => {
      expect((await t.http.get('/v1/audit').expect(401)).body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('entries', () => {
    it.each(AUDITED_ACTIONS)('records %s with its actor, time, entity and correlation id', async (action) => {
      const want = expected.get(action)!;

      const found = (await items(`?action=${action}`)).filter((i) => i.entityId === want.entityId);

      expect(found).toEqual([expect.objectContaining({ action, ...want })]);
      expect(new Date(found[0].at).toISOString()).toBe(found[0].at);
      const rows = await t.db.query(
        'SELECT actor_id, correlation_id, at FROM audit_log WHERE action = $1 AND entity_id = $2',
        [action, want.entityId],
      );
      expect(rows.rows).toEqual([
        {
          actor_id: want.actorId,
          correlation_id: want.correlationId,
          at: expect.any(Date),
        },
      ]);
    });

    it(`carries x-correlation-id ${MOVEMENT_CORRELATION_ID} to the response header, the audit row and the transaction`, async () => {
      const movement = expected.get('ledger.movement')!;
      expect(movement.correlationId).toBe(MOVEMENT_CORRELATION_ID);
      const [entry] = (await items(`?action=ledger.movement&portfolioId=${portfolio.id}`)).filter(
        (i) => i.entityId === movement.entityId,
      );
      expect(entry.correlationId).toBe(MOVEMENT_CORRELATION_ID);
      const tx = await t.db.query('SELECT correlation_id FROM transactions WHERE id = $1', [movement.entityId]);
      expect(tx.rows).toEqual([{ correlation_id: MOVEMENT_CORRELATION_ID }]);
    });

    it('replaces a malformed x-correlation-id with a fresh one, used in the header and the audit row alike', async () => {
      const malformed = 'not a valid id!';
      const res = await t.http
        .post(`/v1/accounts/${portfolio.rev}/deposits`)
        .set({ ...bearer(operator.key), 'x-correlation-id': malformed })
        .send({ amount: '1.00' })
        .expect(201);

      const issued = res.headers['x-correlation-id'];
      expect(issued).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await t.db.query('SELECT correlation_id FROM audit_log WHERE entity_id = $1', [res.body.id]);
      expect(rows.rows).toEqual([{ correlation_id: issued }]);
    });

    it('writes no entry for a refused change', async () => {
      const before = await auditCount();

      const tooMuch = await t.http
        .post(`/v1/accounts/${portfolio.rev}/withdrawals`)
        .set(bearer(operator.key))
        .send({ amount: '999999.00' })
        .expect(422);
      const notAllowed = await t.http
        .post('/v1/users')
        .set(bearer(manager.key))
        .send({ name: 'x', role: 'viewer' })
        .expect(403);

      expect([tooMuch.body.code, notAllowed.body.code]).toEqual(['INSUFFICIENT_FUNDS', 'FORBIDDEN']);
      expect(await auditCount()).toBe(before);
    });
  });

  describe('filters', () => {
    it.each<[string, (i: AuditItem) => unknown, () => string]>([
      ['actorId', (i) => i.actorId, () => operator.id],
      ['portfolioId', (i) => i.portfolioId, () => portfolio.id],
      ['action', (i) => i.action, () => 'account.update'],
    ])('filters by %s: exactly the matching entries', async (name, field, value) => {
      const all = await everything();
      const want = all.filter((i) => field(i) === value());

      const got = await items(`?${name}=${value()}&limit=500`);

      expect(got.map((i) => i.id)).toEqual(want.map((i) => i.id));
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(all.length);
    });

    it('filters by portfolio: the opening, the grant, the movement and the update are there, user changes are not', async () => {
      const actions = new Set((await items(`?portfolioId=${portfolio.id}&limit=500`)).map((i) => i.action));
      expect([...actions].sort()).toEqual(
        expect.arrayContaining([
          'account.update',
          'grant.create',
          'ledger.movement',
          'portfolio.create',
          'portfolio.open',
        ]),
      );
      expect(actions.has('user.create')).toBe(false);
    });

    /** Boundaries taken from entries' own times; `from` is inclusive, `to` exclusive. */
    it.each<
      [
        string,
        (times: { oldest: string; movement: string }) => {
          from?: string;
          to?: string;
        },
        boolean,
      ]
    >([
      ['from the movement', ({ movement }) => ({ from: movement }), true],
      ['to the movement', ({ movement }) => ({ to: movement }), false],
      ['from the oldest entry to the movement', ({ oldest, movement }) => ({ from: oldest, to: movement }), false],
    ])('filters by time (%s)', async (_, bounds, includesMovement) => {
      const all = await everything();
      const movement = all.find((i) => i.entityId === expected.get('ledger.movement')!.entityId)!;
      const { from, to } = bounds({
        oldest: all[all.length - 1].at,
        movement: movement.at,
      });
      const want = all.filter((i) => (!from || i.at >= from) && (!to || i.at < to));

      const query = new URLSearchParams({
        limit: '500',
        ...(from && { from }),
        ...(to && { to }),
      });
      const got = await items(`?${query.toString()}`);

      expect(got.map((i) => i.id)).toEqual(want.map((i) => i.id));
      expect(got.some((i) => i.id === movement.id)).toBe(includesMovement);
      expect(got.length).toBeLessThan(all.length);
    });

    it.each([
      ['actorId', 'someone'],
      ['portfolioId', '42'],
      ['from', 'yesterday'],
      ['to', '2026-02-30T00:00:00Z'],
      ['limit', '0'],
      ['limit', '501'],
      ['cursor', 'abc'],
      ['cursor', '-1'],
      ['colour', 'red'],
    ])('refuses %s=%s with 400 VALIDATION_FAILED naming it', async (field, value) => {
      const res = await audit(`?${field}=${encodeURIComponent(value)}`).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
  });

  describe('order and cursor pagination', () => {
    const isNewestFirst = (list: AuditItem[]) =>
      list.every((item, n) => n === 0 || (BigInt(item.id) < BigInt(list[n - 1].id) && item.at <= list[n - 1].at));

    /** Follows nextCursor with pages of two until the end. */
    async function walk(filter: string) {
      const pages: AuditItem[][] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await audit(`?limit=2${filter}${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
        pages.push(res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      return pages;
    }

    it('lists the log newest first, by id (more than nine entries, so ids of different lengths)', async () => {
      const whole = await everything();
      expect(whole.length).toBeGreaterThan(10);
      expect(whole.map((i) => i.id)).toEqual(whole.map((i) => i.id).sort((a, b) => Number(BigInt(b) - BigInt(a))));
      expect(isNewestFirst(whole)).toBe(true);
    });

    it.each<[string, () => string]>([
      ['the whole log', () => ''],
      ['a portfolio', () => `&portfolioId=${portfolio.id}`],
    ])('pages through %s two at a time, newest first, without duplicates or gaps', async (_, filter) => {
      const where = filter() ? 'WHERE portfolio_id = $1' : '';
      const stored = await t.db.query(
        `SELECT id::text AS id FROM audit_log ${where} ORDER BY audit_log.id DESC`,
        filter() ? [portfolio.id] : [],
      );
      const expectedIds = stored.rows.map((r) => r.id);

      const pages = await walk(filter());

      const ids = pages.flat().map((i) => i.id);
      expect(ids).toEqual(expectedIds);
      expect(new Set(ids).size).toBe(ids.length);
      expect(pages.length).toBe(Math.ceil(expectedIds.length / 2));
      expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
      expect(isNewestFirst(pages.flat())).toBe(true);
    });
  });

  describe('append-only', () => {
    it.each([
      [
        'UPDATE',
        "UPDATE audit_log SET action = 'tampered', actor_id = NULL WHERE id = (SELECT max(id) FROM audit_log)",
      ],
      ['DELETE', 'DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)'],
    ])('refuses %s on audit_log and leaves the rows as they were', async (_, sql) => {
      const before = (await t.db.query('SELECT * FROM audit_log ORDER BY id')).rows;

      await expect(t.db.query(sql)).rejects.toThrow(/append-only/);

      expect((await t.db.query('SELECT * FROM audit_log ORDER BY id')).rows).toEqual(before);
    });
  });
});
