import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  bearer,
  createTestDatabase,
  createUser,
  databaseUrl,
  dropTestDatabase,
  freePort,
  ledgerViolations,
  openPortfolio,
  startTestApp,
  TestApp,
} from '@app/testing';

/**
 * The built service as operators run it (`node dist/src/main.js`): configuration checked at boot,
 * JSON logs carrying the correlation id, and a graceful shutdown that lets in-flight requests end.
 */
const MAIN = join(__dirname, '../dist/main.js');
const WORKER = join(__dirname, '../dist/worker.js');
const ADMIN_KEY = 'au_process_spec_admin_key_0123456789abcdef';

function start(env: Record<string, string>, entry = MAIN) {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', WORKER_METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, lines: () => out.split('\n').filter(Boolean), exited };
}

async function waitFor<T>(probe: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the service process (e2e)', () => {
  it('refuses to start with a bad variable, naming it', async () => {
    const { lines, exited } = start({ PORT: 'eighty' });
    expect(await exited).toBe(2);
    expect(lines().join('\n')).toContain('PORT must be a whole number');
  });

  describe('running', () => {
    let database: string;
    let service: ReturnType<typeof start>;
    let base: string;

    beforeAll(async () => {
      database = await createTestDatabase('process');
      service = start({
        DATABASE_URL: databaseUrl(database),
        ADMIN_API_KEY: ADMIN_KEY,
        REDIS_KEY_PREFIX: `test:${database}:`,
      });
      base = await waitFor(() => {
        for (const line of service.lines()) {
          const match = /listening on (http:\/\/[\d.:]+)/.exec(line);
          if (match) return match[1];
        }
        return undefined;
      }, 'the service to listen');
    });
    afterAll(async () => {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      await dropTestDatabase(database);
    });

    const call = (path: string, init: RequestInit = {}) =>
      fetch(base + path, {
        ...init,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...init.headers },
      });

    it('writes JSON log lines that carry the request’s correlation id', async () => {
      const res = await call('/v1/users/me', { headers: { 'x-correlation-id': 'process-spec-1' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-correlation-id')).toBe('process-spec-1');
      const entry = await waitFor(
        () =>
          service
            .lines()
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l) as Record<string, unknown>)
            .find((l) => l.correlationId === 'process-spec-1'),
        'the request log line',
      );
      expect(entry).toMatchObject({ level: 'info', method: 'GET', route: '/v1/users/me', status: 200 });
      expect(typeof entry.time).toBe('string');
    });

    it('lets an in-flight movement finish on SIGTERM, then exits cleanly', async () => {
      const opened = await (
        await call('/v1/portfolios', {
          method: 'POST',
          body: JSON.stringify({ name: 'Shutdown', initialCapital: '100.00' }),
        })
      ).json();
      const gen = (opened as { accounts: { id: string }[] }).accounts[0].id;

      // Hold the account's row lock so that the deposit is still running when SIGTERM arrives.
      const blocker = new Client({ connectionString: databaseUrl(database) });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [gen]);
      const deposit = call(`/v1/accounts/${gen}/deposits`, {
        method: 'POST',
        body: JSON.stringify({ amount: '1.00' }),
      });
      await new Promise((r) => setTimeout(r, 300));

      service.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(service.child.exitCode).toBeNull(); // still draining the deposit
      await blocker.query('COMMIT');
      await blocker.end();

      const res = await deposit;
      expect(res.status).toBe(201);
      expect(await service.exited).toBe(0);
      await expect(fetch(`${base}/health/live`)).rejects.toThrow();
      const check = new Client({ connectionString: databaseUrl(database) });
      await check.connect();
      const { rows } = await check.query('SELECT cash::text FROM accounts WHERE id = $1', [gen]);
      await check.end();
      expect(rows[0].cash).toBe('4100');
    });
  });

  describe('worker process', () => {
    let api: TestApp;
    let worker: ReturnType<typeof start>;
    let metricsPort: number;

    beforeAll(async () => {
      // The API runs no workers: only the separate worker process can run the tasks.
      api = await startTestApp('worker', { env: { TASKS_RUN_WORKERS: 'false' } });
      metricsPort = await freePort();
      worker = start(
        {
          DATABASE_URL: databaseUrl(api.databaseName),
          REDIS_KEY_PREFIX: `test:${api.databaseName}:`,
          TASKS_SHUTDOWN_GRACE_MS: '20000',
          WORKER_METRICS_PORT: String(metricsPort),
        },
        WORKER,
      );
      await waitFor(() => (worker.lines().some((l) => l.includes('workers running')) ? true : undefined), 'the worker');
    });
    afterAll(async () => {
      if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
      await api.close();
    });

    const submit = async (body: object) =>
      (await api.http.post('/v1/admin/tasks/diagnostics').set(bearer(api.adminKey)).send(body).expect(202)).body
        .id as string;
    const state = async (id: string) =>
      (await api.http.get(`/v1/tasks/${id}`).set(bearer(api.adminKey)).expect(200)).body as { state: string };

    it('runs the tasks the API submits, and finishes a running one on SIGTERM before exiting', async () => {
      const quick = await submit({ mode: 'noop' });
      for (let i = 0; i < 400 && (await state(quick)).state !== 'completed'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect((await state(quick)).state).toBe('completed');

      // The worker has no API, but serves the metrics of the tasks it runs.
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const completed = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith('alluse_task_duration_seconds_count{') &&
            l.includes('queue="diagnostics"') &&
            l.includes('outcome="completed"'),
        );
      expect(Number(completed?.split(' ').pop())).toBeGreaterThanOrEqual(1);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);

      const long = await submit({ mode: 'wait', durationMs: 1500 });
      for (let i = 0; i < 200 && (await state(long)).state !== 'active'; i++)
        await new Promise((r) => setTimeout(r, 25));
      expect((await state(long)).state).toBe('active');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(await state(long)).toMatchObject({ state: 'completed' });
    });
  });

  describe('an import whose worker is killed', () => {
    let api: TestApp;
    const workers: ReturnType<typeof start>[] = [];
    const startWorker = () => {
      const worker = start(
        {
          DATABASE_URL: databaseUrl(api.databaseName),
          REDIS_KEY_PREFIX: `test:${api.databaseName}:`,
          // A killed worker's job is taken over once its lock lapses: keep that short here.
          TASKS_LOCK_DURATION_MS: '1000',
        },
        WORKER,
      );
      workers.push(worker);
      return worker;
    };

    beforeAll(async () => {
      api = await startTestApp('killimport', { env: { TASKS_RUN_WORKERS: 'false' } });
    });
    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await api.close();
    });

    it('finishes after two restarts with every line applied exactly once', async () => {
      const manager = await createUser(api, 'manager');
      const p = await openPortfolio(api, manager.key, { name: 'Killed', initialCapital: '1000.00' });
      const targets = [p.gen, p.rev, p.com];
      const LINES = 6_000;
      const file = Array.from({ length: LINES }, (_, i) =>
        JSON.stringify({ kind: 'PREMIUM', accountId: targets[i % 3], amount: '0.01' }),
      ).join('\n');
      const submitted = await api.http
        .post(`/v1/portfolios/${p.id}/imports`)
        .set(bearer(manager.key))
        .set('content-type', 'application/x-ndjson')
        .send(file)
        .expect(202);
      const task = async () =>
        (await api.http.get(`/v1/tasks/${submitted.body.id}`).set(bearer(manager.key)).expect(200)).body as {
          state: string;
          progress: number;
          result: { accepted: number; duplicates: number; rejectedCount: number } | null;
        };
      const applied = async () =>
        (
          await api.db.query(
            "SELECT count(*)::int AS n FROM transactions WHERE portfolio_id = $1 AND kind = 'PREMIUM'",
            [p.id],
          )
        ).rows[0].n as number;

      const first = startWorker();
      for (let i = 0; i < 600 && (await applied()) < 1_000; i++) await new Promise((r) => setTimeout(r, 20));
      first.child.kill('SIGKILL');
      await first.exited;
      const before = await applied();
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(LINES);
      expect((await task()).state).toBe('active'); // still locked by the dead worker

      // The second worker dies too, once it has applied more: a job may stall more than once and
      // still run to the end (BullMQ's default would fail it at its second stall).
      const second = startWorker();
      for (let i = 0; i < 1500 && (await applied()) < before + 500; i++) await new Promise((r) => setTimeout(r, 10));
      second.child.kill('SIGKILL');
      await second.exited;
      const resumed = await applied();
      expect(resumed).toBeGreaterThan(before);
      expect(resumed).toBeLessThan(LINES);

      startWorker();
      let view = await task();
      for (let i = 0; i < 1200 && view.state !== 'completed'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        view = await task();
      }
      expect(view.state).toBe('completed');
      // The second worker resumed after the last batch the first one committed: the report counts
      // every line once, as accepted, and nothing was posted twice.
      expect(view.result).toMatchObject({ accepted: LINES, duplicates: 0, rejectedCount: 0 });
      expect(await applied()).toBe(LINES);
      const cash = async (id: string) =>
        (await api.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body.cash as string;
      // 6,000 premiums of 0.01, 2,000 to each account.
      expect([await cash(p.gen), await cash(p.rev), await cash(p.com)]).toEqual(['420.00', '320.00', '320.00']);
      expect(await ledgerViolations(api.db)).toEqual([]);
    });
  });
});
