'use strict';
/**
 * Metrics benchmark (figures, not assertions; run on demand), in a fresh database:
 *  a. the cost of instrumentation: GET /v1/accounts/:id of one account (all cache hits) with
 *     METRICS_ENABLED=true and =false, same settings, BENCH_PAIRS alternating runs of each, each on
 *     its own start of the service with a warm-up first: req/s, p50/p99, and the % lost;
 *     and, in this process, the per-call cost of the hook and of the query timing;
 *  b. the scrape: BENCH_ACCOUNTS accounts in the database (seeded with SQL, a third as many
 *     portfolios), then BENCH_SCRAPES sequential GET /metrics: p50 and max of the whole answer;
 *     and, for scale, the background refresh of the book gauges (its one query) timed directly.
 *
 *   npm run bench:metrics   BENCH_SECONDS=10 BENCH_WARMUP=2 BENCH_PAIRS=3 BENCH_CONNECTIONS=64
 *                           also BENCH_ACCOUNTS=10000 BENCH_SCRAPES=50 BENCH_POOL_SIZE=24 BENCH_PORT=3305
 */
const { randomBytes } = require('node:crypto');
const autocannon = require('autocannon');
const { Client } = require('pg');
const {
  adminQuery,
  apiClient,
  databaseUrl,
  freshDatabase,
  startService,
  stopService,
  waitReady,
} = require('./bench-common');

const PORT = Number(process.env.BENCH_PORT || 3305);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const PAIRS = Number(process.env.BENCH_PAIRS || 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS || 10_000);
const SCRAPES = Number(process.env.BENCH_SCRAPES || 50);
const DB = 'alluse_bench_metrics';
const ADMIN_KEY = `au_${randomBytes(32).toString('base64url')}`;
const log = (message) => process.stderr.write(`${message}\n`);
const api = apiClient(BASE);

/** The book gauges' query (src/modules/monitoring/book-counts.repository.ts). */
const BOOK_COUNTS = `
  SELECT 'account' AS what, type, status, count(*)::int AS n FROM accounts GROUP BY type, status
  UNION ALL
  SELECT 'portfolio', NULL, NULL, count(*)::int FROM portfolios
  UNION ALL
  SELECT 'unit', NULL, status, count(*)::int FROM units GROUP BY status`;

let server; // the running service, stopped on errors and Ctrl-C too

/** Runs `work()` on its own start of the service (`env` added), then stops it. */
async function withService(run, env, work) {
  server = startService({
    port: PORT,
    db: DB,
    adminKey: ADMIN_KEY,
    prefix: `bench-metrics:${Date.now()}:${run}:`,
    env: { GROWTH_SCHEDULES_ENABLED: 'false', DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE || '24', ...env },
  });
  const exited = new Promise((_, reject) =>
    server.once('exit', (code) => reject(new Error(`the service exited (${code}) before it was ready`))),
  );
  try {
    await Promise.race([waitReady(BASE), exited]);
    return await work();
  } finally {
    await stopService(server);
  }
}

function load(path, headers, seconds) {
  return new Promise((resolve, reject) => {
    autocannon({ url: BASE + path, headers, connections: CONNECTIONS, duration: seconds }, (error, result) =>
      error ? reject(error) : resolve(result),
    );
  });
}

/** Warm-up, then the measured run: one table row. */
async function measure(title, path, headers) {
  log(`${title}: ${WARMUP} s warm-up, ${SECONDS} s measured…`);
  await load(path, headers, WARMUP);
  const result = await load(path, headers, SECONDS);
  const reqPerSec = result['2xx'] / result.duration;
  return {
    row: {
      run: title,
      'req/s (2xx)': Math.round(reqPerSec),
      'p50 ms': result.latency.p50,
      'p99 ms': result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
    },
    reqPerSec,
  };
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const ms = (n) => Number(n.toFixed(2));

/** Seeds portfolios and accounts with SQL, copying the one portfolio opened through the API (no postings: only counts matter here). */
async function seed(db, portfolios) {
  await db.query(
    `WITH src AS (SELECT * FROM portfolios ORDER BY created_at LIMIT 1),
          created AS (
            INSERT INTO portfolios (owner_id, name, template, gen_pct, rev_pct, com_pct, buffer_bp,
                                    fork_threshold, merge_threshold, merge_mode)
            SELECT owner_id, name || ' ' || g, template, gen_pct, rev_pct, com_pct, buffer_bp,
                   fork_threshold, merge_threshold, merge_mode
              FROM src, generate_series(1, $1::int) g
            RETURNING id)
     INSERT INTO accounts (portfolio_id, type, status, buffer_bp, config)
     SELECT created.id, a.type, 'ACTIVE', a.buffer_bp, a.config
       FROM created CROSS JOIN (SELECT type, buffer_bp, config FROM accounts WHERE portfolio_id = (SELECT id FROM src)) a`,
    [portfolios],
  );
}

async function main() {
  await freshDatabase(DB);

  const { key, accountId } = await withService('setup', {}, async () => {
    const manager = await api(ADMIN_KEY, 'POST', '/v1/users', { name: 'bench manager', role: 'manager' });
    const { key } = await api(ADMIN_KEY, 'POST', `/v1/users/${manager.id}/api-keys`);
    const p = await api(key, 'POST', '/v1/portfolios', { name: 'metrics', initialCapital: '250000.00' });
    return { key, accountId: p.accounts[0].id };
  });

  const db = new Client({ connectionString: databaseUrl(DB) });
  await db.connect();
  let bookQuery;
  try {
    const started = Date.now();
    await seed(db, Math.ceil(ACCOUNTS / 3) - 1);
    await db.query('VACUUM ANALYZE');
    const { rows } = await db.query('SELECT count(*)::int AS n FROM accounts');
    log(`seeded ${rows[0].n} accounts in ${Date.now() - started} ms`);
    const times = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await db.query(BOOK_COUNTS);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    bookQuery = { accounts: rows[0].n, p50: ms(quantile(times, 0.5)), max: ms(times[times.length - 1]) };
  } finally {
    await db.end();
  }

  // a. The same cached read with and without instrumentation, alternating.
  const headers = { authorization: `Bearer ${key}` };
  const path = `/v1/accounts/${accountId}`;
  const runs = { true: [], false: [] };
  const rows = [];
  for (let pair = 1; pair <= PAIRS; pair++) {
    for (const enabled of ['true', 'false']) {
      const title = `GET /v1/accounts/:id (cached), METRICS_ENABLED=${enabled}, run ${pair}`;
      const result = await withService(`${enabled}-${pair}`, { METRICS_ENABLED: enabled }, () =>
        measure(title, path, headers),
      );
      runs[enabled].push(result.reqPerSec);
      rows.push(result.row);
    }
  }

  // b. Scrapes with the whole book in the database.
  const scrapes = await withService('scrape', {}, async () => {
    await new Promise((r) => setTimeout(r, 1_000)); // the first book refresh has run
    const times = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = performance.now();
      const res = await fetch(`${BASE}/metrics`);
      const text = await res.text();
      times.push(performance.now() - t0);
      if (!res.ok) throw new Error(`GET /metrics → ${res.status}`);
      bytes = text.length;
      if (i === 0 && !text.includes(`alluse_portfolios ${Math.ceil(ACCOUNTS / 3)}`)) {
        log('warning: alluse_portfolios does not show the seeded book yet');
      }
    }
    times.sort((a, b) => a - b);
    return { p50: ms(quantile(times, 0.5)), p99: ms(quantile(times, 0.99)), max: ms(times[times.length - 1]), bytes };
  });

  const perCall = microbenchmarks();

  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const on = mean(runs.true);
  const off = mean(runs.false);
  console.table(rows);
  const best = { true: Math.max(...runs.true), false: Math.max(...runs.false) };
  const lost = (a, b) => `${((100 * (b - a)) / b).toFixed(1)} %`;
  console.log(
    `instrumentation cost: ${Math.round(on)} req/s with metrics vs ${Math.round(off)} without (mean of ${PAIRS} runs each) ` +
      `= ${lost(on, off)} lost; best runs ${Math.round(best.true)} vs ${Math.round(best.false)} = ` +
      `${lost(best.true, best.false)} lost (target < 10 %)`,
  );
  console.log(
    `in process, per call: the HTTP hook ${perCall.hook} ns/request; statement verb + query histogram ${perCall.query} ns/statement`,
  );
  console.log(
    `GET /metrics with ${bookQuery.accounts} accounts, ${SCRAPES} sequential scrapes: p50 ${scrapes.p50} ms, ` +
      `p99 ${scrapes.p99} ms, max ${scrapes.max} ms (${scrapes.bytes} bytes)`,
  );
  console.log(
    `book gauges' refresh query (background, every METRICS_REFRESH_MS): p50 ${bookQuery.p50} ms, max ${bookQuery.max} ms over 20`,
  );
}

/**
 * The instrumentation's own work per request and per statement, timed in this process with the
 * built code: the onResponse hook (one label object, a counter and a histogram), and the
 * statement verb plus the query histogram. Nanoseconds per call, the best of five rounds.
 */
function microbenchmarks() {
  const { countResponse } = require('../dist/src/modules/monitoring/http-metrics');
  const { statementVerb } = require('../dist/src/database/statement-verb');
  const { dbQueryDuration } = require('../dist/src/modules/monitoring/metrics');
  const N = 200_000;
  const request = { method: 'GET', routeOptions: { url: '/v1/accounts/:id' } };
  const reply = { statusCode: 200, elapsedTime: 3.2 };
  const done = () => undefined;
  const sql = 'SELECT id, portfolio_id, type, status FROM accounts WHERE id = $1';
  const time = (work) => {
    let best = Infinity;
    for (let round = 0; round < 5; round++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) work(i);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / N);
    }
    return Math.round(best);
  };
  return {
    hook: time(() => countResponse(request, reply, done)),
    query: time((i) => {
      const started = performance.now();
      dbQueryDuration.observe({ operation: statementVerb(sql) }, (performance.now() - started + (i & 7)) / 1000);
    }),
  };
}

/** Stops the service and drops the database, whatever happened. */
async function cleanup() {
  if (server) await stopService(server).catch(() => undefined);
  await adminQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`).catch((e) => log(`drop failed: ${e.message}`));
}

process.once('SIGINT', () => {
  log('interrupted; stopping the service and dropping the database…');
  cleanup().finally(() => process.exit(130));
});

main()
  .then(cleanup)
  .catch(async (error) => {
    console.error(error);
    await cleanup();
    process.exit(1);
  });
