import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { allPages, bearer, createUser, startTestApp, TestApp, TestUser } from '@app/testing';
import { AuthService } from '../src/modules/auth/auth.service';

const NON_ADMIN_ROLES = ['manager', 'operator', 'viewer', 'auditor'] as const;
const ALL_ROLES = ['admin', ...NON_ADMIN_ROLES] as const;
type Role = (typeof ALL_ROLES)[number];

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** A well-formed key that was never issued. */
const strayKey = () => `au_${randomBytes(32).toString('base64url')}`;

describe('users and API keys (e2e)', () => {
  let t: TestApp;
  /** One user (with a key) per role; the admin is the harness's bootstrap admin. */
  const users = {} as Record<Role, TestUser>;

  beforeAll(async () => {
    t = await startTestApp('auth');
    // t.close() ends this pool without waiting for its sockets, so its DROP DATABASE ... WITH (FORCE) can
    // terminate them and the pool would re-emit that as an unhandled 'error' failing the last test.
    t.db.on('error', () => undefined);
    const admin = await t.db.query('SELECT user_id FROM api_keys WHERE key_hash = $1', [sha256(t.adminKey)]);
    users.admin = { id: admin.rows[0].user_id, key: t.adminKey };
    for (const role of NON_ADMIN_ROLES) users[role] = await createUser(t, role);
  });
  afterAll(() => t.close());

  const count = async (table: 'users' | 'api_keys') =>
    (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n as number;
  const keyRow = async (id: string) =>
    (await t.db.query('SELECT user_id, key_hash, prefix, revoked_at FROM api_keys WHERE id = $1', [id])).rows[0];
  const me = (key: string) => t.http.get('/v1/users/me').set(bearer(key));
  const issueKey = (userId: string, key = t.adminKey) => t.http.post(`/v1/users/${userId}/api-keys`).set(bearer(key));
  const revokeKey = (keyId: string, key = t.adminKey) => t.http.delete(`/v1/api-keys/${keyId}`).set(bearer(key));

  /** Runs a refused request and checks that it left the given table as it was. */
  async function expectUnchanged(table: 'users' | 'api_keys', request: () => PromiseLike<unknown>) {
    const before = await count(table);
    await request();
    expect(await count(table)).toBe(before);
  }

  describe('POST /v1/users', () => {
    const create = (body: unknown, headers: Record<string, string> = bearer(t.adminKey)) =>
      t.http
        .post('/v1/users')
        .set(headers)
        .send(body as object);

    it('lets an admin create a user: 201 and the row exists in users', async () => {
      const name = `Ada ${randomUUID()}`;
      const res = await create({ name, role: 'operator' }).expect(201);

      expect(res.body).toEqual({
        id: expect.any(String),
        name,
        role: 'operator',
        createdAt: expect.any(String),
      });
      const rows = await t.db.query('SELECT id, name, role FROM users WHERE name = $1', [name]);
      expect(rows.rows).toEqual([{ id: res.body.id, name, role: 'operator' }]);
    });

    it.each(NON_ADMIN_ROLES)('refuses role %s with 403 FORBIDDEN and creates no user', async (role) => {
      const name = `Not created by ${role} ${randomUUID()}`;
      await expectUnchanged('users', async () => {
        const res = await create({ name, role: 'viewer' }, bearer(users[role].key)).expect(403);
        expect(res.body.code).toBe('FORBIDDEN');
      });
      expect((await t.db.query('SELECT 1 FROM users WHERE name = $1', [name])).rowCount).toBe(0);
    });

    it.each<[string, Record<string, string>]>([
      ['no Authorization header', {}],
      ['a key that was never issued', bearer(strayKey())],
      ['a scheme other than Bearer', { Authorization: `Basic ${strayKey()}` }],
      ['a key too short to be one', bearer('au_short')],
    ])('answers 401 UNAUTHENTICATED to %s and creates no user', async (_, headers) => {
      await expectUnchanged('users', async () => {
        const res = await create({ name: 'Intruder', role: 'admin' }, headers).expect(401);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      });
    });

    it.each<{ what: string; body: Record<string, unknown>; field: string }>([
      {
        what: 'an unknown role',
        body: { name: 'Eve', role: 'superuser' },
        field: 'role',
      },
      { what: 'a missing role', body: { name: 'Eve' }, field: 'role' },
      {
        what: 'a blank name',
        body: { name: '   ', role: 'viewer' },
        field: 'name',
      },
      {
        what: 'an empty name',
        body: { name: '', role: 'viewer' },
        field: 'name',
      },
      { what: 'a missing name', body: { role: 'viewer' }, field: 'name' },
      {
        what: 'a name that is not a string',
        body: { name: 42, role: 'viewer' },
        field: 'name',
      },
      {
        what: 'a name over 100 characters',
        body: { name: 'x'.repeat(101), role: 'viewer' },
        field: 'name',
      },
      {
        what: 'an unknown field',
        body: { name: 'Eve', role: 'viewer', isAdmin: true },
        field: 'isAdmin',
      },
    ])('refuses $what with 400 VALIDATION_FAILED naming $field', async ({ body, field }) => {
      await expectUnchanged('users', async () => {
        const res = await create(body).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
        expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      });
    });
  });

  describe('API keys', () => {
    it('issues a key that works at once and is stored only as its sha256 hash', async () => {
      const user = await createUser(t, 'viewer', 'Key holder');
      const res = await issueKey(user.id).expect(201);
      const { id, key } = res.body;

      expect(res.body).toEqual({
        id,
        key,
        userId: user.id,
        prefix: key.slice(0, 9),
        createdAt: expect.any(String),
      });
      expect((await me(key).expect(200)).body).toMatchObject({
        id: user.id,
        role: 'viewer',
      });

      expect(await keyRow(id)).toEqual({
        user_id: user.id,
        key_hash: sha256(key),
        prefix: key.slice(0, 9),
        revoked_at: null,
      });
      const secret = key.slice(9); // everything after the stored prefix
      const leaks = await t.db.query(
        'SELECT id FROM api_keys k WHERE strpos(row_to_json(k)::text, $1) > 0 OR strpos(row_to_json(k)::text, $2) > 0',
        [key, secret],
      );
      expect(leaks.rows).toEqual([]);
    });

    it.each(NON_ADMIN_ROLES)('refuses role %s to issue a key with 403 and stores none', async (role) => {
      await expectUnchanged('api_keys', async () => {
        const res = await issueKey(users.viewer.id, users[role].key).expect(403);
        expect(res.body.code).toBe('FORBIDDEN');
      });
    });

    it('answers 404 USER_NOT_FOUND for an unknown user and 400 INVALID_ID for a malformed id', async () => {
      await expectUnchanged('api_keys', async () => {
        expect((await issueKey(randomUUID()).expect(404)).body.code).toBe('USER_NOT_FOUND');
        expect((await issueKey('not-a-uuid').expect(400)).body.code).toBe('INVALID_ID');
      });
    });

    it('lists a user’s keys without the keys or their hashes', async () => {
      const user = await createUser(t, 'operator', 'Two keys');
      const second = (await issueKey(user.id).expect(201)).body.key as string;

      const res = await t.http.get(`/v1/users/${user.id}/api-keys`).set(bearer(t.adminKey)).expect(200);

      expect(res.body).toHaveLength(2);
      for (const item of res.body) {
        expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'prefix', 'revokedAt', 'userId']);
        expect(item).toMatchObject({ userId: user.id, revokedAt: null });
      }
      const text = JSON.stringify(res.body);
      for (const key of [user.key, second]) {
        expect(text).not.toContain(key.slice(9));
        expect(text).not.toContain(sha256(key));
      }
    });

    it.each(NON_ADMIN_ROLES)('refuses role %s to list keys with 403', async (role) => {
      const res = await t.http.get(`/v1/users/${users.viewer.id}/api-keys`).set(bearer(users[role].key)).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    });

    it('revokes a key: 204, the key answers 401 at once, the user’s other key still works', async () => {
      const user = await createUser(t, 'operator', 'Revoked');
      const spare = (await issueKey(user.id).expect(201)).body.key as string;
      const keyId = (await t.db.query('SELECT id FROM api_keys WHERE key_hash = $1', [sha256(user.key)])).rows[0].id;
      await me(user.key).expect(200); // resolved once, so this instance has it cached

      const res = await revokeKey(keyId).expect(204);

      expect(res.text).toBe('');
      expect((await me(user.key).expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await keyRow(keyId)).revoked_at).toBeInstanceOf(Date);
      await me(spare).expect(200);
      expect((await revokeKey(keyId).expect(404)).body.code).toBe('API_KEY_NOT_FOUND');
    });

    it.each([
      {
        what: 'an unknown key id',
        id: randomUUID(),
        status: 404,
        code: 'API_KEY_NOT_FOUND',
      },
      {
        what: 'a malformed key id',
        id: '12345',
        status: 400,
        code: 'INVALID_ID',
      },
    ])('answers the revocation of $what with $status $code', async ({ id, status, code }) => {
      expect((await revokeKey(id).expect(status)).body.code).toBe(code);
    });

    it.each(NON_ADMIN_ROLES)('refuses role %s to revoke a key with 403 and the key keeps working', async (role) => {
      const user = await createUser(t, 'viewer', `Kept by ${role}`);
      const keyId = (await t.db.query('SELECT id FROM api_keys WHERE user_id = $1', [user.id])).rows[0].id;

      expect((await revokeKey(keyId, users[role].key).expect(403)).body.code).toBe('FORBIDDEN');

      expect((await keyRow(keyId)).revoked_at).toBeNull();
      await me(user.key).expect(200);
    });
  });

  describe('ADMIN_API_KEY bootstrap', () => {
    /** The users that hold a key with this text (there must be exactly one). */
    const holders = async (key: string) =>
      (
        await t.db.query('SELECT u.id, u.role FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = $1', [
          sha256(key),
        ])
      ).rows;

    it.each<[string, (register: () => Promise<void>) => Promise<unknown>]>([
      ['twice in a row', async (register) => (await register(), register())],
      ['five times at once', (register) => Promise.all(Array.from({ length: 5 }, register))],
    ])('registers the same key once when called %s', async (_, callRepeatedly) => {
      const key = strayKey();
      const usersBefore = await count('users');

      await callRepeatedly(() => t.app.get(AuthService).ensureAdminKey(key));

      expect(await holders(key)).toEqual([{ id: expect.any(String), role: 'admin' }]);
      expect(await count('users')).toBe(usersBefore + 1);
      expect((await me(key).expect(200)).body.role).toBe('admin');
    });
  });

  describe('GET /v1/users', () => {
    const list = (query: Record<string, unknown>, key = t.adminKey) =>
      t.http.get('/v1/users').query(query).set(bearer(key));

    it('pages an admin through every user, oldest first, each once', async () => {
      for (let i = 0; i < 5; i++) await createUser(t, 'viewer', `listed ${i}`);
      const stored = (await t.db.query('SELECT id, name, role FROM users ORDER BY created_at, id')).rows;
      const first = await list({ limit: 3 }).expect(200);
      expect(first.body.items.map((u: { id: string }) => u.id)).toEqual(stored.slice(0, 3).map((u) => u.id));
      expect(first.body.nextCursor).toBe(stored[2].id);
      const next = await list({ limit: 3, cursor: first.body.nextCursor }).expect(200);
      expect(next.body.items.map((u: { id: string }) => u.id)).toEqual(stored.slice(3, 6).map((u) => u.id));
      const everyone = await allPages(t, t.adminKey, '/v1/users', 4);
      expect(everyone.map(({ id, name, role }) => ({ id, name, role }))).toEqual(stored);
      expect(everyone[0]).toEqual({ ...stored[0], createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
      const whole = await list({ limit: 500 }).expect(200);
      expect(whole.body).toEqual({ items: everyone, nextCursor: null });
    });

    it.each([
      ['limit', { limit: 0 }],
      ['limit', { limit: 501 }],
      ['cursor', { cursor: 'not-a-uuid' }],
    ])('refuses a bad %s (%j) with 400 naming it', async (field, query) => {
      const res = await list(query).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
    });

    it.each(NON_ADMIN_ROLES)('refuses role %s with 403', async (role) => {
      expect((await list({}, users[role].key).expect(403)).body.code).toBe('FORBIDDEN');
    });
  });

  describe('GET /v1/users/me', () => {
    it.each(ALL_ROLES)('answers role %s with its own user', async (role) => {
      const res = await me(users[role].key).expect(200);
      expect(res.body).toMatchObject({ id: users[role].id, role });
    });

    it('answers 401 without a key', async () => {
      expect((await t.http.get('/v1/users/me').expect(401)).body.code).toBe('UNAUTHENTICATED');
    });
  });
});
