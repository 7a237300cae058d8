import Redis from 'ioredis';
import { bearer, startTestApp, TestApp } from '@app/testing';
import { startRedis, type PrivateRedis } from '../scripts/private-servers';
import { AuthRepository } from '../src/modules/auth/auth.repository';
import { AuthService } from '../src/modules/auth/auth.service';
import { generateApiKey, hashApiKey } from '../src/modules/auth/domain/api-key';

const LIMIT = 5;
const RATE_LIMIT_ENV = { RATE_LIMIT_LIMIT: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000' };

/**
 * A new viewer with a key of its own, made without HTTP so that no request is counted; every
 * test starts from a fresh quota.
 */
async function issueKey(t: TestApp): Promise<string> {
  const auth = t.app.get(AuthService);
  const user = await auth.createUser('rate limited viewer', 'viewer');
  return (await auth.issueKey(user.id)).key;
}

const me = (instance: TestApp, key: string) => instance.http.get('/v1/users/me').set(bearer(key));

/** Sends `count` requests one after another and returns their statuses. */
async function statuses(count: number, send: () => PromiseLike<{ status: number }>) {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await send()).status);
  return seen;
}

/** A key nobody was ever issued. */
const badKey = () => generateApiKey();

describe('per-key rate limits (e2e)', () => {
  /** Two instances of the service on one database and one Redis key prefix. */
  let a: TestApp;
  let b: TestApp;
  let redisPrefix: string;
  let redis: Redis;

  beforeAll(async () => {
    a = await startTestApp('ratelimit', { env: RATE_LIMIT_ENV });
    // startTestApp derives REDIS_KEY_PREFIX from the database name; the second instance must use the same one.
    redisPrefix = process.env.REDIS_KEY_PREFIX!;
    b = await startTestApp('ratelimit', {
      databaseName: a.databaseName,
      env: { ...RATE_LIMIT_ENV, REDIS_KEY_PREFIX: redisPrefix },
    });
    // t.close() ends each pool without waiting for its sockets, so its DROP DATABASE ... WITH (FORCE) can
    // terminate them and the pool would re-emit that as an unhandled 'error' failing the last test.
    for (const instance of [a, b]) instance.db.on('error', () => undefined);
    redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  });
  afterAll(async () => {
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await b.close();
    await a.close();
  });

  const freshKey = () => issueKey(a);

  it(`lets ${LIMIT} requests through and answers the next with 429 RATE_LIMITED and Retry-After`, async () => {
    const key = await freshKey();

    expect(await statuses(LIMIT, () => me(a, key))).toEqual(Array(LIMIT).fill(200));
    const refused = await me(a, key).expect(429);

    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      correlationId: refused.headers['x-correlation-id'],
    });
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('keeps counting each key on its own: another key still passes while one is limited', async () => {
    const [limited, other] = [await freshKey(), await freshKey()];
    await statuses(LIMIT, () => me(a, limited));

    await me(a, limited).expect(429);
    expect(await statuses(LIMIT, () => me(a, other))).toEqual(Array(LIMIT).fill(200));
    await me(a, limited).expect(429);
  });

  it('counts a key’s requests to every route against the same quota', async () => {
    const key = await freshKey();
    const routes = ['/v1/users/me', '/v1/portfolios'];
    const send = (n: number) => a.http.get(routes[n % routes.length]).set(bearer(key));

    const seen: number[] = [];
    for (let n = 0; n <= LIMIT; n++) seen.push((await send(n)).status);

    expect(seen).toEqual([...Array(LIMIT).fill(200), 429]);
  });

  it('shares a key’s quota between instances through Redis', async () => {
    const key = await freshKey();

    expect(await statuses(3, () => me(a, key))).toEqual([200, 200, 200]);
    expect(await statuses(LIMIT - 3, () => me(b, key))).toEqual(Array(LIMIT - 3).fill(200));

    expect((await me(b, key).expect(429)).body.code).toBe('RATE_LIMITED');
    expect((await me(a, key).expect(429)).body.code).toBe('RATE_LIMITED');
    expect((await redis.keys(`${redisPrefix}*`)).length).toBeGreaterThan(0);
  });

  it.each(['/health/live', '/health/ready'])('does not limit the probe %s', async (path) => {
    expect(await statuses(2 * LIMIT + 1, () => a.http.get(path))).toEqual(Array(2 * LIMIT + 1).fill(200));
  });
});

const FAILURES = 3;
const FAILURE_ENV = { AUTH_FAILURE_LIMIT: String(FAILURES), AUTH_FAILURE_WINDOW_MS: '60000' };

describe('failed authentications, per client address (e2e)', () => {
  describe('behind a trusted proxy (TRUST_PROXY=127.0.0.1)', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('authfail', { env: { ...FAILURE_ENV, TRUST_PROXY: '127.0.0.1' } });
    });
    afterAll(() => t.close());

    const from = (address: string, key: string) => me(t, key).set('x-forwarded-for', address);

    it(`answers ${FAILURES} bad keys from one address with 401, then refuses it with 429 and Retry-After, a valid key included`, async () => {
      const valid = await issueKey(t);
      expect(await statuses(FAILURES, () => from('203.0.113.7', badKey()))).toEqual(Array(FAILURES).fill(401));

      const refused = await from('203.0.113.7', badKey()).expect(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
      // The guess is not even looked at: a right one gets the same answer.
      expect((await from('203.0.113.7', valid).expect(429)).body.code).toBe('RATE_LIMITED');
    });

    it('leaves another address alone', async () => {
      const valid = await issueKey(t);
      expect(await statuses(FAILURES + 1, () => from('203.0.113.8', badKey()))).toEqual([
        ...Array(FAILURES).fill(401),
        429,
      ]);
      expect((await from('198.51.100.9', valid).expect(200)).body.role).toBe('viewer');
      expect(await statuses(FAILURES, () => from('198.51.100.9', badKey()))).toEqual(Array(FAILURES).fill(401));
    });

    it('counts a missing key as no guess', async () => {
      expect(
        await statuses(FAILURES + 2, () => t.http.get('/v1/users/me').set('x-forwarded-for', '192.0.2.44')),
      ).toEqual(Array(FAILURES + 2).fill(401));
    });
  });

  describe('without TRUST_PROXY', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('authfail', { env: FAILURE_ENV });
    });
    afterAll(() => t.close());

    it('ignores X-Forwarded-For: every guess counts against the socket’s address', async () => {
      const valid = await issueKey(t);
      const spoofed = (n: number, key: string) => me(t, key).set('x-forwarded-for', `203.0.113.${n}`);
      const seen: number[] = [];
      for (let n = 1; n <= FAILURES + 1; n++) seen.push((await spoofed(n, badKey())).status);
      expect(seen).toEqual([...Array(FAILURES).fill(401), 429]);
      expect((await spoofed(99, valid).expect(429)).body.code).toBe('RATE_LIMITED');
    });
  });

  describe('the key cache', () => {
    let t: TestApp;
    beforeAll(async () => {
      // A TTL longer than the flood takes, so that only an eviction could make the key be looked up again.
      t = await startTestApp('keycache', { env: { AUTH_KEY_CACHE_TTL_MS: '600000' } });
    });
    afterAll(() => t.close());

    it('keeps a valid key resolved through 10,000 bad ones (answered from the cache after it is revoked in the database)', async () => {
      const key = await issueKey(t);
      await me(t, key).expect(200); // resolved and cached
      const auth = t.app.get(AuthService);
      for (let i = 0; i < 10_000; i += 100) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(badKey())));
        expect(batch.every((p) => p === undefined)).toBe(true);
      }
      // Revoked behind the service's back: only a cached answer can still say yes.
      const revoked = await t.db.query('UPDATE api_keys SET revoked_at = now() WHERE key_hash = $1', [hashApiKey(key)]);
      expect(revoked.rowCount).toBe(1);
      const lookups = jest.spyOn(t.app.get(AuthRepository), 'findPrincipalByKeyHash');
      try {
        expect((await me(t, key).expect(200)).body.role).toBe('viewer');
        expect(lookups).not.toHaveBeenCalled();
      } finally {
        lookups.mockRestore();
      }
    });

    it('remembers an unknown key without asking the database again', async () => {
      const key = badKey();
      const auth = t.app.get(AuthService);
      const lookups = jest.spyOn(t.app.get(AuthRepository), 'findPrincipalByKeyHash');
      try {
        expect(await auth.authenticate(key)).toBeUndefined();
        expect(await auth.authenticate(key)).toBeUndefined();
        expect(lookups).toHaveBeenCalledTimes(1);
      } finally {
        lookups.mockRestore();
      }
    });
  });
});

describe('rate limits while Redis is down (e2e)', () => {
  let redis: PrivateRedis;
  let t: TestApp;

  beforeAll(async () => {
    redis = await startRedis();
    t = await startTestApp('ratelimitdown', {
      // An API instance on a Redis of its own, which this test kills.
      env: { ...RATE_LIMIT_ENV, ...FAILURE_ENV, REDIS_URL: redis.url, TASKS_RUN_WORKERS: 'false' },
    });
    await me(t, await issueKey(t)).expect(200); // counted in Redis
    await redis.stop();
  });
  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it(`still refuses a key past its ${LIMIT} requests, counting in this instance`, async () => {
    const key = await issueKey(t);
    expect(await statuses(LIMIT + 1, () => me(t, key))).toEqual([...Array(LIMIT).fill(200), 429]);
    expect((await me(t, key).expect(429)).body.code).toBe('RATE_LIMITED');
    const other = await issueKey(t);
    await me(t, other).expect(200);
  });

  it(`still refuses an address past its ${FAILURES} failed authentications`, async () => {
    expect(await statuses(FAILURES + 1, () => me(t, badKey()))).toEqual([...Array(FAILURES).fill(401), 429]);
  });
});
