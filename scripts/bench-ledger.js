'use strict';
/**
 * Ledger benchmark: starts the built service against PostgreSQL and Redis, loads it with
 * autocannon and prints a table of single transfers (spread over 1,000 accounts, and all touching
 * one hot account) and of movements through the batch endpoint. Ends by checking the ledger
 * invariants on the data it wrote. Figures, not assertions: run it on demand.
 *
 *   npm run bench:ledger        BENCH_SECONDS=15 BENCH_CONNECTIONS=64 BENCH_POOL_SIZE=24 by default;
 *                               BENCH_ONLY=batch (or hot, or transfers) runs one scenario
 */
const { spawnSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const {
  ROOT,
  apiClient,
  databaseUrl,
  freshDatabase,
  ledgerVerdict,
  startService,
  stopService,
  waitReady,
} = require('./bench-common');

const PORT = Number(process.env.BENCH_PORT || 3300);
const BASE = `http://127.0.0.1:${PORT}`;
const SECONDS = Number(process.env.BENCH_SECONDS || 15);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 64);
const ACCOUNTS = 1_000;
const DB = 'alluse_bench';

const api = apiClient(BASE);

/** One autocannon run; `next()` returns the next request's path and body. */
function load(title, key, next, connections = CONNECTIONS) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: BASE,
        connections,
        duration: SECONDS,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => {
              const { path: p, body } = next();
              return { ...req, path: p, body: JSON.stringify(body) };
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ title, result })),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

async function main() {
  if (!require('node:fs').existsSync(path.join(ROOT, 'dist/src/main.js'))) {
    spawnSync('npx', ['nest', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  await freshDatabase(DB);

  const adminKey = `au_${randomBytes(32).toString('base64url')}`;
  const server = startService({
    port: PORT,
    db: DB,
    adminKey,
    prefix: `bench:${Date.now()}:`,
    env: { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE || '24' },
  });
  try {
    await waitReady(BASE);
    const manager = await api(adminKey, 'POST', '/v1/users', { name: 'bench manager', role: 'manager' });
    const { key } = await api(adminKey, 'POST', `/v1/users/${manager.id}/api-keys`);

    process.stderr.write(`setting up ${ACCOUNTS} accounts…\n`);
    const portfolios = [];
    for (let i = 0; i < Math.ceil(ACCOUNTS / 3); i++) {
      const p = await api(key, 'POST', '/v1/portfolios', { name: `bench ${i}`, initialCapital: '1000000.00' });
      portfolios.push(Object.fromEntries(p.accounts.map((a) => [a.type, a.id])));
    }
    const pick = (list) => list[Math.floor(Math.random() * list.length)];
    // GEN ⇄ REV both ways and into COM: never out of COM (docs/domain.md §3).
    const transferBetween = (p) => {
      const [from, to] = pick([
        ['GEN', 'REV'],
        ['REV', 'GEN'],
        ['GEN', 'COM'],
        ['REV', 'COM'],
      ]);
      return { path: '/v1/transfers', body: { fromAccountId: p[from], toAccountId: p[to], amount: '1.00' } };
    };
    const hot = portfolios[0];
    const hotTransfer = () => {
      const [from, to] = pick([
        ['GEN', 'REV'],
        ['REV', 'GEN'],
        ['GEN', 'COM'],
      ]);
      return { path: '/v1/transfers', body: { fromAccountId: hot[from], toAccountId: hot[to], amount: '0.01' } };
    };
    const kinds = ['PREMIUM', 'DEPOSIT', 'FEE', 'TRADING_LOSS'];
    const batch = () => ({
      path: '/v1/transactions/batch',
      body: {
        items: Array.from({ length: 1000 }, () => {
          const p = pick(portfolios);
          return { kind: pick(kinds), accountId: p[pick(['GEN', 'REV', 'COM'])], amount: '0.10' };
        }),
      },
    });

    const scenarios = [
      [`transfers, ${ACCOUNTS} accounts`, () => transferBetween(pick(portfolios)), CONNECTIONS],
      ['transfers, one hot account', hotTransfer, CONNECTIONS],
      ['batch of 1,000 movements', batch, Number(process.env.BENCH_BATCH_CONNECTIONS || 8)],
    ].filter(([title]) => !process.env.BENCH_ONLY || title.includes(process.env.BENCH_ONLY));
    await load('warm-up', key, () => transferBetween(pick(portfolios)), 16);
    const runs = [];
    for (const [title, next, connections] of scenarios) runs.push(await load(title, key, next, connections));

    const rows = runs.map(({ title, result }) => {
      const ok = result['2xx'];
      const perSecond = ok / result.duration;
      const movements = title.startsWith('batch') ? perSecond * 1000 : perSecond;
      return {
        run: title,
        connections: result.connections,
        'req/s (2xx)': Math.round(perSecond),
        'movements/s': Math.round(movements),
        'p50 ms': result.latency.p50,
        'p99 ms': result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      };
    });
    console.table(rows);

    const check = new Client({ connectionString: databaseUrl(DB) });
    await check.connect();
    const verdict = await ledgerVerdict(check);
    const { rows: written } = await check.query('SELECT count(*) AS n FROM transactions');
    await check.end();
    console.log(`ledger verification: ${verdict}; ${written[0].n} transactions written`);
  } finally {
    await stopService(server);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
