import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bearer,
  createUser,
  eventually,
  freePort,
  openPortfolio,
  premiumWithoutEvent,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { DataSource } from 'typeorm';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { TasksProducer } from '../src/modules/async-tasks/tasks.producer';

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** What one scrape says: the sum of the samples of `name` whose labels include `labels`. */
class Scrape {
  constructor(readonly samples: Sample[]) {}

  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  matching(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }
}

/** Apps that serve their metrics on METRICS_PORT: scraped there, where everything is. */
const metricsPorts = new Map<TestApp, number>();

async function scrape(t: TestApp): Promise<Scrape> {
  const port = metricsPorts.get(t);
  if (port) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    return new Scrape(parseMetrics(await res.text()));
  }
  const res = await t.http.get('/metrics').expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return new Scrape(parseMetrics(res.text));
}

/** The difference `name{labels}` shows between two scrapes. */
const delta = (before: Scrape, after: Scrape, name: string, labels: Record<string, string> = {}) =>
  after.value(name, labels) - before.value(name, labels);

/** Every variable any app of this file sets: startTestApp writes its env into process.env, so each app states all of them. */
const env = (overrides: Record<string, string> = {}) => ({
  METRICS_ENABLED: 'true',
  METRICS_REFRESH_MS: '100',
  DATABASE_SLOW_QUERY_MS: '60000',
  TASKS_RUN_WORKERS: 'true',
  TASKS_NOTIFICATIONS_ATTEMPTS: '2',
  TASKS_NOTIFICATIONS_BACKOFF_MS: '100',
  OUTBOUND_ALLOW: '127.0.0.1', // the failing webhook destination is a local server
  METRICS_PORT: '',
  ...overrides,
});

/**
 * The Prometheus metrics end to end, against real PostgreSQL and Redis: every assertion is a
 * difference between two scrapes of /metrics around a real action. The apps of this file share
 * one process, hence one registry: the app with METRICS_ENABLED=false runs first, alone.
 */
describe('metrics (e2e)', () => {
  describe('with METRICS_ENABLED=false', () => {
    let off: TestApp;

    beforeAll(async () => {
      off = await startTestApp('metrics', { env: env({ METRICS_ENABLED: 'false' }) });
    });
    afterAll(() => off.close());

    it('exports no HTTP samples and no query timings, and /metrics still answers', async () => {
      await off.http.get('/v1/users/me').set(bearer(off.adminKey)).expect(200);
      await off.http.get('/v1/users/me').expect(401);
      await off.http.get('/no/such/route').expect(404);
      const s = await scrape(off);
      expect(s.matching('alluse_http_requests_total')).toEqual([]);
      expect(s.matching('alluse_http_request_duration_seconds_count')).toEqual([]);
      expect(s.matching('alluse_db_query_duration_seconds_count')).toEqual([]);
      // The rest is still there.
      expect(s.value('alluse_db_pool_max_connections')).toBe(10);
      expect(s.matching('alluse_queue_waiting_limit')).not.toEqual([]);
    });
  });

  describe('with METRICS_ENABLED=true', () => {
    let t: TestApp;
    let manager: TestUser;
    let p: Awaited<ReturnType<typeof openPortfolio>>;

    beforeAll(async () => {
      // Served on a metrics port of its own, like production behind a public Service.
      const metricsPort = await freePort();
      t = await startTestApp('metrics', { env: env({ METRICS_PORT: String(metricsPort) }) });
      metricsPorts.set(t, metricsPort);
      manager = await createUser(t, 'manager');
      p = await openPortfolio(t, manager.key, {
        name: 'metrics',
        initialCapital: '10000.00',
        forkThreshold: '1000.00',
        mergeThreshold: '5000.00',
      });
    });
    afterAll(() => t.close());

    const post = (path: string, body: object = {}) => t.http.post(path).set(bearer(manager.key)).send(body);

    describe('where they are served', () => {
      it('serves everything on METRICS_PORT: the catalog, money totals, readiness and the process', async () => {
        const s = await scrape(t);
        for (const name of [
          'alluse_ledger_amount_cents_total',
          'alluse_ledger_transactions_total',
          'alluse_readiness_check_up',
          'alluse_db_pool_max_connections',
          'alluse_process_cpu_seconds_total',
        ]) {
          expect(s.matching(name)).not.toEqual([]);
        }
        expect((await fetch(`http://127.0.0.1:${metricsPorts.get(t)}/other`)).status).toBe(404);
      });

      it('answers /metrics on the public port with 404 once METRICS_PORT is set', async () => {
        const res = await t.http.get('/metrics').expect(404);
        expect(res.body.code).toBe('ROUTE_NOT_FOUND');
      });

      describe('without METRICS_PORT', () => {
        let open: TestApp;
        beforeAll(async () => {
          open = await startTestApp('metrics', {
            databaseName: t.databaseName,
            env: env({ TASKS_RUN_WORKERS: 'false', METRICS_REFRESH_MS: '3600000' }),
          });
        });
        afterAll(() => open.close());

        it('serves the public /metrics without money totals', async () => {
          await post(`/v1/accounts/${p.gen}/deposits`, { amount: '1.00' }).expect(201);
          const res = await open.http.get('/metrics').expect(200);
          expect(res.text).toMatch(/^alluse_ledger_transactions_total\{kind="DEPOSIT"\} [1-9]/m);
          expect(res.text).not.toContain('alluse_ledger_amount_cents_total');
          expect(res.text).not.toMatch(/_cents/);
        });
      });
    });

    describe('HTTP', () => {
      it('counts and times answers by method, route template and status, guard refusals and unknown URLs included', async () => {
        const before = await scrape(t);
        await t.http.get(`/v1/accounts/${p.gen}`).set(bearer(manager.key)).expect(200);
        await t.http.get(`/v1/accounts/${p.gen}`).set(bearer(manager.key)).expect(200);
        await t.http.get(`/v1/accounts/${p.rev}`).expect(401); // refused by the global AuthGuard
        await t.http.get(`/v1/no-such-thing/${p.gen}`).set(bearer(manager.key)).expect(404);
        await post(`/v1/accounts/${p.rev}/fork`).expect(422); // a REV account does not fork
        const after = await scrape(t);

        const account = { method: 'GET', route: '/v1/accounts/:id' };
        expect(delta(before, after, 'alluse_http_requests_total', { ...account, status: '200' })).toBe(2);
        expect(delta(before, after, 'alluse_http_request_duration_seconds_count', { ...account, status: '200' })).toBe(
          2,
        );
        expect(
          delta(before, after, 'alluse_http_request_duration_seconds_sum', { ...account, status: '200' }),
        ).toBeGreaterThan(0);
        // Each observation lands in the +Inf bucket; the buckets are cumulative.
        expect(
          delta(before, after, 'alluse_http_request_duration_seconds_bucket', {
            ...account,
            status: '200',
            le: '+Inf',
          }),
        ).toBe(2);
        expect(delta(before, after, 'alluse_http_requests_total', { ...account, status: '401' })).toBe(1);
        expect(
          delta(before, after, 'alluse_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
        ).toBe(1);
        expect(
          delta(before, after, 'alluse_http_requests_total', {
            method: 'POST',
            route: '/v1/accounts/:id/fork',
            status: '422',
          }),
        ).toBe(1);
      });

      it('labels routes by template only, and does not count the scrapes themselves', async () => {
        await scrape(t);
        const s = await scrape(t);
        const routes = new Set(s.matching('alluse_http_requests_total').map((x) => x.labels.route));
        expect(routes.has('/metrics')).toBe(false);
        for (const route of routes) expect(route).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // no raw ids
      });
    });

    describe('ledger', () => {
      it('counts each committed transaction by kind with the exact amount in cents', async () => {
        const before = await scrape(t);
        await post(`/v1/accounts/${p.gen}/deposits`, { amount: '12.34' }).expect(201);
        await post(`/v1/accounts/${p.rev}/premiums`, { amount: '0.56' }).expect(201);
        await post(`/v1/accounts/${p.rev}/premiums`, { amount: '100.00' }).expect(201);
        await post(`/v1/accounts/${p.rev}/withdrawals`, { amount: '999999999.00' }).expect(422); // refused: not counted
        const after = await scrape(t);

        expect(delta(before, after, 'alluse_ledger_transactions_total', { kind: 'DEPOSIT' })).toBe(1);
        expect(delta(before, after, 'alluse_ledger_amount_cents_total', { kind: 'DEPOSIT' })).toBe(1234);
        expect(delta(before, after, 'alluse_ledger_transactions_total', { kind: 'PREMIUM' })).toBe(2);
        expect(delta(before, after, 'alluse_ledger_amount_cents_total', { kind: 'PREMIUM' })).toBe(10056);
        expect(delta(before, after, 'alluse_ledger_transactions_total', { kind: 'WITHDRAWAL' })).toBe(0);
        // Every kind is exported from the start, at 0 until it happens.
        expect(after.matching('alluse_ledger_transactions_total', { kind: 'MERGE' })).toHaveLength(1);
      });

      it("counts a portfolio's opening deposit with its whole capital", async () => {
        const before = await scrape(t);
        await openPortfolio(t, manager.key, { name: 'capital', initialCapital: '2500.01' });
        const after = await scrape(t);
        expect(delta(before, after, 'alluse_ledger_transactions_total', { kind: 'DEPOSIT' })).toBe(1);
        expect(delta(before, after, 'alluse_ledger_amount_cents_total', { kind: 'DEPOSIT' })).toBe(250001);
      });
    });

    describe('book gauges', () => {
      it('follow the database in the background, with absent combinations at 0', async () => {
        const counts = async () => {
          const { rows } = await t.db.query(
            `SELECT (SELECT count(*)::int FROM portfolios) AS portfolios,
                    (SELECT count(*)::int FROM accounts WHERE type = 'GEN' AND status = 'ACTIVE') AS gen`,
          );
          return rows[0] as { portfolios: number; gen: number };
        };
        const settled = async (what: string) => {
          const expected = await counts();
          return eventually(async () => {
            const s = await scrape(t);
            return s.value('alluse_portfolios') === expected.portfolios &&
              s.value('alluse_accounts', { type: 'GEN', status: 'ACTIVE' }) === expected.gen
              ? s
              : undefined;
          }, what);
        };
        const before = await settled('the gauges to show the book');
        await openPortfolio(t, manager.key, { name: 'counted', initialCapital: '1000.00' });
        const after = await settled('the gauges to show the new portfolio');

        expect(delta(before, after, 'alluse_portfolios')).toBe(1);
        for (const type of ['GEN', 'REV', 'COM']) {
          expect(delta(before, after, 'alluse_accounts', { type, status: 'ACTIVE' })).toBe(1);
        }
        expect(after.matching('alluse_accounts', { type: 'COM', status: 'CLOSED' })).toEqual([
          expect.objectContaining({ value: 0 }),
        ]);
        expect(after.matching('alluse_units', { status: 'MERGED' })).toHaveLength(1);
        expect(after.matching('alluse_accounts')).toHaveLength(12); // 3 types × 4 statuses
      });
    });

    describe('growth engine', () => {
      /**
       * A portfolio whose GEN account has a surplus waiting for a request. The automatic fork check
       * its opening deposit queues has run first (and found nothing), so only the request forks.
       */
      const withSurplus = async () => {
        const q = await openPortfolio(t, manager.key, {
          name: 'growth',
          initialCapital: '10000.00',
          forkThreshold: '1000.00',
          mergeThreshold: '5000.00',
        });
        const growth = t.app.get(QueueRegistry).get('growth');
        await eventually(
          async () => ((await growth.getCompleted()).some((job) => job.data.accountId === q.gen) ? true : undefined),
          'the automatic fork check of the opening',
        );
        await premiumWithoutEvent(t.db, q.id, q.gen, 150_000n); // no event: no automatic check
        return q;
      };
      const ops = (s: Scrape, operation: string) => ({
        done: s.value('alluse_growth_operations_total', { operation }),
        failed: s.value('alluse_growth_operation_failures_total', { operation }),
        timed: s.value('alluse_growth_operation_duration_seconds_count', { operation }),
      });

      it('exports every failure counter from the start', async () => {
        const s = await scrape(t);
        for (const operation of ['fork', 'merge', 'reinvestment']) {
          expect(s.matching('alluse_growth_operation_failures_total', { operation })).toHaveLength(1);
        }
      });

      it('counts a fork with its trigger and duration; a refusal is neither done nor failed', async () => {
        const q = await withSurplus();
        const before = await scrape(t);
        await post(`/v1/accounts/${q.gen}/fork`).expect(201);
        await post(`/v1/accounts/${q.gen}/fork`).expect(422); // nothing left to fork
        const after = await scrape(t);

        expect(delta(before, after, 'alluse_growth_operations_total', { operation: 'fork', trigger: 'user' })).toBe(1);
        expect(ops(after, 'fork').timed - ops(before, 'fork').timed).toBe(1);
        expect(
          delta(before, after, 'alluse_growth_operation_duration_seconds_sum', { operation: 'fork' }),
        ).toBeGreaterThan(0);
        expect(ops(after, 'fork').failed - ops(before, 'fork').failed).toBe(0);
        expect(delta(before, after, 'alluse_ledger_amount_cents_total', { kind: 'FORK' })).toBe(150_000);
      });

      it('counts a fork that fails unexpectedly (the database refuses its unit) as a failure', async () => {
        const q = await withSurplus();
        // A real failure inside the fork's transaction: PostgreSQL refuses the unit row.
        await t.db.query(`
          CREATE FUNCTION metrics_test_refuse_units() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'units are refused by this test'; END $$;
          CREATE TRIGGER metrics_test_refuse_units BEFORE INSERT ON units
            FOR EACH ROW EXECUTE FUNCTION metrics_test_refuse_units();`);
        try {
          const before = await scrape(t);
          await post(`/v1/accounts/${q.gen}/fork`).expect(500);
          const after = await scrape(t);
          expect(ops(after, 'fork').failed - ops(before, 'fork').failed).toBe(1);
          expect(ops(after, 'fork').done - ops(before, 'fork').done).toBe(0);
        } finally {
          await t.db.query(
            `DROP TRIGGER metrics_test_refuse_units ON units; DROP FUNCTION metrics_test_refuse_units();`,
          );
        }
      });

      it('counts a reinvestment a user asks for', async () => {
        const before = await scrape(t);
        await post(`/v1/accounts/${p.rev}/reinvestments`, { amount: '10.00' }).expect(201);
        await post(`/v1/accounts/${p.gen}/reinvestments`, { amount: '10.00' }).expect(422); // GEN does not reinvest
        const after = await scrape(t);
        expect(
          delta(before, after, 'alluse_growth_operations_total', { operation: 'reinvestment', trigger: 'user' }),
        ).toBe(1);
        expect(ops(after, 'reinvestment').failed - ops(before, 'reinvestment').failed).toBe(0);
        expect(delta(before, after, 'alluse_ledger_amount_cents_total', { kind: 'REINVESTMENT' })).toBe(1000);
      });
    });

    describe('database', () => {
      it('shows a plausible pool', async () => {
        const s = await scrape(t);
        expect(s.value('alluse_db_pool_max_connections')).toBe(10); // DATABASE_POOL_SIZE of startTestApp
        const total = s.value('alluse_db_pool_total_connections');
        expect(total).toBeGreaterThanOrEqual(1);
        expect(total).toBeLessThanOrEqual(10);
        expect(s.value('alluse_db_pool_idle_connections')).toBeLessThanOrEqual(total);
        expect(s.value('alluse_db_pool_waiting_clients')).toBeGreaterThanOrEqual(0);
      });

      it('times every statement by verb; none is slow below DATABASE_SLOW_QUERY_MS', async () => {
        const before = await scrape(t);
        await t.app.get(DataSource).query('SELECT 1');
        await openPortfolio(t, manager.key, { name: 'timed', initialCapital: '1000.00' }); // one database transaction
        const after = await scrape(t);
        const count = (operation: string) =>
          delta(before, after, 'alluse_db_query_duration_seconds_count', { operation });
        expect(count('select')).toBeGreaterThanOrEqual(2); // SELECT 1, and the ledger_post call
        expect(count('insert')).toBeGreaterThanOrEqual(1); // the portfolio
        expect(count('transaction')).toBeGreaterThanOrEqual(2); // its START TRANSACTION and COMMIT
        expect(delta(before, after, 'alluse_db_query_duration_seconds_sum')).toBeGreaterThan(0);
        expect(delta(before, after, 'alluse_db_slow_queries_total')).toBe(0);
      });
    });

    describe('queues and tasks', () => {
      const hooks: Server[] = [];
      afterAll(() => Promise.all(hooks.map((h) => new Promise((resolve) => h.close(resolve)))));

      /** A local webhook destination that answers every call with `status`. */
      const destination = async (status: number) => {
        const server = createServer((req, res) => {
          req.resume();
          req.on('end', () => {
            res.statusCode = status;
            res.end('{}');
          });
        });
        hooks.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      };
      const task = async (id: string) => (await t.http.get(`/v1/tasks/${id}`).set(bearer(t.adminKey)).expect(200)).body;

      it("exports every queue's jobs by state and its waiting limit", async () => {
        const s = await scrape(t);
        expect(s.value('alluse_queue_waiting_limit', { queue: 'notifications' })).toBe(50_000);
        expect(s.value('alluse_queue_waiting_limit', { queue: 'projections' })).toBe(100);
        for (const queue of ['notifications', 'imports', 'growth', 'reinvestments', 'projections', 'diagnostics']) {
          expect(s.matching('alluse_queue_jobs', { queue })).toHaveLength(7);
          expect(s.matching('alluse_queue_dead_letters', { queue })).toHaveLength(1);
          expect(s.matching('alluse_task_failures_total', { queue })).toHaveLength(1);
        }
      });

      it("times a task's attempt", async () => {
        const before = await scrape(t);
        const res = await t.http
          .post('/v1/admin/tasks/diagnostics')
          .set(bearer(t.adminKey))
          .send({ mode: 'noop' })
          .expect(202);
        await eventually(async () => ((await task(res.body.id)).state === 'completed' ? true : undefined), 'the task');
        const after = await eventually(async () => {
          const s = await scrape(t);
          return delta(before, s, 'alluse_queue_jobs', { queue: 'diagnostics', state: 'completed' }) === 1
            ? s
            : undefined;
        }, 'the completed count');
        const labels = { queue: 'diagnostics', outcome: 'completed' };
        expect(delta(before, after, 'alluse_task_duration_seconds_count', labels)).toBe(1);
        expect(delta(before, after, 'alluse_task_failures_total', { queue: 'diagnostics' })).toBe(0);
      });

      it('counts each failed attempt, and the dead letter once its attempts are used up', async () => {
        const url = await destination(500);
        const before = await scrape(t);
        const { id } = await t.app
          .get(TasksProducer)
          .add('notifications', 'test', { channel: 'webhook', url, event: 'metrics.test', data: {} }, {});
        const after = await eventually(async () => {
          const s = await scrape(t);
          // The counter moves when the worker hears of the failure; the gauge at the next scrape after the job is in the failed set.
          const counted = delta(before, s, 'alluse_task_dead_letters_total', { queue: 'notifications' }) === 1;
          return counted && delta(before, s, 'alluse_queue_dead_letters', { queue: 'notifications' }) === 1
            ? s
            : undefined;
        }, 'the dead letter');
        expect((await task(id)).state).toBe('failed');
        expect(delta(before, after, 'alluse_task_failures_total', { queue: 'notifications' })).toBe(2); // TASKS_NOTIFICATIONS_ATTEMPTS
        expect(
          delta(before, after, 'alluse_task_duration_seconds_count', { queue: 'notifications', outcome: 'failed' }),
        ).toBe(2);
        expect(delta(before, after, 'alluse_queue_dead_letters', { queue: 'notifications' })).toBe(1);
        expect(delta(before, after, 'alluse_queue_jobs', { queue: 'notifications', state: 'failed' })).toBe(1);
      });
    });

    describe('a slow statement (DATABASE_SLOW_QUERY_MS=0)', () => {
      let slow: TestApp;

      beforeAll(async () => {
        slow = await startTestApp('metrics', {
          databaseName: t.databaseName,
          env: env({ DATABASE_SLOW_QUERY_MS: '0', TASKS_RUN_WORKERS: 'false', METRICS_REFRESH_MS: '3600000' }),
        });
      });
      afterAll(() => slow.close());

      it('is counted by verb', async () => {
        const before = await scrape(slow);
        await slow.app.get(DataSource).query('SELECT 1');
        await slow.app.get(DataSource).query("UPDATE portfolios SET name = name WHERE name = 'no such portfolio'");
        const after = await scrape(slow);
        expect(delta(before, after, 'alluse_db_slow_queries_total', { operation: 'select' })).toBeGreaterThanOrEqual(1);
        expect(delta(before, after, 'alluse_db_slow_queries_total', { operation: 'update' })).toBe(1);
      });
    });

    describe('with Redis unreachable', () => {
      let down: TestApp;
      beforeAll(async () => {
        down = await startTestApp('metrics', {
          databaseName: t.databaseName,
          env: env({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, TASKS_RUN_WORKERS: 'false' }),
        });
        down.db.on('error', () => undefined);
      });
      afterAll(() => down.close());

      it('still answers the scrape (the queue collector gives up after its timeout)', async () => {
        await scrape(down); // a second scrape while the first one's queue counts still wait for Redis
        const s = await scrape(down);
        expect(s.value('alluse_db_pool_max_connections')).toBe(10);
        expect(s.matching('alluse_queue_waiting_limit', { queue: 'diagnostics' })).toHaveLength(1);
      });
    });
  });
});
