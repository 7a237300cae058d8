'use strict';
/** What the benchmark scripts share: the admin database connection, starting and stopping the service. */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { Queue } = require('bullmq');
const { Client } = require('pg');
const { ensurePostgres, ensureRedis } = require('./services');

const ROOT = path.resolve(__dirname, '..');

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `name` on the admin connection's server. */
const databaseUrl = (name) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

/** Runs one statement on the admin connection (CREATE / DROP DATABASE). */
async function adminQuery(sql) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Makes sure PostgreSQL and Redis run, then creates database `db` afresh (dropping a leftover). */
async function freshDatabase(db, redisUrl = process.env.REDIS_URL) {
  await ensurePostgres();
  await ensureRedis(redisUrl);
  await adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${db}`);
}

/** Waits until the service at `base` answers its readiness probe (30 s at most). */
async function waitReady(base) {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(`${base}/health/ready`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the service did not become ready');
}

/**
 * Starts the built service (`dist/main.js`) on `port` against database `db`, migrating it, with
 * an admin key, no effective rate limit and quiet logs; `env` adds or overrides settings.
 */
function startService({ port, db, adminKey, prefix, env = {} }) {
  return spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl(db),
      DATABASE_MIGRATE: 'true',
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_LIMIT: '10000000',
      REDIS_KEY_PREFIX: prefix,
      ...env,
    },
  });
}

async function stopService(server) {
  if (server.exitCode !== null) return;
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
}

/** Builds the service into dist/ unless it is there (scripts that load its modules call this first). */
function ensureBuilt() {
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) {
    spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
}

/** BullMQ connection options for a REDIS_URL, as the service builds them (needs the build in dist/). */
function redisConnection(redisUrl) {
  return require('../dist/src/modules/async-tasks/queue-registry.service').queueConnection(redisUrl);
}

/** Deletes every queue of a service run under `prefix` (REDIS_KEY_PREFIX), leaving nothing in Redis. */
async function clearQueues(prefix, redisUrl) {
  const { QUEUE_NAMES } = require('../dist/src/modules/async-tasks/queues');
  for (const name of QUEUE_NAMES) {
    const q = new Queue(name, { connection: redisConnection(redisUrl), prefix: `${prefix}bull` });
    await q.obliterate({ force: true }).catch(() => undefined);
    await q.close();
  }
}

/** `api(key, method, url, body)` against the service at `base`: the JSON answer, or an error naming the call. */
const apiClient = (base) =>
  async function api(key, method, url, body) {
    const res = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body && { 'content-type': 'application/json' }) },
      body: body && JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

/**
 * The ledger verification's verdict on what a benchmark wrote (the service's own checks, from the
 * build): "sound (10 checks)", or each broken check with its count.
 */
async function ledgerVerdict(client) {
  const {
    pgQuery,
    verifyLedgerInSnapshot,
  } = require('../dist/src/modules/transactions/ledger-verification/ledger-checks');
  const result = await verifyLedgerInSnapshot(pgQuery(client), { limit: 1, statementTimeoutMs: 0 });
  if (result.ok) return `sound (${result.checks.length} checks)`;
  return result.checks
    .filter((c) => c.violations > 0)
    .map((c) => `${c.name} ${c.violations}`)
    .join(', ');
}

/**
 * Submits `file` (JSON lines) as an import into a portfolio of the service at `base`, and waits for
 * its task to finish: the task, and the seconds from submitting to the end.
 */
async function timedImport(base, key, portfolioId, file) {
  const started = performance.now();
  const res = await fetch(`${base}/v1/portfolios/${portfolioId}/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    body: file,
  });
  const submitted = await res.json();
  if (res.status !== 202) throw new Error(`import refused: ${res.status} ${JSON.stringify(submitted)}`);
  const api = apiClient(base);
  for (;;) {
    const task = await api(key, 'GET', `/v1/tasks/${submitted.id}`);
    if (task.state === 'completed' || task.state === 'failed') {
      return { task, seconds: (performance.now() - started) / 1000 };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

module.exports = {
  ROOT,
  adminQuery,
  apiClient,
  clearQueues,
  ensureBuilt,
  freshDatabase,
  databaseUrl,
  ledgerVerdict,
  redisConnection,
  startService,
  timedImport,
  stopService,
  waitReady,
};
