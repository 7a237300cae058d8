'use strict';
/**
 * Task platform benchmark: how many no-op tasks per second one queue (diagnostics) runs, and how
 * many movements per second go through the bulk import of a 100,000-line file. For each
 * worker concurrency it starts the built service against PostgreSQL and Redis, adds N noop jobs
 * straight to the queue in Redis with the producer's job options (measuring the queue, not HTTP),
 * and times until the queue has completed all N. Figures, not assertions: run it on demand.
 *
 *   npm run bench:tasks     BENCH_TASKS=20000 (at most 100,000: the producer keeps that many
 *                           completed jobs); BENCH_CONCURRENCY=16,64 (worker concurrency per run,
 *                           set on the service as TASKS_DIAGNOSTICS_CONCURRENCY);
 *                           BENCH_IMPORT_LINES=100000 (the bulk import measured after each run)
 */
const { randomBytes } = require('node:crypto');
const { Queue } = require('bullmq');
const bench = require('./bench-common');
const { DEFAULT_REDIS_URL } = require('./services');

bench.ensureBuilt();
const { QUEUES } = require('../dist/src/modules/async-tasks/queues');
const { uuid7 } = require('../dist/src/common/uuid7');

const PORT = Number(process.env.BENCH_PORT || 3301);
const BASE = `http://127.0.0.1:${PORT}`;
const TASKS = Number(process.env.BENCH_TASKS || 20_000);
const IMPORT_LINES = Number(process.env.BENCH_IMPORT_LINES || 100_000);
const DEFAULTS = QUEUES.diagnostics;
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY || `${DEFAULTS.concurrency},64`).split(',').map(Number);
const CHUNK = 1_000; // jobs per addBulk call
const STALL_MS = 30_000; // give up when the completed count stops moving this long
const DB = 'alluse_bench_tasks';
const REDIS_URL = process.env.REDIS_URL || DEFAULT_REDIS_URL;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (message) => process.stderr.write(`${message}\n`);

async function api(key, method, url, body) {
  const res = await fetch(BASE + url, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

function startTasksService(adminKey, prefix, concurrency) {
  return bench.startService({
    port: PORT,
    db: DB,
    adminKey,
    prefix,
    env: { TASKS_DIAGNOSTICS_CONCURRENCY: String(concurrency), TASKS_DIAGNOSTICS_MAX_WAITING: '10000000' },
  });
}

/** A noop diagnostic task with the job options TasksProducer.add sets at normal priority. */
function noopJob() {
  const attempts = Number(process.env.TASKS_DIAGNOSTICS_ATTEMPTS || DEFAULTS.attempts);
  const backoffMs = Number(process.env.TASKS_DIAGNOSTICS_BACKOFF_MS || DEFAULTS.backoffMs);
  return {
    name: 'noop',
    data: { mode: 'noop', meta: { correlationId: 'bench-tasks' } },
    opts: {
      jobId: uuid7(),
      priority: 3,
      attempts,
      backoff: { type: 'exponential', delay: backoffMs, jitter: 0.5 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
      removeOnFail: false,
    },
  };
}

/** Resolves with the time at which `queue` has completed `total` jobs; throws if it stalls. */
async function completion(queue, total) {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const { completed, failed } = await queue.getJobCounts('completed', 'failed');
    if (completed >= total) return { at: performance.now(), failed };
    if (completed !== last) [last, movedAt] = [completed, Date.now()];
    if (Date.now() - movedAt > STALL_MS)
      throw new Error(`stalled at ${completed}/${total} completed, ${failed} failed`);
    await sleep(50);
  }
}

/** One measurement: a fresh service with this worker concurrency and a fresh queue. */
async function run(concurrency) {
  const adminKey = `au_${randomBytes(32).toString('base64url')}`;
  const prefix = `bench-tasks:${Date.now()}:`;
  const server = startTasksService(adminKey, prefix, concurrency);
  const queue = new Queue('diagnostics', { connection: bench.redisConnection(REDIS_URL), prefix: `${prefix}bull` });
  try {
    await bench.waitReady(BASE);
    // One task through the HTTP route: proves the service's workers read the queue this script fills.
    const probe = await api(adminKey, 'POST', '/v1/admin/tasks/diagnostics', { mode: 'noop' });
    if (probe.status !== 202) throw new Error(`diagnostic task refused: ${probe.status} ${JSON.stringify(probe.body)}`);
    await completion(queue, 1);

    log(`concurrency ${concurrency}: adding ${TASKS} noop tasks…`);
    const started = performance.now();
    for (let added = 0; added < TASKS; added += CHUNK) {
      await queue.addBulk(Array.from({ length: Math.min(CHUNK, TASKS - added) }, noopJob));
    }
    const submitted = performance.now();
    const done = await completion(queue, TASKS + 1);
    const seconds = (done.at - started) / 1000;
    const row = {
      tasks: TASKS,
      'worker concurrency': concurrency,
      'submit s': Number(((submitted - started) / 1000).toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      'tasks/s': Math.round(TASKS / seconds),
      failed: done.failed,
    };
    return { row, imports: await benchImport(adminKey) };
  } finally {
    await bench.stopService(server);
    await bench.clearQueues(prefix, REDIS_URL);
    await queue.close();
  }
}

/** Movements per second through the bulk import of a file of IMPORT_LINES premiums (JSON lines). */
async function benchImport(adminKey) {
  const portfolio = await api(adminKey, 'POST', '/v1/portfolios', {
    name: 'bench import',
    initialCapital: '1000000.00',
  });
  const ids = portfolio.body.accounts.map((a) => a.id);
  const file = Array.from({ length: IMPORT_LINES }, (_, i) =>
    JSON.stringify({ kind: 'PREMIUM', accountId: ids[i % ids.length], amount: '0.01' }),
  ).join('\n');
  const { task, seconds } = await bench.timedImport(BASE, adminKey, portfolio.body.id, file);
  return {
    lines: IMPORT_LINES,
    state: task.state,
    accepted: task.result?.accepted,
    seconds: Number(seconds.toFixed(2)),
    'movements/s': Math.round(IMPORT_LINES / seconds),
  };
}

async function main() {
  if (!(TASKS >= 1 && TASKS <= 100_000)) throw new Error('BENCH_TASKS must be between 1 and 100,000');
  await bench.freshDatabase(DB, REDIS_URL);

  const runs = [];
  for (const concurrency of CONCURRENCIES) runs.push(await run(concurrency));
  console.table(runs.map((r) => r.row));
  console.log(`bulk import of a ${IMPORT_LINES}-line file (JSON lines, premiums over 3 accounts):`);
  console.table(runs.map((r, i) => ({ 'worker concurrency (diagnostics)': CONCURRENCIES[i], ...r.imports })));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
