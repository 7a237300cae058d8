'use strict';
/**
 * Growth engine benchmark (figures, not assertions; run on demand):
 *  1. the scan: 10,000 GEN accounts (10,000 portfolios), 1,000 of them eligible, and the time from
 *     starting the scan until all 1,000 have forked through the growth queue;
 *  2. fork latency: manual fork requests (POST /v1/accounts/:id/fork) while autocannon loads the
 *     ledger with premiums, p50/p99;
 *  then the ledger and fork invariants on what it wrote.
 *
 *   npm run bench:growth     BENCH_PORTFOLIOS=10000 BENCH_ELIGIBLE=1000 BENCH_SECONDS=15 by default
 */
const { randomBytes, randomUUID } = require('node:crypto');
const autocannon = require('autocannon');
const { Client } = require('pg');
const {
  adminQuery,
  apiClient,
  databaseUrl,
  freshDatabase,
  ledgerVerdict,
  startService,
  stopService,
  waitReady,
} = require('./bench-common');

const PORT = Number(process.env.BENCH_PORT || 3302);
const BASE = `http://127.0.0.1:${PORT}`;
const PORTFOLIOS = Number(process.env.BENCH_PORTFOLIOS || 10_000);
const ELIGIBLE = Number(process.env.BENCH_ELIGIBLE || 1_000);
const LATENCY_FORKS = Number(process.env.BENCH_LATENCY_FORKS || 400);
const SECONDS = Number(process.env.BENCH_SECONDS || 15);
const DB = 'alluse_bench_growth';
const log = (message) => process.stderr.write(`${message}\n`);

const api = apiClient(BASE);

/** Runs `work` over `items` with `concurrency` at once. */
async function pool(items, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * Premiums written straight through ledger_post, 1,000 per call: surpluses that no automatic
 * check has seen (as after lost events), which only the scan or a request will find.
 */
async function silentPremiums(db, targets, cents) {
  for (let i = 0; i < targets.length; i += 1000) {
    const transactions = targets.slice(i, i + 1000).map(({ portfolioId, accountId }) => ({
      id: randomUUID(),
      kind: 'PREMIUM',
      portfolioId,
      legs: [
        { accountId, ledger: 'cash', amount: String(cents) },
        { accountId: null, ledger: 'external:market', amount: String(-cents) },
      ],
      accounts: [
        { id: accountId, cash: String(cents), contracts: '0', leaps: '0', baseline: '0', statuses: ['ACTIVE'] },
      ],
    }));
    await db.query('SELECT ledger_post($1::jsonb)', [JSON.stringify({ actorId: null, audits: [], transactions })]);
  }
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  await freshDatabase(DB);
  const adminKey = `au_${randomBytes(32).toString('base64url')}`;
  const server = startService({
    port: PORT,
    db: DB,
    adminKey,
    prefix: `bench-growth:${Date.now()}:`,
    env: { GROWTH_SCHEDULES_ENABLED: 'false', DATABASE_POOL_SIZE: '24' },
  });
  const db = new Client({ connectionString: databaseUrl(DB) });
  try {
    await waitReady(BASE);
    await db.connect();
    const manager = await api(adminKey, 'POST', '/v1/users', { name: 'bench manager', role: 'manager' });
    const { key } = await api(adminKey, 'POST', `/v1/users/${manager.id}/api-keys`);

    log(`opening ${PORTFOLIOS} portfolios…`);
    const portfolios = [];
    await pool(
      Array.from({ length: PORTFOLIOS }, (_, i) => i),
      16,
      async (i) => {
        const p = await api(key, 'POST', '/v1/portfolios', { name: `growth ${i}`, initialCapital: '250000.00' });
        portfolios.push({ id: p.id, ...Object.fromEntries(p.accounts.map((a) => [a.type, a.id])) });
      },
    );
    await new Promise((r) => setTimeout(r, 2000)); // the checks after the opening deposits drain

    // 1. The scan.
    const eligible = portfolios.slice(0, ELIGIBLE);
    await silentPremiums(
      db,
      eligible.map((p) => ({ portfolioId: p.id, accountId: p.GEN })),
      5_000_000,
    ); // 50,000.00
    const gens = await db.query(`SELECT count(*)::int AS n FROM accounts WHERE type = 'GEN' AND status = 'ACTIVE'`);
    log(`scanning ${gens.rows[0].n} GEN accounts, ${ELIGIBLE} eligible…`);
    const started = performance.now();
    const scan = await api(adminKey, 'POST', '/v1/admin/growth/scan');
    let scanTask;
    for (;;) {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM units');
      if (!scanTask) {
        const task = await api(adminKey, 'GET', `/v1/tasks/${scan.id}`);
        if (task.state === 'completed') scanTask = { ...task.result, ms: performance.now() - started };
      }
      if (rows[0].n >= ELIGIBLE) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const scanMs = performance.now() - started;

    // 2. Fork latency under load.
    const targets = portfolios.slice(ELIGIBLE, ELIGIBLE + LATENCY_FORKS);
    await silentPremiums(
      db,
      targets.map((p) => ({ portfolioId: p.id, accountId: p.GEN })),
      5_000_000,
    );
    log(`${LATENCY_FORKS} manual forks during ${SECONDS} s of premium load…`);
    const loaded = portfolios.slice(ELIGIBLE + LATENCY_FORKS);
    const load = new Promise((resolve, reject) => {
      autocannon(
        {
          url: BASE,
          connections: 32,
          duration: SECONDS,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          requests: [
            {
              method: 'POST',
              setupRequest: (req) => {
                const p = loaded[Math.floor(Math.random() * loaded.length)];
                return { ...req, path: `/v1/accounts/${p.REV}/premiums`, body: '{"amount":"1.00"}' };
              },
            },
          ],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
    });
    await new Promise((r) => setTimeout(r, 1000)); // measure once the load is running
    const latencies = [];
    await pool(targets, 4, async (p) => {
      const t0 = performance.now();
      await api(key, 'POST', `/v1/accounts/${p.GEN}/fork`);
      latencies.push(performance.now() - t0);
    });
    const loadResult = await load;
    latencies.sort((a, b) => a - b);

    const verdict = await ledgerVerdict(db);
    const { rows: inv } = await db.query(`
      SELECT (SELECT count(*) FROM units)::int AS units,
             (SELECT count(*) FROM transactions WHERE kind = 'FORK')::int AS forks,
             (SELECT count(*) FROM (SELECT parent_account_id FROM units GROUP BY parent_account_id HAVING count(*) > 1) d)::int AS doubled`);

    console.table([
      {
        measure: `scan: ${gens.rows[0].n} GEN accounts, ${ELIGIBLE} eligible`,
        'total ms': Math.round(scanMs),
        'forks/s': Math.round((ELIGIBLE / scanMs) * 1000),
        note: `scan task itself ${Math.round(scanTask?.ms ?? NaN)} ms (${scanTask?.forkChecks} checks queued)`,
      },
      {
        measure: `manual fork under load (${LATENCY_FORKS} forks, 4 at a time)`,
        'p50 ms': Math.round(percentile(latencies, 50)),
        'p99 ms': Math.round(percentile(latencies, 99)),
        note: `load: ${Math.round(loadResult['2xx'] / loadResult.duration)} premiums/s, p99 ${loadResult.latency.p99} ms, ${loadResult.non2xx} non-2xx`,
      },
    ]);
    console.log(
      `ledger verification: ${verdict}; ` +
        `${inv[0].units} units for ${inv[0].forks} FORK transactions, ${inv[0].doubled} accounts forked twice`,
    );
  } finally {
    await db.end().catch(() => undefined);
    await stopService(server);
    await adminQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
