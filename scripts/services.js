'use strict';
/**
 * Makes sure the local PostgreSQL and Redis that the tests (and `npm run dev`) need are running,
 * starting them if they are down and, on a bare Debian machine where we are root, installing them.
 *
 *   node scripts/services.js            check both, start what is down
 *   node scripts/services.js --install  the same, installing Redis too if it is missing
 *
 * Used by scripts/test.js and scripts/dev.js. Progress goes to stderr, one line per action.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const PG_HOST = '127.0.0.1';
const PG_PORT = 5432;
const PG_CLUSTER = 'main';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const log = (message) => process.stderr.write(`[services] ${message}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** The absolute path of `command` if it is an executable on PATH, else null. */
function which(command) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/** Runs a command to completion; throws with the tail of its output if it fails. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.error) throw new Error(`${command} could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    const output = `${result.stdout || ''}${result.stderr || ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed (exit ${result.status}):\n${output}`);
  }
  return result.stdout;
}

/** True for URLs that point at this machine, where we may start a server ourselves. */
function isLocalUrl(url) {
  const host = new URL(url).hostname;
  return ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);
}

/** apt-get install, non-interactively. Only called as root. */
function aptInstall(packages) {
  log(`installing ${packages.join(' ')} with apt-get (this takes a minute)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    run('apt-get', ['update'], { env });
  } catch (err) {
    // Stale or partly failed package lists can still be enough to install from; let the
    // install below decide.
    log(`apt-get update failed, trying the install anyway: ${err.message.split('\n')[0]}`);
  }
  run('apt-get', ['install', '-y', ...packages], { env });
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

function postgresReady() {
  if (!which('pg_isready')) return false;
  return spawnSync('pg_isready', ['-q', '-h', PG_HOST, '-p', String(PG_PORT)]).status === 0;
}

/** The newest PostgreSQL version under /etc/postgresql that has a `main` cluster, or null. */
function clusterVersion() {
  let versions = [];
  try {
    versions = fs.readdirSync('/etc/postgresql');
  } catch {
    return null;
  }
  const withCluster = versions.filter((v) => fs.existsSync(path.join('/etc/postgresql', v, PG_CLUSTER)));
  withCluster.sort((a, b) => Number(b) - Number(a));
  return withCluster[0] || null;
}

function pgCtlCluster(version, action) {
  // --skip-systemctl-redirect: there is no systemd here; act on the cluster directly.
  return run('pg_ctlcluster', ['--skip-systemctl-redirect', version, PG_CLUSTER, action]);
}

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(500);
  }
  throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`);
}

/**
 * A freshly installed Debian cluster asks for a password (scram) over TCP. The tests connect as
 * `postgres` to 127.0.0.1 without one, so trust loopback connections. pg_hba.conf is read top
 * down and the first matching line wins, hence the lines go first. Only done for a cluster we
 * installed ourselves a moment ago.
 */
function trustLoopback(version) {
  const file = path.join('/etc/postgresql', version, PG_CLUSTER, 'pg_hba.conf');
  const lines = [
    '# Added by scripts/services.js: the tests connect as postgres over loopback without a password.',
    'host all all 127.0.0.1/32 trust',
    'host all all ::1/128 trust',
    '',
  ];
  fs.writeFileSync(file, lines.join('\n') + fs.readFileSync(file, 'utf8'));
  pgCtlCluster(version, 'reload');
  log(`trusting loopback connections in ${file}`);
}

/** Connects as postgres over TCP, the way the tests do, and creates the `test` database if missing. */
async function ensureTestDatabase() {
  const { Client } = require('pg');
  const client = new Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database: 'postgres' });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is running but refused user postgres on ${PG_HOST}:${PG_PORT} (${err.message}). ` +
        `The tests need a line \`host all all 127.0.0.1/32 trust\` at the top of pg_hba.conf, ` +
        `then \`pg_ctlcluster <version> main reload\`.`,
    );
  }
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = 'test'");
    if (rowCount === 0) {
      await client.query('CREATE DATABASE test');
      log('created database test');
    }
  } finally {
    await client.end();
  }
}

async function ensurePostgres() {
  let justInstalled = false;
  if (!postgresReady()) {
    let version = clusterVersion();
    if (!version || !which('pg_ctlcluster')) {
      if (!isRoot()) {
        throw new Error(
          'PostgreSQL is not installed: install it with `apt-get install postgresql` (as root), ' +
            `then run \`node scripts/services.js\` again.`,
        );
      }
      aptInstall(['postgresql']);
      justInstalled = true;
      version = clusterVersion();
      if (!version) throw new Error('apt-get installed postgresql but created no cluster under /etc/postgresql');
    }
    // The package's own start may have been refused (no init system in containers), or the
    // server was stopped by someone else; either way start it ourselves.
    if (!postgresReady()) {
      log(`starting PostgreSQL ${version} (cluster ${PG_CLUSTER})`);
      try {
        pgCtlCluster(version, 'start');
      } catch (err) {
        // e.g. "already running" while not yet accepting connections: the wait below decides.
        log(err.message.split('\n').slice(0, 2).join(' '));
      }
      await waitFor(postgresReady, 60_000, `PostgreSQL on ${PG_HOST}:${PG_PORT}`);
      log(`PostgreSQL is accepting connections on ${PG_HOST}:${PG_PORT}`);
    }
    if (justInstalled) trustLoopback(version);
  }
  await ensureTestDatabase();
}

// ---------------------------------------------------------------------------------------------
// Redis

/** Resolves to null when `url` answers PING, else to the reason it did not. */
async function redisPing(url) {
  const Redis = require('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null, // one attempt, no reconnect loop
    enableOfflineQueue: false,
  });
  let socketError; // ioredis rejects with "Connection is closed."; the cause comes as an event
  client.on('error', (err) => (socketError = err));
  try {
    await client.connect();
    const reply = await client.ping();
    return reply === 'PONG' ? null : `unexpected reply ${reply}`;
  } catch (err) {
    return (socketError || err).message;
  } finally {
    client.disconnect();
  }
}

async function ensureRedis(url = DEFAULT_REDIS_URL, { install = false } = {}) {
  const reason = await redisPing(url);
  if (reason === null) return;
  if (!isLocalUrl(url)) throw new Error(`Redis at ${url} is not reachable (${reason}); check REDIS_URL.`);

  if (!which('redis-server')) {
    if (!install || !isRoot()) {
      throw new Error(
        `Redis is not reachable at ${url} (${reason}) and redis-server is not installed. ` +
          'Install it with `apt-get install redis-server`, or set REDIS_URL to a reachable Redis.',
      );
    }
    aptInstall(['redis-server']);
    // Where an init system is allowed to act, the package has started its own server already.
    if ((await redisPing(url)) === null) return;
  }

  const port = new URL(url).port || '6379';
  log(`starting redis-server on 127.0.0.1:${port}`);
  // A throwaway cache/queue store for tests and development: nothing is persisted to disk.
  run('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '--port',
    port,
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  await waitFor(async () => (await redisPing(url)) === null, 15_000, `Redis on 127.0.0.1:${port}`);
  log(`Redis is answering on 127.0.0.1:${port}`);
}

// ---------------------------------------------------------------------------------------------
// Prometheus and Alertmanager (the alert rules' tests run the real binaries)

const MONITORING_TOOLS = {
  prometheus: 'prometheus',
  promtool: 'prometheus',
  'prometheus-alertmanager': 'prometheus-alertmanager',
  amtool: 'prometheus-alertmanager',
};

/** Makes sure prometheus, promtool, prometheus-alertmanager and amtool are on PATH, installing them as root. */
function ensureMonitoringTools() {
  const missing = () => Object.keys(MONITORING_TOOLS).filter((command) => !which(command));
  if (missing().length === 0) return;
  const packages = [...new Set(missing().map((command) => MONITORING_TOOLS[command]))];
  if (!isRoot()) {
    throw new Error(
      `${missing().join(', ')} not found on PATH: the alerting specs run them. ` +
        `Install them with \`apt-get install -y ${packages.join(' ')}\` (as root).`,
    );
  }
  aptInstall(packages);
  if (missing().length)
    throw new Error(`apt-get installed ${packages.join(' ')} but ${missing().join(', ')} is still missing`);
}

module.exports = { ensurePostgres, ensureRedis, ensureMonitoringTools, isLocalUrl, DEFAULT_REDIS_URL };

if (require.main === module) {
  (async () => {
    await ensurePostgres();
    await ensureRedis(process.env.REDIS_URL || DEFAULT_REDIS_URL, { install: process.argv.includes('--install') });
    log('PostgreSQL and Redis are up');
  })().catch((err) => {
    log(err.message);
    process.exit(1);
  });
}
