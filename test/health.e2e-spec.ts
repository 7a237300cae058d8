import { DataSource } from 'typeorm';
import { bearer, eventually, freePort, startTestApp, TestApp } from '@app/testing';
import { MIGRATIONS } from '../src/database/data-source';
import { CHECKS_REUSED_MS } from '../src/modules/health/readiness.service';

const PROBES = ['/health/live', '/health/ready'];

/** alluse_readiness_check_up by check, from a /metrics page. */
function readinessGauges(metrics: string): Record<string, number> {
  const gauges: Record<string, number> = {};
  for (const m of metrics.matchAll(/^alluse_readiness_check_up\{check="(\w+)"\} (\d+)$/gm)) gauges[m[1]] = Number(m[2]);
  return gauges;
}

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

  it('lists the database, Redis, the queues and the migrations as up when ready, and the cache as hearing invalidations', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.details).toEqual({
      database: { status: 'up' },
      redis: { status: 'up' },
      queues: { status: 'up' },
      migrations: { status: 'up' },
      cache: { status: 'up', invalidations: 'subscribed' },
    });
  });

  it('exports every readiness check as 1 in alluse_readiness_check_up', async () => {
    expect(readinessGauges((await t.http.get('/metrics').expect(200)).text)).toEqual({
      database: 1,
      redis: 1,
      queues: 1,
      migrations: 1,
    });
  });

  it('answers a flood of probes from one run of the checks per second (the database is asked once)', async () => {
    // A spy on the real DataSource (it still runs every query): the database check is its `SELECT 1`.
    const query = jest.spyOn(t.app.get(DataSource), 'query');
    try {
      await new Promise((r) => setTimeout(r, CHECKS_REUSED_MS)); // past the reuse of earlier probes
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: 100 }, () => t.http.get('/health/ready')));
      const elapsed = performance.now() - started;

      expect(answers.map((a) => a.status)).toEqual(Array(100).fill(200));
      const checks = query.mock.calls.filter(([sql]) => sql === 'SELECT 1').length;
      expect(checks).toBeGreaterThanOrEqual(1);
      expect(checks).toBeLessThanOrEqual(Math.floor(elapsed / CHECKS_REUSED_MS) + 1);
    } finally {
      query.mockRestore();
    }
  });

  it('keeps the API behind its key while the probes are open', async () => {
    expect((await t.http.get('/v1/users/me').expect(401)).body.code).toBe('UNAUTHENTICATED');
  });

  describe('with Redis unreachable', () => {
    let down: TestApp;

    beforeAll(async () => {
      down = await startTestApp('health', {
        databaseName: t.databaseName,
        // No queue workers: with Redis gone they could only wait for it (the probes are the point here).
        env: { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, TASKS_RUN_WORKERS: 'false' },
      });
      down.db.on('error', () => undefined); // see above
    });
    afterAll(() => down.close());

    it('answers /health/ready with 503 NOT_READY naming Redis and the queues as down, the database as up', async () => {
      const res = await down.http.get('/health/ready').expect(503);

      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 503,
        code: 'NOT_READY',
        correlationId: res.headers['x-correlation-id'],
        checks: {
          database: { status: 'up' },
          redis: { status: 'down' },
          queues: { status: 'down', queues: expect.arrayContaining(['notifications', 'imports', 'growth']) },
          migrations: { status: 'up' },
          cache: { status: 'up', invalidations: 'lost' }, // reads go on from L1 and the database
        },
      });
      expect(res.body.checks.queues.message).toMatch(/^queues not answering: /);
    });

    it('exports Redis and the queues as 0, the database and migrations as 1', async () => {
      expect(readinessGauges((await down.http.get('/metrics').expect(200)).text)).toEqual({
        database: 1,
        redis: 0,
        queues: 0,
        migrations: 1,
      });
    });

    it('still answers /health/live with 200', async () => {
      expect((await down.http.get('/health/live').expect(200)).body.status).toBe('ok');
    });

    it('keeps serving the API (rate limits are counted in this instance instead)', async () => {
      const res = await down.http.get('/v1/users/me').set(bearer(down.adminKey)).expect(200);
      expect(res.body.role).toBe('admin');
    });
  });

  describe('with a migration not applied', () => {
    let behind: TestApp;
    const latest = new MIGRATIONS[MIGRATIONS.length - 1]().name;

    beforeAll(async () => {
      // Its own database: the schema is all there, but the record says the latest migration is
      // pending, which is what the check reads (schema_migrations, as TypeORM keeps it).
      behind = await startTestApp('health');
      behind.db.on('error', () => undefined); // see above
      await behind.db.query('DELETE FROM schema_migrations WHERE name = $1', [latest]);
    });
    afterAll(() => behind.close());

    it('answers /health/ready with 503 naming the pending migration', async () => {
      const res = await behind.http.get('/health/ready').expect(503);
      expect(res.body).toMatchObject({
        code: 'NOT_READY',
        checks: {
          database: { status: 'up' },
          redis: { status: 'up' },
          queues: { status: 'up' },
          migrations: { status: 'down', pending: [latest], message: `pending migrations: ${latest}` },
        },
      });
    });

    it('exports migrations as 0 and the rest as 1', async () => {
      expect(readinessGauges((await behind.http.get('/metrics').expect(200)).text)).toEqual({
        database: 1,
        redis: 1,
        queues: 1,
        migrations: 0,
      });
    });

    it('is ready again once the migration is recorded (within the second a run is reused)', async () => {
      await behind.db.query('INSERT INTO schema_migrations ("timestamp", name) VALUES ($1, $2)', [
        Number(latest.slice(-13)),
        latest,
      ]);
      await eventually(
        async () => ((await behind.http.get('/health/ready')).status === 200 ? true : undefined),
        'the probe to answer 200',
        5 * CHECKS_REUSED_MS,
      );
    });
  });
});
