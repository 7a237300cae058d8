import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { Test } from 'supertest';
import { bearer, eventually, createUser, freePort, openPortfolio, startTestApp, TestApp } from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { OutboundHttp } from '../src/modules/async-tasks/outbound-http.service';
import { TasksProducer } from '../src/modules/async-tasks/tasks.producer';

/** A local webhook destination whose answers the test decides, one per call. */
interface Hook {
  url: string;
  calls: number[];
  answer: (call: number) => number;
  close(): Promise<void>;
}

async function startHook(answer: (call: number) => number): Promise<Hook> {
  const hook = { calls: [] as number[], answer } as Hook;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      hook.calls.push(Date.now());
      res.statusCode = hook.answer(hook.calls.length);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  hook.close = () => new Promise((resolve) => server.close(() => resolve()));
  return hook;
}

describe('task platform (e2e)', () => {
  let t: TestApp;
  const hooks: Hook[] = [];

  beforeAll(async () => {
    t = await startTestApp('tasks', {
      env: {
        TASKS_NOTIFICATIONS_ATTEMPTS: '3',
        TASKS_NOTIFICATIONS_BACKOFF_MS: '100',
        TASKS_BREAKER_THRESHOLD: '3',
        TASKS_BREAKER_HALF_OPEN_MS: '500',
        TASKS_DIAGNOSTICS_CONCURRENCY: '1',
        OUTBOUND_ALLOW: '127.0.0.1', // the webhook destinations are local servers
      },
    });
  });
  afterAll(async () => {
    await Promise.all(hooks.map((h) => h.close()));
    await t.close();
  });

  const hook = async (answer: (call: number) => number) => {
    const h = await startHook(answer);
    hooks.push(h);
    return h;
  };
  const notify = (url: string) =>
    t.app
      .get(TasksProducer)
      .add(
        'notifications',
        'test',
        { channel: 'webhook', url, event: 'test.event', data: { n: 1 } },
        { ownerId: undefined },
      );
  const task = async (id: string) => (await t.http.get(`/v1/tasks/${id}`).set(bearer(t.adminKey)).expect(200)).body;
  const finished = (id: string) =>
    eventually(async () => {
      const view = await task(id);
      return ['completed', 'failed'].includes(view.state) ? view : undefined;
    }, `task ${id} to finish`);

  it('retries with growing backoff, then succeeds', async () => {
    const h = await hook((call) => (call <= 2 ? 503 : 200));
    const { id } = await notify(h.url);
    const view = await finished(id);
    expect(view).toMatchObject({ state: 'completed', attemptsMade: 3, result: { status: 200 }, progress: 100 });
    expect(h.calls).toHaveLength(3);
    // Exponential backoff from 100 ms with ±50 % jitter: at least 50 ms, then at least 100 ms.
    expect(h.calls[1] - h.calls[0]).toBeGreaterThanOrEqual(50);
    expect(h.calls[2] - h.calls[1]).toBeGreaterThanOrEqual(100);
  });

  it('keeps a task that exhausted its attempts as a dead letter, and runs it again on request', async () => {
    let healthy = false;
    const h = await hook(() => (healthy ? 200 : 500));
    const { id } = await notify(h.url);
    const view = await finished(id);
    expect(view).toMatchObject({ state: 'failed', attemptsMade: 3 });

    const letters = await t.http.get('/v1/dead-letters').set(bearer(t.adminKey)).expect(200);
    const letter = letters.body.find((l: { id: string }) => l.id === id);
    expect(letter).toMatchObject({ queue: 'notifications', payload: { url: h.url, event: 'test.event' } });
    expect(letter.attemptErrors).toHaveLength(3);
    expect(letter.attemptErrors[0]).toContain('answered 500');

    healthy = true;
    await t.http.post(`/v1/dead-letters/${id}/retry`).set(bearer(t.adminKey)).expect(202);
    expect(await finished(id)).toMatchObject({ state: 'completed', result: { status: 200 } });
    const after = await t.http.get('/v1/dead-letters').set(bearer(t.adminKey)).expect(200);
    expect(after.body.map((l: { id: string }) => l.id)).not.toContain(id);
  });

  it('fails at once, without retrying, when the destination refuses the request itself', async () => {
    const h = await hook(() => 400);
    const { id } = await notify(h.url);
    expect(await finished(id)).toMatchObject({ state: 'failed' });
    // Longer than a retry's backoff (100 ms ± 50 %): no second call comes.
    await new Promise((r) => setTimeout(r, 400));
    expect(h.calls).toHaveLength(1);
    expect((await task(id)).state).toBe('failed');
    await t.http.delete(`/v1/dead-letters/${id}`).set(bearer(t.adminKey)).expect(204);
    await t.http.delete(`/v1/dead-letters/${id}`).set(bearer(t.adminKey)).expect(404);
  });

  it('stops calling a destination that keeps failing, and resumes once it recovers', async () => {
    let healthy = false;
    const h = await hook(() => (healthy ? 200 : 503));
    const ids = await Promise.all(Array.from({ length: 4 }, () => notify(h.url)));
    const origin = new URL(h.url).origin;
    const http = t.app.get(OutboundHttp);
    await eventually(
      () => Promise.resolve(http.circuits()[origin] === 'Open' ? true : undefined),
      'the circuit to open',
    );

    // While the circuit is open nothing reaches the destination; the tasks wait, delayed.
    const callsWhenOpened = h.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.calls.length).toBe(callsWhenOpened);
    expect(callsWhenOpened).toBeLessThan(4 * 3);

    healthy = true;
    for (const { id } of ids) expect(await finished(id)).toMatchObject({ state: 'completed' });
    expect(http.circuits()[origin]).toBe('Closed');
  });

  it('runs a backlog in priority order', async () => {
    const queue = t.app.get(QueueRegistry).get('diagnostics');
    await queue.pause();
    const submit = (priority: string) =>
      t.http.post('/v1/admin/tasks/diagnostics').set(bearer(t.adminKey)).send({ mode: 'noop', priority }).expect(202);
    const order = ['low', 'normal', 'critical', 'low', 'high', 'critical', 'normal', 'high'];
    const ids = [];
    for (const priority of order) ids.push({ priority, id: (await submit(priority)).body.id as string });
    await queue.resume();
    const views = await Promise.all(ids.map(async ({ priority, id }) => ({ priority, ...(await finished(id)) })));
    const ran = views.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || 0).map((v) => v.priority);
    expect(ran).toEqual(['critical', 'critical', 'high', 'high', 'normal', 'normal', 'low', 'low']);
  });

  it('holds a delayed task until its time', async () => {
    const res = await t.http
      .post('/v1/admin/tasks/diagnostics')
      .set(bearer(t.adminKey))
      .send({ mode: 'noop', delayMs: 600 })
      .expect(202);
    expect((await task(res.body.id)).state).toBe('delayed');
    const view = await finished(res.body.id);
    expect(view.state).toBe('completed');
    expect(Date.parse(view.startedAt) - Date.parse(view.createdAt)).toBeGreaterThanOrEqual(600);
  });

  it('cancels a waiting task at once and a running one at its next checkpoint', async () => {
    const submit = (body: object) =>
      t.http.post('/v1/admin/tasks/diagnostics').set(bearer(t.adminKey)).send(body).expect(202);
    const delayed = (await submit({ mode: 'noop', delayMs: 60_000 })).body.id;
    expect((await t.http.delete(`/v1/tasks/${delayed}`).set(bearer(t.adminKey)).expect(200)).body).toEqual({
      id: delayed,
      state: 'cancelled',
    });
    await t.http.get(`/v1/tasks/${delayed}`).set(bearer(t.adminKey)).expect(404);

    const running = (await submit({ mode: 'wait', durationMs: 10_000 })).body.id;
    await eventually(async () => ((await task(running)).state === 'active' ? true : undefined), 'the task to start');
    expect((await t.http.delete(`/v1/tasks/${running}`).set(bearer(t.adminKey)).expect(200)).body.state).toBe(
      'cancelling',
    );
    const view = await finished(running);
    expect(view).toMatchObject({ state: 'failed', error: 'cancelled on request' });
    expect(view.progress).toBeLessThan(100);
    await t.http.delete(`/v1/tasks/${running}`).set(bearer(t.adminKey)).expect(409);
    const letters = await t.http.get('/v1/dead-letters').set(bearer(t.adminKey)).expect(200);
    expect(letters.body.map((l: { id: string }) => l.id)).not.toContain(running);
  });

  it('runs a follow-up task with the result of the task it waited for', async () => {
    const h = await hook(() => 200);
    const flow = await t.app.get(TasksProducer).addAfter(
      {
        queue: 'notifications',
        name: 'after',
        payload: { channel: 'webhook', url: h.url, event: 'flow.done', data: { step: 2 } },
      },
      { queue: 'diagnostics', name: 'noop', payload: { mode: 'noop' } },
    );
    expect(await finished(flow.id)).toMatchObject({ state: 'completed', result: { ok: true } });
    expect(await finished(flow.followUpId)).toMatchObject({ state: 'completed' });
    expect(h.calls).toHaveLength(1);
  });

  it('fails the follow-up, without running it, when the task it waited for fails', async () => {
    const h = await hook(() => 200);
    const flow = await t.app
      .get(TasksProducer)
      .addAfter(
        { queue: 'notifications', name: 'after', payload: { channel: 'webhook', url: h.url, event: 'x', data: {} } },
        { queue: 'diagnostics', name: 'wait', payload: { mode: 'wait', durationMs: 10_000 } },
      );
    await eventually(
      async () => ((await task(flow.id)).state === 'active' ? true : undefined),
      'the first task to start',
    );
    expect((await task(flow.followUpId)).state).toBe('waiting-children');
    await t.http.delete(`/v1/tasks/${flow.id}`).set(bearer(t.adminKey)).expect(200);
    expect(await finished(flow.id)).toMatchObject({ state: 'failed' });
    expect(await finished(flow.followUpId)).toMatchObject({ state: 'failed' });
    expect(h.calls).toHaveLength(0);
  });

  it('shows a task only to its owner and admins, and refuses malformed ids', async () => {
    const res = await t.http
      .post('/v1/admin/tasks/diagnostics')
      .set(bearer(t.adminKey))
      .send({ mode: 'noop' })
      .expect(202);
    const manager = await createUser(t, 'manager');
    expect((await t.http.get(`/v1/tasks/${res.body.id}`).set(bearer(manager.key)).expect(404)).body.code).toBe(
      'TASK_NOT_FOUND',
    );
    await t.http.delete(`/v1/tasks/${res.body.id}`).set(bearer(manager.key)).expect(404);
    await t.http.get('/v1/dead-letters').set(bearer(manager.key)).expect(403);
    await t.http.post('/v1/admin/tasks/diagnostics').set(bearer(manager.key)).send({ mode: 'noop' }).expect(403);
    expect((await t.http.get('/v1/tasks/no-such-queue:1').set(bearer(t.adminKey)).expect(400)).body.code).toBe(
      'INVALID_ID',
    );
    await t.http.get('/v1/tasks/diagnostics:does-not-exist').set(bearer(t.adminKey)).expect(404);
    await t.http.post('/v1/admin/tasks/diagnostics').set(bearer(t.adminKey)).send({ mode: 'sleep' }).expect(400);
  });
});

describe('task backpressure (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // No workers here, so that submitted tasks stay waiting.
    t = await startTestApp('backpressure', { env: { TASKS_RUN_WORKERS: 'false', TASKS_DIAGNOSTICS_MAX_WAITING: '3' } });
  });
  afterAll(() => t.close());

  it('refuses new tasks with 503 and Retry-After once the waiting backlog reaches its limit', async () => {
    const submit = () => t.http.post('/v1/admin/tasks/diagnostics').set(bearer(t.adminKey)).send({ mode: 'noop' });
    for (let i = 0; i < 3; i++) expect((await submit()).status).toBe(202);
    const refused = await submit();
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('QUEUE_BACKPRESSURE');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await t.app.get(QueueRegistry).get('diagnostics').getJobCountByTypes('wait', 'prioritized')).toBe(3);
  });
});

describe('enqueueing with Redis stopped (e2e)', () => {
  const TIMEOUT_MS = 500;
  let redis: ChildProcess | undefined;
  let port: number;
  let t: TestApp;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await eventually(async () => {
      const probe = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
      return (await new Promise((r) => probe.on('exit', r))) === 0 ? true : undefined;
    }, 'redis to start');
  };
  const stopRedis = async () => {
    if (!redis || redis.exitCode !== null || redis.signalCode !== null) return;
    const exited = new Promise((r) => redis!.once('exit', r));
    redis.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    t = await startTestApp('queuedown', {
      env: {
        REDIS_URL: `redis://127.0.0.1:${port}`,
        // No workers: with Redis gone they could only wait for it; submitting is the subject here.
        TASKS_RUN_WORKERS: 'false',
        TASKS_ENQUEUE_TIMEOUT_MS: String(TIMEOUT_MS),
        PROJECTION_SYNC_BUDGET_MS: '0', // every projection becomes a task
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await stopRedis();
  });

  it('answers 503 QUEUE_UNAVAILABLE with Retry-After within the timeout, and leaves no import half-written', async () => {
    const manager = await createUser(t, 'manager');
    const p = await openPortfolio(t, manager.key, { name: 'Outage', initialCapital: '1000.00' });
    const line = JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' });
    const importing = () =>
      t.http
        .post(`/v1/portfolios/${p.id}/imports`)
        .set(bearer(manager.key))
        .set('content-type', 'application/x-ndjson')
        .set('Idempotency-Key', 'during-outage')
        .send(line);
    const requests: Record<string, () => Test> = {
      import: importing,
      projection: () => t.http.post('/v1/projections').set(bearer(manager.key)).send({ capital: '1000.00', years: 1 }),
      'growth scan': () => t.http.post('/v1/admin/growth/scan').set(bearer(t.adminKey)),
      'reinvestment run': () => t.http.post('/v1/admin/reinvestments/run').set(bearer(t.adminKey)).send({}),
      diagnostic: () => t.http.post('/v1/admin/tasks/diagnostics').set(bearer(t.adminKey)).send({ mode: 'noop' }),
    };

    await stopRedis();
    for (const [what, send] of Object.entries(requests)) {
      const started = Date.now();
      // Without the timeout these never answer: supertest gives up first and the test fails.
      const res = await send().timeout(TIMEOUT_MS + 5_000);
      const elapsed = Date.now() - started;
      expect({ what, status: res.status, code: res.body.code }).toEqual({
        what,
        status: 503,
        code: 'QUEUE_UNAVAILABLE',
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_500);
    }

    // The import's file was stored, then refused: nothing waits for a task that does not exist.
    const rows = await t.db.query('SELECT id, state, error_code FROM imports WHERE portfolio_id = $1', [p.id]);
    expect(rows.rows).toEqual([{ id: expect.any(String), state: 'refused', error_code: 'QUEUE_UNAVAILABLE' }]);

    // Once Redis is back, the client's retry with the same key queues that same import.
    await startRedis();
    const retried = await eventually(async () => {
      const res = await importing();
      return res.status === 202 ? res : undefined;
    }, 'the import to be accepted');
    expect(retried.body.importId).toBe(rows.rows[0].id);
    const after = await t.db.query('SELECT state FROM imports WHERE portfolio_id = $1', [p.id]);
    expect(after.rows).toEqual([{ state: 'queued' }]);
    expect(await t.app.get(QueueRegistry).get('imports').getJob(retried.body.importId)).toBeDefined();
  });
});
