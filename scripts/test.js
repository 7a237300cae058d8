'use strict';
/**
 * `npm test`: makes sure PostgreSQL and Redis are up, builds the service, then runs Jest with any extra arguments
 * passed through (`npm test -- --selectProjects unit`), exiting with Jest's exit code.
 */
const { spawn, spawnSync } = require('node:child_process');
const os = require('node:os');
const path = require('node:path');
const { ensureMonitoringTools, ensurePostgres, ensureRedis, isLocalUrl, DEFAULT_REDIS_URL } = require('./services');

const root = path.resolve(__dirname, '..');

// Admin connection the test harness uses to create a database per test file.
process.env.TEST_DATABASE_URL ||= 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.REDIS_URL ||= DEFAULT_REDIS_URL;

async function main() {
  // Only the local server is ours to start; a TEST_DATABASE_URL elsewhere is used as given.
  if (isLocalUrl(process.env.TEST_DATABASE_URL)) await ensurePostgres();
  await ensureRedis(process.env.REDIS_URL, { install: true });
  ensureMonitoringTools(); // the alerting specs run promtool, amtool, prometheus and alertmanager

  // The process spec runs the built service (dist/src/main.js) as operators do: build it first.
  const build = spawnSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');

  // Jest itself rather than `npx jest`: one process fewer, and signals reach it directly.
  const jest = spawn(process.execPath, [path.join(root, 'node_modules/jest/bin/jest.js'), ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  // Ctrl-C reaches Jest through the terminal already; a SIGTERM sent to this process alone must be passed on.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
  jest.on('exit', (code, signal) => process.exit(code ?? 128 + os.constants.signals[signal]));
}

main().catch((err) => {
  process.stderr.write(`[test] ${err.message}\n`);
  process.exit(1);
});
