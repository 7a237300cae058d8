'use strict';
/**
 * Private PostgreSQL and Redis servers for suites that kill, restart or stall them (the chaos
 * suite, Redis restarts): each on a free port with its data in a temporary folder, so the shared
 * servers (scripts/services.js) and the suites running beside them are never hit.
 *
 *   const pg = await startPostgres();   pg.url('postgres'), pg.restart('immediate'), pg.stop()
 *   const redis = await startRedis();   redis.url, redis.cli('DEBUG', 'SLEEP', '3'), redis.restart(), redis.stop()
 */
const { execFile, execFileSync, spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** A local TCP port that nothing listens on (it was free a moment ago). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not come up within ${Math.round(timeoutMs / 1000)} s`);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Where initdb and pg_ctl are: PG_BIN, else `pg_config --bindir`, else the newest /usr/lib/postgresql/<v>/bin. */
function postgresBinDir() {
  const candidates = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (config.status === 0) candidates.push(config.stdout.trim());
  try {
    const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join('/usr/lib/postgresql', v, 'bin')));
  } catch {
    // not a Debian layout
  }
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'initdb')));
  if (!dir) throw new Error('initdb not found: install PostgreSQL (apt-get install postgresql) or set PG_BIN');
  return dir;
}

/**
 * Starts a throwaway cluster (initdb, then pg_ctl start) with trust authentication for postgres,
 * fsync off (commits stay synchronous: a restart loses nothing acknowledged). As root, the server programs run as the postgres user (they refuse root).
 */
async function startPostgres({ port, maxConnections = 100, settings = [] } = {}) {
  const bin = postgresBinDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alluse-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  if (isRoot()) {
    const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    fs.chownSync(dir, id('-u'), id('-g'));
  }
  const command = (program, args) =>
    isRoot()
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, program), ...args]]
      : [path.join(bin, program), args];
  const pg = (program, args) =>
    execFileSync(...command(program, args), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const serverPort = port ?? (await freePort());
  pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = [
    `-p ${serverPort}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // No fsync: a killed server loses nothing (the OS keeps what was written), only a lost machine would.
    '-c fsync=off',
    `-c max_connections=${maxConnections}`,
    ...settings.map((s) => `-c ${s}`),
  ].join(' ');
  const ctl = (args) => pg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
  ctl(['-o', options, 'start']);
  let running = true;
  return {
    port: serverPort,
    dir,
    /** The URL of database `database` on this server. */
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${serverPort}/${database}`,
    /**
     * `pg_ctl restart` (its options are kept), without blocking the caller's event loop:
     * `immediate` drops every connection at once, `fast` rolls back what runs first.
     */
    restart(mode = 'fast') {
      const args = ['-D', data, '-l', log, '-w', '-t', '60', '-m', mode, 'restart'];
      return new Promise((resolve, reject) =>
        execFile(...command('pg_ctl', args), { timeout: 60_000 }, (error) => (error ? reject(error) : resolve())),
      );
    },
    stop(mode = 'immediate') {
      if (running) ctl(['-m', mode, 'stop']);
      running = false;
    },
    /** Stops the server (if it runs) and deletes its folder. */
    destroy() {
      try {
        this.stop();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Redis

/** True when `redis-cli` gets PONG from the port. */
function redisAnswers(port) {
  return (
    spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8', timeout: 2_000 }).stdout?.trim() === 'PONG'
  );
}

/**
 * Starts redis-server as a child process on a free port. DEBUG is enabled for local connections,
 * so that a suite can stall it (`DEBUG SLEEP`). `restart()` starts it again on the same port:
 * empty by default, or with what it held when `persistent` (an append-only file, as production
 * runs it: a killed server loses nothing it acknowledged).
 */
async function startRedis({ port, persistent = false } = {}) {
  const serverPort = port ?? (await freePort());
  const dir = persistent ? fs.mkdtempSync(path.join(os.tmpdir(), 'alluse-redis-')) : undefined;
  const persistence = dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child;
  let exited;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(serverPort),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        '--enable-debug-command',
        'local',
      ],
      { stdio: 'ignore' },
    );
    exited = new Promise((resolve) => child.once('exit', resolve));
    await waitUntil(() => child.exitCode === null && redisAnswers(serverPort), 15_000, `redis-server on ${serverPort}`);
  };
  await launch();
  const kill = async (signal = 'SIGKILL') => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  return {
    port: serverPort,
    url: `redis://127.0.0.1:${serverPort}`,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** Runs a redis-cli command against this server; resolves to its output. */
    cli: (...args) =>
      new Promise((resolve, reject) => {
        const cli = spawn('redis-cli', ['-p', String(serverPort), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        cli.stdout.on('data', (chunk) => (out += chunk));
        cli.on('error', reject);
        cli.on('exit', (code) =>
          code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli ${args.join(' ')} exited ${code}`)),
        );
      }),
    kill,
    /** Kills the server (SIGKILL by default) and starts an empty one on the same port. */
    async restart(signal = 'SIGKILL') {
      await kill(signal);
      await launch();
    },
    async start() {
      if (!this.running) await launch();
    },
    async stop() {
      await kill('SIGKILL');
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { freePort, postgresBinDir, startPostgres, startRedis };
