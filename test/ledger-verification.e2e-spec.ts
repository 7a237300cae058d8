import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { PoolClient } from 'pg';
import {
  bearer,
  createUser,
  databaseUrl,
  eventually,
  forkRootGen,
  grant,
  ledgerViolations,
  openPortfolio,
  OpenedPortfolio,
  SMALL_GROWTH,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { TasksProducer } from '../src/modules/async-tasks/tasks.producer';
import { ledgerInvariantViolations } from '../src/modules/monitoring/metrics';
import {
  LEDGER_CHECK_NAMES,
  pgQuery,
  verifyLedger,
  type LedgerCheckName,
  type LedgerVerification,
} from '../src/modules/transactions/ledger-verification/ledger-checks';

const SCRIPT = join(__dirname, '../scripts/ledger-verify.js');

/** Every check at 0, then the given counts. */
const counts = (found: Partial<Record<LedgerCheckName, number>> = {}) =>
  LEDGER_CHECK_NAMES.map((name) => ({ name, violations: found[name] ?? 0 }));

/**
 * The ledger verification: each check finds a violation planted directly in the database (the
 * append-only and foreign-key triggers are off in the planting transaction: session_replication_role
 * = replica), and is quiet on a ledger the service wrote; the admin endpoint and its roles; the
 * gauge, set by the endpoint and by the nightly job and shared through Redis; `npm run ledger:verify`
 * (the built script: run `npm run build` first, as `npm test` does).
 */
describe('ledger verification (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let p: OpenedPortfolio;
  let deposit: string;
  let unitId: string;
  let unitGen: string;

  beforeAll(async () => {
    t = await startTestApp('verification');
    manager = await createUser(t, 'manager');
    // Something of everything the checks read: movements, a reversal, a key, an import, a fork, a
    // merge and a reinvestment.
    p = await openPortfolio(t, manager.key, { name: 'Verified', ...SMALL_GROWTH });
    const post = (path: string, body: object = {}) => t.http.post(path).set(bearer(manager.key)).send(body);
    deposit = (await post(`/v1/accounts/${p.rev}/deposits`, { amount: '100.00' }).set('Idempotency-Key', 'dep-1')).body
      .id;
    const premium = await post(`/v1/accounts/${p.rev}/premiums`, { amount: '500.00' }).expect(201);
    await post(`/v1/transactions/${premium.body.id}/reversal`).expect(201);
    await post(`/v1/accounts/${p.com}/premiums`, { amount: '400.00' }).expect(201);
    await post(`/v1/accounts/${p.com}/reinvestments`).expect(201);
    const csv = `kind,accountId,amount,key\nPREMIUM,${p.rev},1.00,line-1\n`;
    const task = await post(`/v1/portfolios/${p.id}/imports`).set('content-type', 'text/csv').send(csv).expect(202);
    await eventually(async () => {
      const res = await t.http.get(`/v1/tasks/${task.body.id}`).set(bearer(manager.key));
      return res.body.state === 'completed' || undefined;
    }, 'the import');
    const unit = await forkRootGen(t, manager.key, p, 100_000n);
    [unitId, unitGen] = [unit.id, unit.gen];
    await post(`/v1/accounts/${unit.com}/premiums`, { amount: '4500.00' }).expect(201);
    await post(`/v1/units/${unitId}/merge`).expect(201);
  });
  afterAll(() => t.close());

  /** Runs `work` in a transaction without triggers, then rolls everything back. */
  async function planted<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await t.db.connect();
    try {
      await client.query("BEGIN; SET LOCAL session_replication_role = 'replica'");
      return await work(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  /** Commits `sql` without triggers (a violation that stays until it is repaired the same way). */
  async function commitPlanted(sql: string, params: unknown[] = []) {
    const client = await t.db.connect();
    try {
      await client.query("BEGIN; SET LOCAL session_replication_role = 'replica'");
      await client.query(sql, params);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  const seqOf = async (id: string) =>
    (await t.db.query('SELECT seq::text FROM transactions WHERE id = $1', [id])).rows[0].seq as string;

  it('finds the ledger the service wrote sound', async () => {
    const result = await planted((client) => verifyLedger(pgQuery(client)));
    expect(result).toMatchObject({ ok: true, checks: counts(), violations: [] });
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  describe('each check finds what is planted', () => {
    interface Plant {
      what: string;
      /** Plants the violation; answers the subject the check names. */
      plant: (c: PoolClient) => Promise<string>;
      found: Partial<Record<LedgerCheckName, number>>;
    }
    const PLANTS: Plant[] = [
      {
        what: 'an external leg changed: its transaction no longer sums to zero',
        found: { unbalanced_transactions: 1 },
        plant: async (c) => {
          await c.query('UPDATE postings SET amount = amount + 1 WHERE tx_seq = $1 AND account_id IS NULL', [
            await seqOf(deposit),
          ]);
          return deposit;
        },
      },
      {
        what: "an account's cash changed without a posting",
        found: { pocket_drift: 1 },
        plant: async (c) => {
          await c.query('UPDATE accounts SET cash = cash + 1 WHERE id = $1', [p.rev]);
          return p.rev;
        },
      },
      {
        what: 'a negative baseline (its CHECK dropped)',
        found: { negative_balances: 1 },
        plant: async (c) => {
          await c.query('ALTER TABLE accounts DROP CONSTRAINT accounts_baseline_check');
          await c.query('UPDATE accounts SET baseline = -1 WHERE id = $1', [p.gen]);
          return p.gen;
        },
      },
      {
        what: 'postings of a transaction that does not exist',
        found: { orphan_postings: 2 },
        plant: async (c) => {
          await c.query(
            `INSERT INTO postings (tx_seq, idx, account_id, ledger, amount, effective_at)
             VALUES (999999999, 0, NULL, 'external:bank', 5, now()), (999999999, 1, NULL, 'external:fees', -5, now())`,
          );
          return 'seq 999999999 leg 0';
        },
      },
      {
        what: 'a posting to an account that does not exist',
        found: { orphan_postings: 1 },
        plant: async (c) => {
          const { rows } = await c.query(
            `INSERT INTO transactions (id, portfolio_id, kind, effective_at) VALUES ($1, $2, 'PREMIUM', now()) RETURNING seq`,
            [randomUUID(), p.id],
          );
          await c.query(
            `INSERT INTO postings (tx_seq, idx, account_id, ledger, amount, effective_at)
             VALUES ($1, 0, $2, 'cash', 5, now()), ($1, 1, NULL, 'external:market', -5, now())`,
            [rows[0].seq, randomUUID()],
          );
          return `seq ${rows[0].seq} leg 0`;
        },
      },
      {
        what: 'a transaction without postings',
        found: { transactions_without_postings: 1 },
        plant: async (c) => {
          const id = randomUUID();
          await c.query(
            `INSERT INTO transactions (id, portfolio_id, kind, effective_at) VALUES ($1, $2, 'FEE', now())`,
            [id, p.id],
          );
          return id;
        },
      },
      {
        what: 'an Idempotency-Key naming a transaction that does not exist',
        found: { dangling_idempotency_keys: 1 },
        plant: async (c) => {
          await c.query(
            `INSERT INTO idempotency_keys (owner_id, key, request_hash, transaction_ids) VALUES ($1, 'planted', 'x', $2)`,
            [manager.id, [randomUUID()]],
          );
          return `${manager.id}/planted`;
        },
      },
      {
        what: 'an Idempotency-Key naming no transaction',
        found: { dangling_idempotency_keys: 1 },
        plant: async (c) => {
          await c.query(
            `INSERT INTO idempotency_keys (owner_id, key, request_hash, transaction_ids) VALUES ($1, 'empty', 'x', '{}')`,
            [manager.id],
          );
          return `${manager.id}/empty`;
        },
      },
      {
        what: 'an imported line naming a transaction that does not exist',
        found: { dangling_import_line_keys: 1 },
        plant: async (c) => {
          await c.query(`INSERT INTO import_line_keys (portfolio_id, key, transaction_id) VALUES ($1, 'planted', $2)`, [
            p.id,
            randomUUID(),
          ]);
          return `${p.id}/planted`;
        },
      },
      {
        what: 'a unit recording another amount than its FORK transaction moved',
        found: { fork_records: 1 },
        plant: async (c) => {
          await c.query('UPDATE units SET amount = amount + 1 WHERE id = $1', [unitId]);
          return `unit ${unitId}`;
        },
      },
      {
        what: 'a unit gone: its FORK and MERGE transactions have no unit',
        found: { fork_records: 1, merge_records: 1 },
        plant: async (c) => {
          const { rows } = await c.query('DELETE FROM units WHERE id = $1 RETURNING fork_transaction_id', [unitId]);
          return `transaction ${rows[0].fork_transaction_id}`;
        },
      },
      {
        what: "a merged unit's account active again",
        found: { merge_records: 1 },
        plant: async (c) => {
          await c.query(`UPDATE accounts SET status = 'ACTIVE' WHERE id = $1`, [unitGen]);
          return `unit ${unitId}`;
        },
      },
      {
        what: 'a merged unit naming a DEPOSIT as its merge (and its MERGE then unrecorded)',
        found: { merge_records: 2 },
        plant: async (c) => {
          await c.query('UPDATE units SET merge_transaction_id = $2 WHERE id = $1', [unitId, deposit]);
          return `unit ${unitId}`;
        },
      },
      {
        what: 'a reinvestment recording another amount than its transaction moved',
        found: { reinvestment_records: 1 },
        plant: async (c) => {
          const { rows } = await c.query(
            'UPDATE reinvestments SET amount = amount + 1 WHERE account_id = $1 RETURNING transaction_id',
            [p.com],
          );
          return `reinvestment ${rows[0].transaction_id}`;
        },
      },
      {
        what: 'a REINVESTMENT transaction without its record',
        found: { reinvestment_records: 1 },
        plant: async (c) => {
          const { rows } = await c.query('DELETE FROM reinvestments WHERE account_id = $1 RETURNING transaction_id', [
            p.com,
          ]);
          return `transaction ${rows[0].transaction_id}`;
        },
      },
    ];

    it('has a plant for every check', () => {
      expect(new Set(PLANTS.flatMap((x) => Object.keys(x.found)))).toEqual(new Set(LEDGER_CHECK_NAMES));
    });

    it.each(PLANTS)('$what', async ({ plant, found }) => {
      const [subject, result] = await planted(async (c) => [await plant(c), await verifyLedger(pgQuery(c))] as const);
      expect(result.checks).toEqual(counts(found));
      expect(result.ok).toBe(false);
      expect(result.violations.map((v) => [v.check, v.subject])).toContainEqual([Object.keys(found)[0], subject]);
    });
  });

  describe('GET /v1/admin/ledger/verification', () => {
    const verification = (key: string) => t.http.get('/v1/admin/ledger/verification').set(bearer(key));
    const gauge = async (app: TestApp = t) => {
      const text = (await app.http.get('/metrics').expect(200)).text;
      return Object.fromEntries(
        [...text.matchAll(/^alluse_ledger_invariant_violations\{check="(\w+)"\} (\d+)$/gm)].map((m) => [
          m[1],
          Number(m[2]),
        ]),
      );
    };
    const zeros = Object.fromEntries(LEDGER_CHECK_NAMES.map((name) => [name, 0]));

    it('answers admins and auditors; other roles are refused with 403, no key with 401', async () => {
      const auditor = await createUser(t, 'auditor');
      const res = await verification(auditor.key).expect(200);
      expect(res.body).toEqual({ ok: true, checkedAt: expect.any(String), checks: counts(), violations: [] });
      await verification(t.adminKey).expect(200);
      const operator = await createUser(t, 'operator');
      const viewer = await createUser(t, 'viewer');
      await grant(t, manager.key, p.id, operator.id, 'operator');
      for (const key of [manager.key, operator.key, viewer.key]) {
        expect((await verification(key).expect(403)).body.code).toBe('FORBIDDEN');
      }
      await t.http.get('/v1/admin/ledger/verification').expect(401);
    });

    it('lists what is wrong and sets the gauge, on every instance, until a verification finds it repaired', async () => {
      await verification(t.adminKey).expect(200);
      expect(await gauge()).toEqual(zeros);
      await t.db.query('UPDATE accounts SET cash = cash + 1 WHERE id = $1', [p.rev]);
      try {
        const res = await verification(t.adminKey).expect(200);
        expect(res.body).toMatchObject({ ok: false, checks: counts({ pocket_drift: 1 }) });
        expect(res.body.violations).toEqual([
          {
            check: 'pocket_drift',
            subject: p.rev,
            detail: {
              stored: { cash: expect.any(String), contracts: '0', leaps: '0' },
              postings: { cash: expect.any(String), contracts: '0', leaps: '0' },
            },
          },
        ]);
        const { stored, postings } = res.body.violations[0].detail;
        expect(BigInt(stored.cash) - BigInt(postings.cash)).toBe(1n);
        expect(await gauge()).toEqual({ ...zeros, pocket_drift: 1 });
        // Another process (here: this one, its gauge forgotten) reads the latest result from Redis.
        ledgerInvariantViolations.reset();
        expect(await gauge()).toEqual({ ...zeros, pocket_drift: 1 });
      } finally {
        await t.db.query('UPDATE accounts SET cash = cash - 1 WHERE id = $1', [p.rev]);
      }
      expect((await verification(t.adminKey).expect(200)).body.ok).toBe(true);
      ledgerInvariantViolations.reset();
      expect(await gauge()).toEqual(zeros);
    });

    /** Holds `reinvestments` locked, which the last check reads, until `work` is done. */
    async function withChecksBlocked<T>(work: () => Promise<T>): Promise<T> {
      const client = await t.db.connect();
      try {
        await client.query('BEGIN; LOCK TABLE reinvestments IN ACCESS EXCLUSIVE MODE');
        return await work();
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
    }
    const blockedChecks = async () =>
      (
        await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM reinvestments r%'`,
        )
      ).rows[0].n as number;

    it('runs once for requests that arrive while it runs, answering each with that result', async () => {
      const [first, second] = await withChecksBlocked(async () => {
        const calls = [verification(t.adminKey).then((r) => r)];
        await eventually(async () => (await blockedChecks()) === 1 || undefined, 'the checks to wait');
        calls.push(verification(t.adminKey).then((r) => r));
        await new Promise((r) => setTimeout(r, 300)); // the second request is in by now
        expect(await blockedChecks()).toBe(1);
        return calls;
      }).then((calls) => Promise.all(calls));
      expect([first.status, second.status]).toEqual([200, 200]);
      expect(second.body).toEqual(first.body);
    });

    it('answers 503 LEDGER_VERIFICATION_TIMEOUT when the checks outlast the statement timeout', async () => {
      const impatient = await startTestApp('verification', {
        databaseName: t.databaseName,
        env: { DATABASE_STATEMENT_TIMEOUT_MS: '300', TASKS_RUN_WORKERS: 'false', GROWTH_SCHEDULES_ENABLED: 'false' },
      });
      try {
        const res = await withChecksBlocked(() =>
          impatient.http.get('/v1/admin/ledger/verification').set(bearer(t.adminKey)),
        );
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 503,
          code: 'LEDGER_VERIFICATION_TIMEOUT',
        });
        expect(res.body.detail).toContain('npm run ledger:verify');
      } finally {
        await impatient.close();
      }
    });

    it('lists at most 100 violations, and counts them all', async () => {
      const ids = Array.from({ length: 150 }, () => randomUUID());
      await commitPlanted(
        `INSERT INTO transactions (id, portfolio_id, kind, effective_at) SELECT id, $2, 'FEE', now() FROM unnest($1::uuid[]) id`,
        [ids, p.id],
      );
      try {
        const res = await verification(t.adminKey).expect(200);
        expect(res.body.checks).toEqual(counts({ transactions_without_postings: 150 }));
        expect(res.body.violations).toHaveLength(100);
        expect(new Set(res.body.violations.map((v: { subject: string }) => v.subject)).size).toBe(100);
      } finally {
        await commitPlanted('DELETE FROM transactions WHERE id = ANY ($1::uuid[])', [ids]);
      }
      expect((await verification(t.adminKey).expect(200)).body.ok).toBe(true);
    });
  });

  describe('the nightly job', () => {
    it('is one BullMQ job scheduler, at 03:15 in GROWTH_TZ by default', async () => {
      const queue = t.app.get(QueueRegistry).get('ledger');
      const scheduler = await eventually(() => queue.getJobScheduler('ledger-verify'), 'the scheduler');
      expect(scheduler).toMatchObject({ pattern: '15 3 * * *', tz: 'America/New_York' });
      expect(await queue.getJobSchedulers()).toHaveLength(1);
    });

    it('verifies the ledger and sets the gauge', async () => {
      await t.db.query('UPDATE accounts SET cash = cash + 1 WHERE id = $1', [p.com]);
      try {
        const { id } = await t.app.get(TasksProducer).add('ledger', 'verify', {});
        const task = await eventually(async () => {
          const res = await t.http.get(`/v1/tasks/${id}`).set(bearer(t.adminKey)).expect(200);
          return res.body.state === 'completed' ? res.body : undefined;
        }, 'the verification task');
        expect((task.result as LedgerVerification).checks).toEqual(counts({ pocket_drift: 1 }));
        ledgerInvariantViolations.reset();
        const text = (await t.http.get('/metrics').expect(200)).text;
        expect(text).toMatch(/^alluse_ledger_invariant_violations\{check="pocket_drift"\} 1$/m);
      } finally {
        await t.db.query('UPDATE accounts SET cash = cash - 1 WHERE id = $1', [p.com]);
      }
    });
  });

  describe('npm run ledger:verify', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [SCRIPT, ...args], {
        env: { ...process.env, DATABASE_URL: databaseUrl(t.databaseName) },
        encoding: 'utf8',
        timeout: 60_000,
      });

    it('exits 0 on a sound ledger, printing every check at 0', () => {
      const { status, stdout } = run();
      expect({ status, stdout }).toEqual({ status: 0, stdout: expect.stringContaining('sound: every check holds') });
      for (const name of LEDGER_CHECK_NAMES) expect(stdout).toMatch(new RegExp(`^  ${name} +0$`, 'm'));
    });

    it('exits 1 and prints what is wrong, row by row', async () => {
      await t.db.query('UPDATE accounts SET cash = cash + 1 WHERE id = ANY ($1::uuid[])', [[p.gen, p.com]]);
      try {
        const { status, stdout } = run();
        expect(status).toBe(1);
        expect(stdout).toMatch(/^  pocket_drift +2$/m);
        for (const id of [p.gen, p.com]) expect(stdout).toMatch(new RegExp(`^pocket_drift ${id}: \\{"stored"`, 'm'));
        expect(stdout).toContain('NOT SOUND: 2 violation(s)');
        const limited = run('--limit', '1');
        expect(limited.status).toBe(1);
        expect(limited.stdout.match(/^pocket_drift /gm)).toHaveLength(1);
        expect(limited.stdout).toContain('… and 1 more (--limit)');
      } finally {
        await t.db.query('UPDATE accounts SET cash = cash - 1 WHERE id = ANY ($1::uuid[])', [[p.gen, p.com]]);
      }
    });

    it('exits 2 when it cannot check', () => {
      const { status, stderr } = spawnSync(process.execPath, [SCRIPT], {
        env: { ...process.env, DATABASE_URL: databaseUrl('alluse_test_no_such_database') },
        encoding: 'utf8',
      });
      expect({ status, stderr }).toEqual({ status: 2, stderr: expect.stringContaining('could not run') });
    });
  });
});
