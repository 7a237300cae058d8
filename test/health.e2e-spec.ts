import { bearer, freePort, startTestApp, TestApp } from '@app/testing';

const PROBES = ['/health/live', '/health/ready'];

describe('health probes (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('health');
    // t.close() ends this pool without waiting for its sockets, so its DROP DATABASE ... WITH (FORCE) can
    // terminate them and the pool would re-emit that as an unhandled 'error' failing the last test.
    t.db.on('error', () => undefined);
  });
  afterAll(() => t.close());

  it.each(PROBES)('answers %s with 200 without an API key', async (path) => {
    expect((await t.http.get(path).expect(200)).body.status).toBe('ok');
  });

  it.each(PROBES)('answers %s with 200 even with a key that was never issued', async (path) => {
    await t.http.get(path).set(bearer('au_not-a-key-that-was-ever-issued')).expect(200);
  });

  it('lists the database and Redis as up when ready, and the cache as hearing invalidations', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.details).toEqual({
      database: { status: 'up' },
      redis: { status: 'up' },
      cache: { status: 'up', invalidations: 'subscribed' },
    });
  });

  it('keeps the API behind its key while the probes are open', async () => {
    expect((await t.http.get('/v1/users/me').expect(401)).body.code).toBe('UNAUTHENTICATED');
  });

  describe('with Redis unreachable', () => {
    let down: TestApp;

    beforeAll(async () => {
      const redisUrl = process.env.REDIS_URL;
      down = await startTestApp('health', {
        databaseName: t.databaseName,
        // No queue workers: with Redis gone they could only wait for it (the probes are the point here).
        env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, TASKS_RUN_WORKERS: 'false' },
      });
      down.db.on('error', () => undefined); // see above
      // startTestApp writes its env into process.env; later apps in this file must not inherit the dead Redis.
      if (redisUrl === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = redisUrl;
    });
    afterAll(() => down.close());

    it('answers /health/ready with 503 NOT_READY naming Redis as down and the database as up', async () => {
      const res = await down.http.get('/health/ready').expect(503);

      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 503,
        code: 'NOT_READY',
        correlationId: res.headers['x-correlation-id'],
        checks: {
          database: { status: 'up' },
          redis: { status: 'down' },
          cache: { status: 'up', invalidations: 'lost' }, // reads go on from L1 and the database
        },
      });
    });

    it('still answers /health/live with 200', async () => {
      expect((await down.http.get('/health/live').expect(200)).body.status).toBe('ok');
    });

    it('keeps serving the API (rate limits are not enforced rather than failing requests)', async () => {
      const res = await down.http.get('/v1/users/me').set(bearer(down.adminKey)).expect(200);
      expect(res.body.role).toBe('admin');
    });
  });
});
