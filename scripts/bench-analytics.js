'use strict';
/**
 * Analytics benchmark: starts the built service on a scratch database, writes 100,000
 * transactions on one GEN account (spread over two years, through ledger_post in batches of
 * 1,000), then times GET /v1/accounts/:id/analytics and GET /v1/portfolios/:id/analytics
 * (p50/p99 over BENCH_CALLS sequential calls) and prints the plan of the account query.
 * Figures, not assertions. Drops its database at the end.
 *
 *   npm run build && node scripts/bench-analytics.js    BENCH_TRANSACTIONS=100000 BENCH_CALLS=50
 *   BENCH_KEEP=1 keeps the database (its name is printed) to explore plans by hand.
 */
const { randomBytes, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Client } = require('pg');
const {
  ROOT,
  adminQuery,
  apiClient,
  databaseUrl,
  freshDatabase,
  startService,
  stopService,
  waitReady,
} = require('./bench-common');

const PORT = Number(process.env.BENCH_PORT || 3310);
const BASE = `http://127.0.0.1:${PORT}`;
const TRANSACTIONS = Number(process.env.BENCH_TRANSACTIONS || 100_000);
const CALLS = Number(process.env.BENCH_CALLS || 50);

const BATCH = 1_000;
const SPAN_MS = 2 * 365 * 86_400_000;
const DB = `alluse_bench_analytics_test_${randomBytes(3).toString('hex')}`;

const api = apiClient(BASE);

/** A ledger_post payload of `count` transactions on `gen` (and `rev` for transfers), starting at index `first`. */
function batchPayload(actorId, portfolioId, gen, rev, first, count, startMs) {
  const transactions = [];
  for (let i = first; i < first + count; i++) {
    const effectiveAt = new Date(startMs + Math.floor((i * SPAN_MS) / TRANSACTIONS)).toISOString();
    const id = randomUUID();
    const roll = i === 0 ? -1 : i % 20;
    let kind;
    let legs;
    let cents;
    if (roll === -1) {
      kind = 'DEPOSIT';
      cents = 100_000_000n; // 1,000,000.00 to start with
      legs = [
        [gen, 'cash', cents],
        [null, 'external:bank', -cents],
      ];
    } else if (roll < 10) {
      kind = 'PREMIUM';
      cents = BigInt(1_000 + ((i * 7919) % 100_000));
      legs = [
        [gen, 'cash', cents],
        [null, 'external:market', -cents],
      ];
    } else if (roll < 13) {
      kind = 'TRADING_LOSS';
      cents = BigInt(500 + ((i * 104729) % 50_000));
      legs = [
        [gen, 'cash', -cents],
        [null, 'external:market', cents],
      ];
    } else if (roll < 16) {
      kind = 'FEE';
      cents = BigInt(100 + (i % 2_000));
      legs = [
        [gen, 'cash', -cents],
        [null, 'external:fees', cents],
      ];
    } else if (roll < 17) {
      kind = 'DEPOSIT';
      cents = 100_000n;
      legs = [
        [gen, 'cash', cents],
        [null, 'external:bank', -cents],
      ];
    } else if (roll < 18) {
      kind = 'WITHDRAWAL';
      cents = 50_000n;
      legs = [
        [gen, 'cash', -cents],
        [null, 'external:bank', cents],
      ];
    } else if (roll < 19) {
      kind = 'TRANSFER';
      cents = 20_000n;
      legs = [
        [gen, 'cash', -cents],
        [rev, 'cash', cents],
      ];
    } else {
      // Reverse the premium of this batch written just before (index i − 9 is a PREMIUM).
      const original = transactions.find((t) => t.index === i - 9);
      if (!original) {
        kind = 'FEE';
        cents = 100n;
        legs = [
          [gen, 'cash', -cents],
          [null, 'external:fees', cents],
        ];
      } else {
        kind = 'REVERSAL';
        legs = original.legs.map(([a, l, c]) => [a, l, -c]);
        transactions.push(tx(i, id, kind, legs, effectiveAt, original.id));
        continue;
      }
    }
    transactions.push(tx(i, id, kind, legs, effectiveAt));
  }
  function tx(index, id, kind, legs, effectiveAt, reversesId) {
    const deltas = new Map();
    for (const [a, , c] of legs) if (a) deltas.set(a, (deltas.get(a) ?? 0n) + c);
    return {
      index,
      id,
      kind,
      portfolioId,
      actorId,
      effectiveAt,
      reversesId,
      legs,
      accounts: [...deltas].map(([a, c]) => ({
        id: a,
        cash: c.toString(),
        contracts: '0',
        leaps: '0',
        baseline: '0',
        statuses: ['ACTIVE', 'SUSPENDED'],
      })),
    };
  }
  return {
    actorId,
    transactions: transactions.map(({ index: _index, legs, ...t }) => ({
      ...t,
      legs: legs.map(([accountId, ledger, c]) => ({ accountId, ledger, amount: c.toString() })),
    })),
    audits: [],
  };
}

async function timeCalls(key, url) {
  const times = [];
  let body;
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint();
    body = await api(key, 'GET', url);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  return { p50: at(0.5), p99: at(0.99), max: times[times.length - 1], body };
}

/** The SQL the repository runs, captured by handing it a stand-in for the DataSource. */
async function repositorySql(method, ...args) {
  const { AnalyticsRepository } = require(path.join(ROOT, 'dist/src/modules/analytics/analytics.repository.js'));
  let captured;
  const manager = {
    query: async (sql, params) => {
      if (!sql.startsWith('SET ')) captured = { sql, params };
      return [];
    },
  };
  const repository = new AnalyticsRepository({ ...manager, transaction: (work) => work(manager) });
  await repository[method](...args);
  return captured;
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('run npm run build first');
  await freshDatabase(DB);
  const adminKey = `au_${randomBytes(32).toString('base64url')}`;
  const server = startService({
    port: PORT,
    db: DB,
    adminKey,
    prefix: `bench:${DB}:`,
    env: { TASKS_RUN_WORKERS: 'false' },
  });
  const db = new Client({ connectionString: databaseUrl(DB) });
  try {
    await waitReady(BASE);
    await db.connect();
    const manager = await api(adminKey, 'POST', '/v1/users', { name: 'bench manager', role: 'manager' });
    const { key } = await api(adminKey, 'POST', `/v1/users/${manager.id}/api-keys`);
    const portfolio = await api(key, 'POST', '/v1/portfolios', { name: 'bench', initialCapital: '1000000.00' });
    const byType = Object.fromEntries(portfolio.accounts.map((a) => [a.type, a.id]));
    // The history starts two years ago: the accounts (not yet read by the service) existed since then.
    const startMs = Date.now() - SPAN_MS - 3_600_000;
    await db.query('UPDATE accounts SET created_at = $2 WHERE portfolio_id = $1', [portfolio.id, new Date(startMs)]);
    await db.query('UPDATE portfolios SET created_at = $2 WHERE id = $1', [portfolio.id, new Date(startMs)]);

    process.stderr.write(`writing ${TRANSACTIONS} transactions on one GEN account…\n`);
    const writeStarted = Date.now();
    for (let first = 0; first < TRANSACTIONS; first += BATCH) {
      const payload = batchPayload(
        manager.id,
        portfolio.id,
        byType.GEN,
        byType.REV,
        first,
        Math.min(BATCH, TRANSACTIONS - first),
        startMs,
      );
      await db.query('SELECT ledger_post($1::jsonb)', [JSON.stringify(payload)]);
    }
    const writeSeconds = (Date.now() - writeStarted) / 1000;
    await db.query('ANALYZE');
    const { rows: counts } = await db.query('SELECT count(*)::int AS postings FROM postings WHERE account_id = $1', [
      byType.GEN,
    ]);

    await api(key, 'GET', `/v1/accounts/${byType.GEN}/analytics`); // warm-up
    const account = await timeCalls(key, `/v1/accounts/${byType.GEN}/analytics`);
    const year = new Date(Date.now() - 365 * 86_400_000).toISOString();
    const lastYear = await timeCalls(key, `/v1/accounts/${byType.GEN}/analytics?from=${year}`);
    const portfolioRun = await timeCalls(key, `/v1/portfolios/${portfolio.id}/analytics`);

    const q = await repositorySql('weeklyPostings', byType.GEN, new Date(startMs), new Date(), [
      'DEPOSIT',
      'WITHDRAWAL',
      'TRANSFER',
      'FORK',
      'MERGE',
      'REVERSAL',
    ]);
    await db.query('SET jit = off'); // as the repository runs these queries
    const { rows: plan } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, q.params);
    const planText = plan.map((r) => r['QUERY PLAN']).join('\n');
    // Here the account holds half of all postings, so a sequential scan is the right plan; on a
    // table where it is a small part, the planner takes the index. Show that plan too.
    await db.query('SET enable_seqscan = off');
    const { rows: indexPlan } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.sql}`, q.params);
    await db.query('RESET enable_seqscan');
    const pq = await repositorySql('portfolioIncome', portfolio.id, new Date(startMs), new Date(), [
      'PREMIUM',
      'TRADING_LOSS',
      'FEE',
    ]);
    const { rows: pplan } = await db.query(`EXPLAIN (ANALYZE, COSTS OFF) ${pq.sql}`, pq.params);

    console.log(
      `\n${TRANSACTIONS} transactions written in ${writeSeconds.toFixed(1)} s; ${counts[0].postings} postings on the account`,
    );
    console.log(
      `account analytics: ${account.body.weeks.length} weeks, ${account.body.returns.weeks} returns, total ${account.body.returns.totalPct} %`,
    );
    console.table([
      { endpoint: 'GET /v1/accounts/:id/analytics (2 years)', calls: CALLS, ...round(account) },
      { endpoint: 'GET /v1/accounts/:id/analytics (last year)', calls: CALLS, ...round(lastYear) },
      { endpoint: 'GET /v1/portfolios/:id/analytics (2 years)', calls: CALLS, ...round(portfolioRun) },
    ]);
    console.log('\nplan of the account query (EXPLAIN ANALYZE, BUFFERS):\n' + planText);
    console.log('\nthe same with sequential scans discouraged:\n' + indexPlan.map((r) => r['QUERY PLAN']).join('\n'));
    console.log('\nplan of the portfolio income query:\n' + pplan.map((r) => r['QUERY PLAN']).join('\n'));
    if (!/postings_account_idx/.test(planText + JSON.stringify(indexPlan)))
      console.log('\nWARNING: the account query does not use postings_account_idx');
  } finally {
    await db.end().catch(() => undefined);
    await stopService(server);
    if (process.env.BENCH_KEEP) console.log(`kept database ${DB}`);
    else await adminQuery(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  }
}

const round = ({ p50, p99, max }) => ({
  'p50 ms': +p50.toFixed(1),
  'p99 ms': +p99.toFixed(1),
  'max ms': +max.toFixed(1),
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
