'use strict';
/**
 * `npm run dev`: runs the built service (dist/src/main.js) for someone trying it out.
 *
 *  - no DATABASE_URL: starts an embedded PostgreSQL (PGlite) with its data in .data/pglite;
 *  - Redis must be reachable at REDIS_URL (a local one is started if redis-server is installed);
 *  - no ADMIN_API_KEY: uses the development key kept in .data/dev-admin-key (created once);
 *  - runs migrations at start, creates a demo portfolio into an empty database, prints how to call it.
 *
 *   node scripts/dev.js --db-only   start PGlite only, print its URL, run a probe against it, stop
 */
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ensureRedis, DEFAULT_REDIS_URL } = require('./services');

const root = path.resolve(__dirname, '..');
const dataDir = path.join(root, '.data');
const PGLITE_SERVER = path.join(root, 'node_modules/@electric-sql/pglite-socket/dist/scripts/server.js');
const PGLITE_PID_FILE = path.join(dataDir, 'pglite.pid');

// PGlite executes one statement at a time for all its connections. A few connections let short
// queries interleave; more only queue. The server refuses connections beyond its maximum, so the
// app's pool stays below it, leaving room for the migration connection and a psql session.
const PGLITE_MAX_CONNECTIONS = 10;
const PGLITE_POOL_SIZE = 4;

const log = (message) => process.stderr.write(`[dev] ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Children: both run in their own process group (detached), so that Ctrl-C reaches only this
// script, which then stops them in order: the app first, the database it uses after it.

const children = new Set();

function spawnChild(args, options) {
  const child = spawn(process.execPath, args, { cwd: root, detached: true, ...options });
  children.add(child);
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return child;
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

const stopAll = () => Promise.all([...children].map((child) => stopChild(child, 10_000)));

// Last resort when this script dies unexpectedly: no orphaned server keeps the port or the data.
process.on('exit', () => {
  for (const child of children) child.kill('SIGTERM');
});

// Until the app runs, a signal stops whatever has been started so far; main() changes this.
let stopping = false;
let onSignal = async () => {
  stopping = true;
  await stopAll();
  process.exit(130);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, (received) => onSignal(received));

// ---------------------------------------------------------------------------------------------
// PGlite

function isPortFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function findFreePort(first) {
  for (let port = first; port < first + 20; port++) if (await isPortFree(port)) return port;
  throw new Error(`no free port between ${first} and ${first + 19} for PGlite; set DEV_PGLITE_PORT`);
}

/**
 * PGlite takes no lock on its data directory, and two servers on one directory corrupt it: keep
 * a pid file and refuse to start while the server it names is still running.
 */
function checkNoOtherPglite() {
  let pid;
  try {
    pid = Number(fs.readFileSync(PGLITE_PID_FILE, 'utf8'));
    process.kill(pid, 0); // throws when no such process
  } catch {
    return; // no pid file, or a stale one
  }
  let commandLine = '';
  try {
    commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    commandLine = 'pglite'; // cannot tell (no /proc): assume it is one
  }
  if (commandLine.includes('pglite')) {
    throw new Error(
      `a PGlite server (pid ${pid}) is already using ${path.relative(root, dataDir)}/pglite. ` +
        `Is \`npm run dev\` running elsewhere? If not, stop it with \`kill ${pid}\`.`,
    );
  }
}

/** Resolves once `url` answers SELECT 1; rejects if the server exits or takes too long. */
async function waitForPostgres(url, child, timeoutMs) {
  const { Client } = require('pg');
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the PGlite server exited while starting (${child.exitCode ?? child.signalCode})`);
    }
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => {}); // a refused connection is reported by connect() below
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      lastError = err;
      await sleep(250);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(`PGlite did not accept connections within ${timeoutMs / 1000} s (${lastError?.message})`);
}

/** Starts the PGlite server; resolves to { url, stop } once it accepts connections. */
async function startPglite() {
  fs.mkdirSync(dataDir, { recursive: true });
  checkNoOtherPglite();
  const port = await findFreePort(Number(process.env.DEV_PGLITE_PORT) || 5433);
  const dbPath = path.join(dataDir, 'pglite');
  const fresh = !fs.existsSync(path.join(dbPath, 'PG_VERSION'));
  log(
    `starting embedded PostgreSQL (PGlite) on 127.0.0.1:${port}, data in ${path.relative(root, dbPath)}` +
      (fresh ? ' (first start: creating the database takes a few seconds)' : ''),
  );

  // node on the script itself, not through npx: killing npx's wrapper leaves the server running.
  const args = [
    PGLITE_SERVER,
    `--db=${dbPath}`,
    '--host=127.0.0.1',
    `--port=${port}`,
    `--max-connections=${PGLITE_MAX_CONNECTIONS}`,
  ];
  // stdout only says "Client connected" for every connection; errors arrive on stderr.
  const child = spawnChild(args, { stdio: ['ignore', 'ignore', 'inherit'] });
  fs.writeFileSync(PGLITE_PID_FILE, String(child.pid));
  child.exited.then(() => fs.rmSync(PGLITE_PID_FILE, { force: true }));
  const stop = () => stopChild(child, 10_000); // it closes the database on SIGTERM; give it time to flush

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  try {
    await waitForPostgres(url, child, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  child.exited.then(({ code, signal }) => {
    if (!stopping) log(`the PGlite server stopped unexpectedly (${code ?? signal}); the app has lost its database`);
  });
  return { url, stop };
}

/**
 * Exercises what the service relies on, through `pg` as the app uses it: a PL/pgSQL function that
 * raises, SELECT ... FOR UPDATE and an advisory lock inside a transaction, a savepoint, and a
 * second connection that waits for the transaction instead of deadlocking. Everything happens in
 * one transaction that is rolled back: the dev database is left as it was.
 */
async function probe(url) {
  const assert = require('node:assert/strict');
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: url, max: 2 });
  const a = await pool.connect();
  const b = await pool.connect();
  try {
    await a.query('BEGIN');
    await a.query('CREATE TABLE dev_probe (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), cash bigint NOT NULL)');
    await a.query(`
      CREATE FUNCTION dev_probe_debit(p_id uuid, p_amount bigint) RETURNS bigint LANGUAGE plpgsql AS $fn$
      DECLARE v_cash bigint;
      BEGIN
        SELECT cash INTO v_cash FROM dev_probe WHERE id = p_id FOR UPDATE;
        IF v_cash < p_amount THEN
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'INSUFFICIENT_FUNDS',
            DETAIL = jsonb_build_object('cash', v_cash::text)::text;
        END IF;
        UPDATE dev_probe SET cash = cash - p_amount WHERE id = p_id RETURNING cash INTO v_cash;
        RETURN v_cash;
      END;
      $fn$`);
    const {
      rows: [row],
    } = await a.query('INSERT INTO dev_probe (cash) VALUES ($1) RETURNING id', ['10000']);
    await a.query("SELECT pg_advisory_xact_lock(hashtext('dev-probe'))");
    const locked = await a.query('SELECT cash FROM dev_probe WHERE id = $1 FOR UPDATE', [row.id]);
    assert.equal(locked.rows[0].cash, '10000');
    const debited = await a.query('SELECT dev_probe_debit($1, $2) AS cash', [row.id, '2500']);
    assert.equal(debited.rows[0].cash, '7500');

    await a.query('SAVEPOINT refused');
    await assert.rejects(a.query('SELECT dev_probe_debit($1, $2)', [row.id, '999999']), (err) => {
      assert.equal(err.code, 'P0001');
      assert.equal(err.message, 'INSUFFICIENT_FUNDS');
      assert.deepEqual(JSON.parse(err.detail), { cash: '7500' });
      return true;
    });
    await a.query('ROLLBACK TO SAVEPOINT refused');

    // PGlite serves one transaction at a time: b's query waits until a's transaction ends.
    const waiting = b.query('SELECT 1 AS one');
    const after = await a.query('SELECT cash FROM dev_probe WHERE id = $1', [row.id]);
    assert.equal(after.rows[0].cash, '7500');
    await a.query('ROLLBACK');
    assert.equal((await waiting).rows[0].one, 1);
    const gone = await b.query("SELECT to_regclass('dev_probe') AS t");
    assert.equal(gone.rows[0].t, null);
  } finally {
    a.release();
    b.release();
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// The app

/** The development admin key: ADMIN_API_KEY, else the one kept in .data/dev-admin-key. */
function devAdminKey() {
  const file = path.join(dataDir, 'dev-admin-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  // Same format as the keys the service issues: au_ + 43 characters of base64url (256 bits).
  const key = 'au_' + crypto.randomBytes(32).toString('base64url');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  log(`created a development admin key in ${path.relative(root, file)}`);
  return key;
}

async function request(url, options = {}) {
  const response = await fetch(url, { ...options, signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  let body = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON; keep the text
  }
  return { status: response.status, body };
}

/** Polls /health/ready until it answers 200; false if the app exits or 60 s pass first. */
async function waitUntilReady(base, app) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && app.exitCode === null && app.signalCode === null) {
    try {
      if ((await request(`${base}/health/ready`)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  return false;
}

/** Into an empty database, a demo portfolio, so that there is something to look at. */
async function seedDemoPortfolio(base, adminKey) {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const list = await request(`${base}/v1/portfolios?limit=1`, { headers });
  if (list.status !== 200) {
    log(`GET /v1/portfolios answered ${list.status}; no demo portfolio created: ${JSON.stringify(list.body)}`);
    return;
  }
  if (!Array.isArray(list.body?.items) || list.body.items.length > 0) return;
  const created = await request(`${base}/v1/portfolios`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'Demo portfolio', initialCapital: '250000.00' }),
  });
  if (created.status === 201 || created.status === 200) {
    log(`created a demo portfolio (${created.body?.id ?? 'no id returned'})`);
  } else {
    log(`POST /v1/portfolios answered ${created.status}: ${JSON.stringify(created.body)}`);
  }
}

function printBanner(port, adminKey, database) {
  const base = `http://localhost:${port}`;
  const lines = [
    '',
    '  ALL-USE Account Management is running (development mode)',
    '',
    `  API docs (Swagger):  ${base}/docs`,
    `  Admin API key:       ${adminKey}`,
    `  Database:            ${database}`,
    '',
    '  Try it:',
    `    curl -s -H 'Authorization: Bearer ${adminKey}' ${base}/v1/portfolios`,
    '',
    '  Ctrl-C stops it.',
    '',
  ];
  const rule = '='.repeat(78);
  process.stdout.write(`${rule}\n${lines.join('\n')}\n${rule}\n`);
}

// ---------------------------------------------------------------------------------------------

async function dbOnly() {
  const pglite = await startPglite();
  process.stdout.write(`DATABASE_URL=${pglite.url}\n`);
  try {
    await probe(pglite.url);
    log('probe passed: PL/pgSQL, FOR UPDATE, advisory lock, savepoint, a second connection waiting its turn');
  } finally {
    stopping = true;
    await pglite.stop();
    log('PGlite stopped');
  }
}

async function main() {
  const entry = path.join(root, 'dist/src/main.js');
  if (!fs.existsSync(entry)) throw new Error('dist/src/main.js is missing: build the service first (`npm run build`)');
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  await ensureRedis(redisUrl); // before the slower database start: fail fast with what to install

  const env = { ...process.env, REDIS_URL: redisUrl, DATABASE_MIGRATE: process.env.DATABASE_MIGRATE ?? 'true' };
  env.ADMIN_API_KEY ||= devAdminKey();

  let pglite = null;
  if (!env.DATABASE_URL) {
    pglite = await startPglite();
    env.DATABASE_URL = pglite.url;
    env.DATABASE_POOL_SIZE ||= String(PGLITE_POOL_SIZE);
    if (Number(env.DATABASE_POOL_SIZE) >= PGLITE_MAX_CONNECTIONS) {
      log(`DATABASE_POOL_SIZE=${env.DATABASE_POOL_SIZE} is not below PGlite's ${PGLITE_MAX_CONNECTIONS} connections`);
    }
  }

  const port = Number(env.PORT) || 3000;
  const app = spawnChild([entry], { env, stdio: ['ignore', 'inherit', 'inherit'] });

  // Pass the first signal on (the app shuts down gracefully). npm and the terminal may deliver the
  // same Ctrl-C twice within moments; a signal seconds later means "stop now" and kills the app.
  let firstSignalAt = 0;
  onSignal = (signal) => {
    stopping = true;
    if (!firstSignalAt) {
      firstSignalAt = Date.now();
      log(`stopping (${signal})…`);
      app.kill(signal);
    } else if (Date.now() - firstSignalAt > 2000) {
      log('stopping now');
      app.kill('SIGKILL');
    }
  };

  const base = `http://127.0.0.1:${port}`;
  let neverReady = false;
  if (await waitUntilReady(base, app)) {
    await seedDemoPortfolio(base, env.ADMIN_API_KEY).catch((err) => log(`demo portfolio not created: ${err.message}`));
    const db = new URL(env.DATABASE_URL); // shown without the password
    const where = `${db.hostname}:${db.port || 5432}${db.pathname}`;
    printBanner(port, env.ADMIN_API_KEY, pglite ? `embedded PGlite at ${pglite.url}` : `DATABASE_URL (${where})`);
  } else if (app.exitCode === null && app.signalCode === null) {
    log(`the app did not become ready on ${base}/health/ready within 60 s; stopping it`);
    neverReady = true;
    stopping = true;
    stopChild(app, 10_000); // awaited through app.exited below
  }

  const { code, signal } = await app.exited;
  stopping = true;
  if (pglite) {
    await pglite.stop();
    log('PGlite stopped');
  }
  process.exit(neverReady ? 1 : (code ?? 128 + os.constants.signals[signal]));
}

(process.argv.includes('--db-only') ? dbOnly() : main()).catch(async (err) => {
  log(err.message);
  stopping = true;
  await stopAll();
  process.exit(1);
});
