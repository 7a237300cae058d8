import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { toCents } from '@app/money';
import { ledgerViolations } from '@app/testing';
import {
  freePort,
  startPostgres,
  startRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../../scripts/private-servers';
import { runMigrations } from '../../src/database/data-source';
import { faultFigures, RetryingClient, Supervised, type Fault } from './harness';

/**
 * Money keeps moving while everything under it fails. A private PostgreSQL, a private Redis (with
 * an append-only file, as production runs it), the built API and a separate worker process
 * take transfers, premiums, fees, batches, imports and fork scans from clients that retry every
 * request without a definitive answer with its Idempotency-Key, while the harness kills the API
 * and the worker (mid-import, mid-scan), restarts PostgreSQL, terminates its backends, stalls
 * and restarts Redis. Then every request has had its answer, replays return the first answer's
 * transactions, every balance is what the accepted requests make it, every import line posted
 * once, no unit forked twice, and the ledger is sound. CHAOS_SECONDS (default 40) sets the
 * length of the load; CHAOS_CLIENTS (default 4) how many clients send at once.
 */
const SECONDS = Number(process.env.CHAOS_SECONDS || 40);
const CLIENTS = Number(process.env.CHAOS_CLIENTS || 4);
const PORTFOLIOS = 3;
const IMPORT_LINES = 3_000;
const ADMIN_KEY = `au_chaos_${randomBytes(24).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
const amount = () =>
  `${1 + Math.floor(Math.random() * 40)}.${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;

interface Portfolio {
  id: string;
  gen: string;
  rev: string;
  com: string;
}

/** A money-moving request that was answered 2xx: what it did to which account, in cents. */
interface Accepted {
  key: string;
  method: string;
  path: string;
  body: unknown;
  status: number;
  transactionIds: string[];
  attempts: number;
}

describe('chaos: money movements while servers and processes fail', () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let db: Pool;
  let api: Supervised;
  let worker: Supervised;
  let client: RetryingClient;
  const faults: Fault[] = [];
  const accepted: Accepted[] = [];
  const expected = new Map<string, bigint>();
  const imports: {
    taskId: string;
    portfolioId: string;
    keys: string[];
    submittedAt: number;
    replay: { key: string; path: string; file: string };
  }[] = [];
  const scans: string[] = [];
  let requests = 0;
  let started = 0;

  const credit = (account: string, cents: bigint) => expected.set(account, (expected.get(account) ?? 0n) + cents);

  beforeAll(async () => {
    pg = await startPostgres({ maxConnections: 200 });
    redis = await startRedis({ persistent: true });
    const admin = new Pool({ connectionString: pg.url('postgres'), max: 1 });
    await admin.query('CREATE DATABASE alluse_chaos');
    await admin.end();
    await runMigrations({ url: pg.url('alluse_chaos'), statementTimeoutMs: 0 });
    db = new Pool({ connectionString: pg.url('alluse_chaos'), max: 2 });
    db.on('error', () => undefined); // its connections are terminated and restarted too

    const [port, metricsPort] = [await freePort(), await freePort()];
    const answers = (url: string) => async () => (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
    const env = {
      DATABASE_URL: pg.url('alluse_chaos'),
      DATABASE_POOL_SIZE: '8',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: 'chaos:',
      ADMIN_API_KEY: ADMIN_KEY,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_LIMIT: '10000000',
      HOST: '127.0.0.1',
      // A killed worker's task runs again once its lock lapses: short, yet longer than the Redis stall.
      TASKS_LOCK_DURATION_MS: '5000',
      GROWTH_CHECK_DELAY_MS: '20',
    };
    api = new Supervised(
      'api',
      'dist/main.js',
      { ...env, PORT: String(port), TASKS_RUN_WORKERS: 'false' },
      answers(`http://127.0.0.1:${port}/health/live`),
    );
    worker = new Supervised(
      'worker',
      'dist/worker.js',
      { ...env, WORKER_METRICS_PORT: String(metricsPort) },
      answers(`http://127.0.0.1:${metricsPort}/metrics`),
    );
    api.start();
    worker.start();
    await Promise.all([api.up(), worker.up()]);
    client = new RetryingClient(`http://127.0.0.1:${port}`, ADMIN_KEY);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), worker?.stop()]);
    await db?.end();
    await redis?.stop();
    pg?.destroy();
  }, 60_000);

  /** Sends a money-moving request; a 201 is recorded with its transactions, in the expected balances too. */
  async function move(path: string, body: Record<string, unknown>, effects: [string, bigint][]): Promise<void> {
    const key = randomUUID();
    requests++;
    const answer = await client.send('POST', path, body, { idempotencyKey: key });
    if (answer.status !== 201) {
      expect(answer.status).toBe(422); // a refusal (insufficient funds), nothing else
      return;
    }
    const transactions = answer.body.items ?? [answer.body];
    accepted.push({
      key,
      method: 'POST',
      path,
      body,
      status: 201,
      transactionIds: transactions.map((t: { id: string }) => t.id),
      attempts: answer.attempts,
    });
    for (const [account, cents] of effects) credit(account, cents);
  }

  async function submitImport(p: Portfolio, lines = 200): Promise<string> {
    const batch = randomUUID().slice(0, 8);
    const targets = [p.gen, p.rev, p.com];
    // Half the lines carry a key (applied once per portfolio), half none (applied once per import):
    // the submission's Idempotency-Key is what makes a retried submission the same import.
    const rows = Array.from({ length: lines }, (_, i) => ({
      kind: 'PREMIUM',
      accountId: targets[i % 3],
      amount: '0.01',
      ...(i % 2 === 0 && { key: `import-${batch}-${i}` }),
    }));
    const key = `import-${batch}`;
    const file = rows.map((r) => JSON.stringify(r)).join('\n');
    const path = `/v1/portfolios/${p.id}/imports`;
    requests++;
    const answer = await client.send('POST', path, file, {
      contentType: 'application/x-ndjson',
      idempotencyKey: key,
    });
    expect(answer.status).toBe(202);
    imports.push({
      taskId: answer.body.id,
      portfolioId: p.id,
      keys: rows.flatMap((r) => (r.key ? [r.key] : [])),
      submittedAt: Date.now(),
      replay: { key, path, file },
    });
    for (const r of rows) credit(r.accountId, 1n);
    return answer.body.id;
  }

  async function scan(): Promise<string> {
    requests++;
    const answer = await client.send('POST', '/v1/admin/growth/scan', undefined, { idempotencyKey: randomUUID() });
    expect(answer.status).toBe(202);
    scans.push(answer.body.id);
    return answer.body.id;
  }

  /** One random operation of the load. */
  async function operate(portfolios: Portfolio[]): Promise<void> {
    const p = pick(portfolios);
    const a = amount();
    const cents = toCents(a);
    const roll = Math.random();
    if (roll < 0.35) {
      const account = pick([p.gen, p.gen, p.rev, p.com]);
      await move(`/v1/accounts/${account}/premiums`, { amount: a }, [[account, cents]]);
    } else if (roll < 0.5) {
      const account = pick([p.gen, p.rev, p.com]);
      await move(`/v1/accounts/${account}/fees`, { amount: a }, [[account, -cents]]);
    } else if (roll < 0.8) {
      const [from, to] = pick([
        [p.rev, p.gen],
        [p.gen, p.rev],
        [p.rev, p.com],
      ]);
      await move('/v1/transfers', { fromAccountId: from, toAccountId: to, amount: a }, [
        [from, -cents],
        [to, cents],
      ]);
    } else if (roll < 0.97) {
      const items = Array.from({ length: 5 }, () => ({
        kind: pick(['PREMIUM', 'FEE'] as const),
        accountId: pick([p.gen, p.rev, p.com]),
        amount: amount(),
      }));
      await move(
        '/v1/transactions/batch',
        { items },
        items.map((i) => [i.accountId, i.kind === 'PREMIUM' ? toCents(i.amount) : -toCents(i.amount)]),
      );
    } else if (roll < 0.99) {
      await submitImport(p);
    } else {
      await scan();
    }
  }

  /** Lines are claimed under `key:<the line's key>` (import-lines.ts). */
  const claimed = (keys: string[]) => keys.map((k) => `key:${k}`);
  const importedLines = async (keys: string[]) =>
    Number(
      (await db.query('SELECT count(*)::int AS n FROM import_line_keys WHERE key = ANY($1)', [claimed(keys)])).rows[0]
        .n,
    );
  const taskState = async (id: string) => (await client.send('GET', `/v1/tasks/${encodeURIComponent(id)}`)).body?.state;

  /** The faults, in turn; each is logged when it starts and when it is over. */
  const injections: Record<string, (p: Portfolio[]) => Promise<string | void>> = {
    'API killed (SIGKILL)': async () => {
      await api.kill();
      await api.up();
    },
    'PostgreSQL backends terminated': async () => {
      const admin = new Pool({ connectionString: pg.url('postgres'), max: 1 });
      const { rowCount } = await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'alluse_chaos' AND pid <> pg_backend_pid()",
      );
      await admin.end();
      return `${rowCount} backends`;
    },
    'Redis stalled (DEBUG SLEEP 3)': async () => {
      await redis.cli('DEBUG', 'SLEEP', '3');
    },
    'PostgreSQL restarted (immediate)': async () => {
      await pg.restart('immediate');
    },
    'worker killed mid-import': async (portfolios) => {
      const id = await submitImport(pick(portfolios), IMPORT_LINES);
      const keys = imports[imports.length - 1].keys;
      const deadline = Date.now() + 20_000;
      let applied = 0;
      while (Date.now() < deadline && (applied = await importedLines(keys)) === 0) await sleep(20);
      await worker.kill();
      await worker.up();
      return applied < IMPORT_LINES
        ? `${applied} of ${IMPORT_LINES} lines applied at the kill`
        : `finished first (${id})`;
    },
    'Redis restarted': async () => {
      await redis.restart();
    },
    'worker killed mid-scan': async () => {
      // The scan itself takes milliseconds; the checks it queues run on for longer. The worker
      // dies a moment after the scan is submitted, whatever point it has reached.
      const id = await scan();
      await sleep(Math.random() * 30);
      const state = await taskState(id);
      await worker.kill();
      await worker.up();
      return `scan ${state} at the kill`;
    },
    'PostgreSQL restarted (fast)': async () => {
      await pg.restart('fast');
    },
  };

  it('answers every request, applies each once, and keeps every balance and the ledger exact', async () => {
    // Portfolios with a low fork threshold, so that units fork while the faults happen.
    const portfolios: Portfolio[] = [];
    for (let i = 0; i < PORTFOLIOS; i++) {
      requests++;
      const opened = await client.send(
        'POST',
        '/v1/portfolios',
        { name: `chaos ${i}`, initialCapital: '100000.00', forkThreshold: '400.00' },
        { idempotencyKey: `open-${i}` },
      );
      expect(opened.status).toBe(201);
      const byType = Object.fromEntries(opened.body.accounts.map((a: { type: string; id: string }) => [a.type, a]));
      for (const a of opened.body.accounts) credit(a.id, toCents(a.total));
      portfolios.push({ id: opened.body.id, gen: byType.GEN.id, rev: byType.REV.id, com: byType.COM.id });
    }

    started = Date.now();
    let running = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running) await operate(portfolios);
    });
    const names = Object.keys(injections);
    for (let round = 0; round < names.length || Date.now() - started < SECONDS * 1000; round++) {
      await sleep(1_500);
      const fault: Fault = { name: names[round % names.length], at: Date.now() };
      faults.push(fault);
      fault.note = (await injections[fault.name](portfolios)) ?? undefined;
      fault.doneAt = Date.now();
    }
    running = false;
    await Promise.all(clients);
    const loadSeconds = (Date.now() - started) / 1000;

    // Every import runs to the end (submitted before and after a restart of Redis alike).
    const submittedAfterRedisRestart = imports.filter((i) =>
      faults.some((f) => f.name === 'Redis restarted' && i.submittedAt > f.doneAt!),
    );
    expect(submittedAfterRedisRestart.length).toBeGreaterThan(0);
    for (const i of imports) {
      const deadline = Date.now() + 60_000;
      while ((await taskState(i.taskId)) !== 'completed') {
        if (Date.now() > deadline) {
          const view = (await client.send('GET', `/v1/tasks/${encodeURIComponent(i.taskId)}`)).body;
          throw new Error(`import ${i.taskId} did not complete: ${JSON.stringify(view)}`);
        }
        await sleep(200);
      }
    }
    // The growth checks the load queued run out, then nothing moves while the books are read.
    await scan();
    await sleep(3_000);
    await worker.stop();
    await api.stop();

    // Every request had a definitive answer.
    expect(client.gaveUp).toBe(0);

    // Replays (the same key and body, after all this) answer with the first answer's transactions:
    // every request that needed retries, and a sample of the others.
    api.start();
    await api.up();
    const retried = accepted.filter((a) => a.attempts > 1);
    const sample = [...retried, ...accepted.filter((a) => a.attempts === 1).slice(0, 150)];
    for (const a of sample) {
      const replay = await client.send(a.method, a.path, a.body, { idempotencyKey: a.key });
      expect({ key: a.key, status: replay.status }).toEqual({ key: a.key, status: a.status });
      expect((replay.body.items ?? [replay.body]).map((t: { id: string }) => t.id)).toEqual(a.transactionIds);
    }
    // A submission replayed with its key is the same import and task, and stores nothing more.
    for (const i of imports.slice(0, 20)) {
      const { key, path, file } = i.replay;
      const replay = await client.send('POST', path, file, {
        contentType: 'application/x-ndjson',
        idempotencyKey: key,
      });
      expect({ key, status: replay.status, task: replay.body.id }).toEqual({ key, status: 202, task: i.taskId });
    }
    const { rows: stored } = await db.query('SELECT count(*)::int AS n FROM imports');
    expect(stored[0].n).toBe(imports.length);
    await api.stop();

    // Every import line posted once (however often its file was submitted): the keyed lines by
    // their keys here, every line by the balances below.
    const allKeys = imports.flatMap((i) => i.keys);
    expect(await importedLines(allKeys)).toBe(allKeys.length);
    const { rows: linePostings } = await db.query(
      `SELECT count(*)::int AS n FROM import_line_keys k JOIN transactions t ON t.id = k.transaction_id WHERE k.key = ANY($1)`,
      [claimed(allKeys)],
    );
    expect(linePostings[0].n).toBe(allKeys.length);

    // No unit forked twice: one FORK transaction per unit, and no fork without its unit.
    const forks = await db.query(`
      SELECT (SELECT count(*)::int FROM transactions WHERE kind = 'FORK') AS fork_transactions,
             (SELECT count(*)::int FROM units) AS units,
             (SELECT count(DISTINCT fork_transaction_id)::int FROM units u
                JOIN transactions t ON t.id = u.fork_transaction_id AND t.kind = 'FORK') AS units_with_their_fork`);
    const { fork_transactions: forkTransactions, units, units_with_their_fork: unitsWithFork } = forks.rows[0];
    expect(forkTransactions).toBe(units);
    expect(unitsWithFork).toBe(units);

    // Every account holds its opening deposit, plus what the accepted requests moved, plus what
    // the forks and merges the ledger shows moved.
    const growth = await db.query(`
      SELECT p.account_id AS id, sum(p.amount)::text AS cents
        FROM postings p JOIN transactions t ON t.seq = p.tx_seq
       WHERE t.kind IN ('FORK', 'MERGE') AND p.account_id IS NOT NULL
       GROUP BY p.account_id`);
    for (const r of growth.rows) credit(r.id, BigInt(r.cents));
    const { rows: balances } = await db.query(
      'SELECT id, (cash + contracts + leaps)::text AS total FROM accounts WHERE portfolio_id = ANY($1)',
      [portfolios.map((p) => p.id)],
    );
    const actual = Object.fromEntries(balances.map((r) => [r.id, r.total as string]));
    const wanted = Object.fromEntries(balances.map((r) => [r.id, (expected.get(r.id) ?? 0n).toString()]));
    expect(actual).toEqual(wanted);

    // The ledger invariants (postings sum to zero, balances equal postings, nothing negative).
    expect(await ledgerViolations(db)).toEqual([]);

    // The figures of the run.
    const figures = faultFigures(faults, client.attempts);
    const attempts = client.attempts.length;
    const retries = client.attempts.filter((a) => a.outcome !== 'answer').length;
    const report = [
      `chaos run: ${loadSeconds.toFixed(0)} s of load, ${CLIENTS} clients`,
      `requests ${requests} (+ ${sample.length} replays and task polls), attempts ${attempts}, retries ${retries}, accepted movements ${accepted.length}, imports ${imports.length} (${allKeys.length} lines), scans ${scans.length}, units forked ${units}`,
      `faults injected ${faults.length}; API starts ${api.starts} (${api.failedStarts} failed), worker starts ${worker.starts} (${worker.failedStarts} failed)`,
      '',
      '| fault | times | 5xx seen | connection errors | recovery, median | recovery, worst |',
      '|---|---|---|---|---|---|',
      ...figures.map(
        (f) =>
          `| ${f.fault} | ${f.count} | ${f.errors5xx} | ${f.connectionErrors} | ${(f.recoveryMedianMs / 1000).toFixed(2)} s | ${(f.recoveryMaxMs / 1000).toFixed(2)} s |`,
      ),
      '',
      ...faults.filter((f) => f.note).map((f) => `${f.name}: ${f.note}`),
      `statuses retried: ${JSON.stringify(countBy(client.attempts.filter((a) => a.outcome === 'retried').map((a) => a.status)))}`,
    ].join('\n');
    process.stdout.write(`\n${report}\n`);
    // A 500 is a bug, not a state to wait out: every outage answers 503 (or no connection).
    expect(client.attempts.filter((a) => a.status === 500)).toEqual([]);
  }, 600_000);
});

function countBy(values: unknown[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}
