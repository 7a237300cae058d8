'use strict';
/**
 * `npm test`: makes sure PostgreSQL and Redis are up, builds the service, then runs Jest with any extra arguments
 * passed through (`npm test -- --selectProjects unit`), exiting with Jest's exit code.
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
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

  // Jest itself rather than `npx jest`: one process fewer, and signals reach it directly. Its results
  // also go to a file, so that the run ends with the count of passed and failed tests whatever
  // Jest prints after its summary.
  const results = path.join(os.tmpdir(), `alluse-jest-${process.pid}.json`);
  const jestArgs = [path.join(root, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${results}`];
  const jest = spawn(process.execPath, [...jestArgs, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  // Ctrl-C reaches Jest through the terminal already; a SIGTERM sent to this process alone must be passed on.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => jest.kill(signal));
  jest.on('exit', (code, signal) => {
    printCount(results);
    process.exit(code ?? 128 + os.constants.signals[signal]);
  });
}

/** The last line of the run: `Tests: N passed, M failed, T total` (nothing if Jest wrote no results). */
function printCount(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.rmSync(file, { force: true });
    process.stdout.write(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numTotalTests} total\n`);
  } catch {
    // Jest stopped before writing its results (a crash, a signal): its own output says why.
  }
}

main().catch((err) => {
  process.stderr.write(`[test] ${err.message}\n`);
  process.exit(1);
});
