import Redis from 'ioredis';
import { bearer, startTestApp, TestApp } from '@app/testing';
import { AuthService } from '../src/modules/auth/auth.service';

const LIMIT = 5;
const RATE_LIMIT_ENV = { RATE_LIMIT_LIMIT: String(LIMIT), RATE_LIMIT_WINDOW_MS: '60000' };

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

  /**
   * A new viewer with a key of its own, made without HTTP so that no request is counted; every
   * test starts from a fresh quota.
   */
  async function freshKey(): Promise<string> {
    const auth = a.app.get(AuthService);
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
