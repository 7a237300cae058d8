'use strict';
/**
 * Bulk-import benchmark (figures, not assertions; run on demand). Starts the built service (queue
 * workers in the API process, the default) against a fresh database and the local Redis, then:
 *  a. refused lines: submits a BENCH_BAD_LINES-line file whose every line withdraws more than its
 *     account holds, which only the ledger's guards can refuse, and times it from submitting to
 *     the finished task;
 *  b. a cheap GET beside a malformed file: the latency of GET /health/live, four requests at a
 *     time from a separate process, first with nothing else running, then from the start of the
 *     upload of a BENCH_MALFORMED_MB file (lines that each fail validation: an amount with three
 *     decimals, padded with a memo) until its task has finished.
 *
 *   npm run bench:imports   BENCH_BAD_LINES=100000 BENCH_MALFORMED_MB=32 BENCH_ONLY=refused|latency
 *                           BENCH_PORT=3304
 */
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const bench = require('./bench-common');
const { DEFAULT_REDIS_URL } = require('./services');

const PORT = Number(process.env.BENCH_PORT || 3304);
const BASE = `http://127.0.0.1:${PORT}`;
const BAD_LINES = Number(process.env.BENCH_BAD_LINES || 100_000);
const MALFORMED_BYTES = Number(process.env.BENCH_MALFORMED_MB || 32) * 1024 * 1024;
const ONLY = process.env.BENCH_ONLY;
const PROBE_SECONDS = 5; // the idle latency sample
const DB = 'alluse_bench_imports';
const REDIS_URL = process.env.REDIS_URL || DEFAULT_REDIS_URL;
const ADMIN_KEY = `au_${randomBytes(32).toString('base64url')}`;
const log = (message) => process.stderr.write(`${message}\n`);
const api = bench.apiClient(BASE);

/**
 * GET /health/live, four at a time, back to back, from a child process (so that the figures do
 * not include this script's own work); it prints percentiles when its stdin closes.
 */
function startProbe() {
  const code = `
    const latencies = [];
    let running = true;
    process.stdin.on('end', () => (running = false)).resume();
    const loop = async () => {
      while (running) {
        const started = performance.now();
        const res = await fetch('${BASE}/health/live');
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
      }
    };
    Promise.all([loop(), loop(), loop(), loop()]).then(() => {
      latencies.sort((a, b) => a - b);
      const at = (q) => Number(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1));
      console.log(JSON.stringify({ requests: latencies.length, 'p50 ms': at(0.5), 'p99 ms': at(0.99), 'max ms': at(1) }));
    });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve(JSON.parse(out)));
        child.stdin.end();
      }),
  };
}

/** a. Every line overdraws its account: only the ledger can refuse it. */
async function benchRefused(portfolio) {
  const rev = portfolio.accounts.find((a) => a.type === 'REV').id;
  const line = JSON.stringify({ kind: 'WITHDRAWAL', accountId: rev, amount: '1000000.00' });
  const file = Array(BAD_LINES).fill(line).join('\n');
  log(`refused lines: importing ${BAD_LINES} lines that all overdraw…`);
  const { task, seconds } = await bench.timedImport(BASE, ADMIN_KEY, portfolio.id, file);
  return {
    lines: BAD_LINES,
    state: task.state,
    rejected: task.result?.rejectedCount,
    seconds: Number(seconds.toFixed(2)),
    'lines/s': Math.round(BAD_LINES / seconds),
  };
}

/** b. A cheap GET, idle and while a malformed file is uploaded and processed. */
async function benchLatency(portfolio) {
  const prefix = JSON.stringify({ kind: 'PREMIUM', accountId: portfolio.accounts[0].id, amount: '1.001', memo: '' });
  const lineCount = 100_000; // the most an import holds
  const pad = Math.max(0, Math.floor(MALFORMED_BYTES / lineCount) - prefix.length - 1);
  const line = prefix.replace('"memo":""', `"memo":"${'x'.repeat(pad)}"`);
  const file = Array(lineCount).fill(line).join('\n');
  log(`latency: idle for ${PROBE_SECONDS} s…`);
  let probe = startProbe();
  await new Promise((r) => setTimeout(r, PROBE_SECONDS * 1000));
  const idle = await probe.stop();
  log(`latency: during a malformed ${(file.length / 1048576).toFixed(1)} MiB file (${lineCount} lines)…`);
  probe = startProbe();
  const { task, seconds } = await bench.timedImport(BASE, ADMIN_KEY, portfolio.id, file);
  const busy = await probe.stop();
  return [
    { while: 'nothing else', ...idle },
    {
      while: `upload + task of ${(file.length / 1048576).toFixed(1)} MiB (${task.state} in ${seconds.toFixed(1)} s)`,
      ...busy,
    },
  ];
}

async function main() {
  bench.ensureBuilt();
  await bench.freshDatabase(DB, REDIS_URL);
  const prefix = `bench-imports:${Date.now()}:`;
  const server = bench.startService({ port: PORT, db: DB, adminKey: ADMIN_KEY, prefix, env: {} });
  const results = {};
  try {
    await bench.waitReady(BASE);
    const open = (name) => api(ADMIN_KEY, 'POST', '/v1/portfolios', { name, initialCapital: '1000.00' });
    if (ONLY !== 'latency') results.refused = await benchRefused(await open('refused lines'));
    if (ONLY !== 'refused') results.latency = await benchLatency(await open('malformed file'));
  } finally {
    await bench.stopService(server);
    await bench.clearQueues(prefix, REDIS_URL);
  }
  if (results.refused) {
    console.log('an import whose every line the ledger refuses:');
    console.table([results.refused]);
  }
  if (results.latency) {
    console.log('GET /health/live (4 at a time):');
    console.table(results.latency);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
