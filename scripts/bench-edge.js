'use strict';
/**
 * The network edge's costs (figures, not assertions; run on demand):
 *  a. the public readiness probe under a flood: BENCH_CONNECTIONS connections on GET /health/ready
 *     for BENCH_SECONDS against the built service, in a fresh database: req/s, p99, and how many
 *     SELECT statements the flood cost (alluse_db_query_duration_seconds_count, read before and
 *     after from the metrics port); then GET /health/live the same way, for scale;
 *  b. the security headers on a bare Fastify GET, in this process: none; helmet's middleware run
 *     on each request (what @fastify/helmet does); the headers worked out once (what the service
 *     does, src/app.factory.ts). BENCH_PAIRS alternating runs of each.
 *
 *   npm run bench:edge   BENCH_SECONDS=5 BENCH_CONNECTIONS=50 BENCH_PAIRS=2
 */
const { randomBytes } = require('node:crypto');
const { createServer } = require('node:net');
const autocannon = require('autocannon');
const Fastify = require('fastify');
const helmet = require('helmet');
const { adminQuery, freshDatabase, startService, stopService, waitReady } = require('./bench-common');

const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 50);
const PAIRS = Number(process.env.BENCH_PAIRS || 2);
const DB = 'alluse_bench_edge';
const HELMET_OPTIONS = {
  contentSecurityPolicy: { directives: { frameAncestors: ["'none'"], upgradeInsecureRequests: null } },
};
const log = (message) => process.stderr.write(`${message}\n`);

const load = (url) =>
  new Promise((resolve, reject) =>
    autocannon({ url, duration: SECONDS, connections: CONNECTIONS }, (error, result) =>
      error ? reject(error) : resolve(result),
    ),
  );
const summary = (r) => `${Math.round(r.requests.average)} req/s, p99 ${r.latency.p99} ms, ${r.non2xx} non-2xx`;

/** SELECT statements the service has run (the timed client's counter). */
async function selects() {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  return Number(/^alluse_db_query_duration_seconds_count\{operation="select"\} (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** A local port nothing listens on (it was free a moment ago). */
const freePort = () =>
  new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

let PORT;
let METRICS_PORT;

async function probeFlood() {
  [PORT, METRICS_PORT] = [await freePort(), await freePort()];
  await freshDatabase(DB);
  const server = startService({
    port: PORT,
    db: DB,
    adminKey: `au_${randomBytes(32).toString('base64url')}`,
    prefix: `bench-edge:${Date.now()}:`,
    env: { METRICS_PORT: String(METRICS_PORT), TASKS_RUN_WORKERS: 'false', METRICS_REFRESH_MS: '3600000' },
  });
  try {
    await waitReady(`http://127.0.0.1:${PORT}`);
    const before = await selects();
    const ready = await load(`http://127.0.0.1:${PORT}/health/ready`);
    // The scrape that reads the counter runs the readiness checks once more (2 selects).
    const flood = (await selects()) - before - 2;
    log(`GET /health/ready flood: ${summary(ready)}; ${ready.requests.total} probes cost ${flood} SELECT statements`);
    log(`GET /health/live: ${summary(await load(`http://127.0.0.1:${PORT}/health/live`))}`);
  } finally {
    await stopService(server);
    await adminQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

/** helmet's headers, worked out once (as src/app.factory.ts does). */
function onceHeaders() {
  const headers = {};
  const recorder = { setHeader: (name, value) => (headers[name.toLowerCase()] = value), removeHeader: () => undefined };
  helmet(HELMET_OPTIONS)({}, recorder, () => undefined);
  return headers;
}

async function bareGet(mode) {
  const app = Fastify();
  const headers = onceHeaders();
  if (mode === 'helmet per request') {
    app.addHook('onRequest', (request, reply, done) => helmet(HELMET_OPTIONS)(request.raw, reply.raw, done));
  }
  if (mode === 'headers once') app.addHook('onRequest', (_request, reply, done) => done(void reply.headers(headers)));
  app.get('/', async () => ({ status: 'ok' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    return await load(`http://127.0.0.1:${app.server.address().port}/`);
  } finally {
    await app.close();
  }
}

async function main() {
  await probeFlood();
  for (let pair = 1; pair <= PAIRS; pair++) {
    for (const mode of ['no headers', 'helmet per request', 'headers once']) {
      log(`bare Fastify GET, ${mode} (run ${pair}): ${summary(await bareGet(mode))}`);
    }
  }
}

main().catch((error) => {
  log(error.stack ?? String(error));
  process.exit(1);
});
