import { Queue } from 'bullmq';
import {
  bearer,
  createUser,
  eventually,
  forkRootGen,
  ledgerViolations,
  OpenedPortfolio,
  openPortfolio,
  premiumWithoutEvent,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { dbConflictRetries } from '../src/modules/monitoring/metrics';

const cents = (amount: string) => BigInt(amount.replace('.', ''));

/**
 * However the growth engine's triggers race — premiums, requests, automatic checks, two scans on
 * two instances — one surplus forks once, one unit merges once, and the ledger stays sound.
 */
describe('growth engine races (e2e)', () => {
  let t: TestApp;
  let second: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('growth-races');
    // A second instance on the same database and Redis: its workers compete for the same jobs.
    second = await startTestApp('growth-races', { databaseName: t.databaseName });
    manager = await createUser(t, 'manager');
  });
  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const open = (mergeMode: 'auto' | 'confirm' = 'confirm') =>
    openPortfolio(t, manager.key, {
      name: 'races',
      initialCapital: '10000.00',
      forkThreshold: '1000.00',
      mergeThreshold: '5000.00',
      mergeMode,
    });

  const growthIdle = async () => {
    const queue = t.app.get(QueueRegistry).get('growth');
    // Not 'delayed': the weekly scan's next occurrence waits there.
    const counts = await queue.getJobCounts('wait', 'active', 'prioritized');
    return Object.values(counts).every((n) => n === 0) ? true : undefined;
  };

  const settle = async () => {
    await new Promise((r) => setTimeout(r, 300)); // let the gathered checks reach the queue
    await eventually(growthIdle, 'the growth queue to drain');
  };

  it('forks each surplus once when premiums and manual fork requests race on one GEN account', async () => {
    const p = await open();
    const calls = [
      ...Array.from({ length: 40 }, () =>
        t.http.post(`/v1/accounts/${p.gen}/premiums`).set(bearer(manager.key)).send({ amount: '100.00' }),
      ),
      ...Array.from({ length: 20 }, () => second.http.post(`/v1/accounts/${p.gen}/fork`).set(bearer(manager.key))),
    ].sort(() => Math.random() - 0.5);
    const results = await Promise.all(calls.map((c) => c.then((r) => r)));
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(40);
    for (const r of results) {
      expect([201, 422]).toContain(r.status);
      if (r.status === 422) expect(r.body.code).toBe('FORK_NOT_ELIGIBLE');
    }
    await settle();

    const units = await t.db.query('SELECT amount::text, fork_transaction_id FROM units WHERE portfolio_id = $1', [
      p.id,
    ]);
    const gen = await t.db.query('SELECT cash + contracts + leaps - baseline AS surplus FROM accounts WHERE id = $1', [
      p.gen,
    ]);
    const forked = units.rows.reduce((sum, u) => sum + BigInt(u.amount), 0n);
    // Every premium cent either still sits in the surplus or was forked exactly once.
    expect(forked + BigInt(gen.rows[0].surplus)).toBe(400_000n);
    expect(BigInt(gen.rows[0].surplus)).toBeLessThan(100_000n);
    expect(units.rows.every((u) => BigInt(u.amount) >= 100_000n)).toBe(true);
    const forks = await t.db.query(`SELECT id FROM transactions WHERE kind = 'FORK' AND portfolio_id = $1`, [p.id]);
    expect(forks.rows.map((r) => r.id).sort()).toEqual(units.rows.map((u) => u.fork_transaction_id).sort());
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('merges a unit once when merge requests race with premiums into it', async () => {
    const p = await open();
    await t.http
      .post(`/v1/accounts/${p.gen}/premiums`)
      .set(bearer(manager.key))
      .send({ amount: '1000.00' })
      .expect(201);
    await settle();
    const { rows } = await t.db.query('SELECT id, com_account_id FROM units WHERE portfolio_id = $1', [p.id]);
    const [{ id: unitId, com_account_id: unitCom }] = rows;
    await t.http
      .post(`/v1/accounts/${unitCom}/premiums`)
      .set(bearer(manager.key))
      .send({ amount: '4000.00' })
      .expect(201);
    await settle(); // the unit (5,000.00) is eligible; in confirm mode the check only proposes
    const rootComBefore = cents((await t.http.get(`/v1/accounts/${p.com}`).set(bearer(manager.key))).body.total);

    const calls = [
      ...Array.from({ length: 30 }, () => ({
        kind: 'premium',
        call: t.http.post(`/v1/accounts/${unitCom}/premiums`).set(bearer(manager.key)).send({ amount: '10.00' }),
      })),
      ...Array.from({ length: 6 }, (_, i) => ({
        kind: 'merge',
        call: (i % 2 ? second : t).http.post(`/v1/units/${unitId}/merge`).set(bearer(manager.key)),
      })),
    ].sort(() => Math.random() - 0.5);
    const results = await Promise.all(
      calls.map(async ({ kind, call }) => {
        const { status, body } = await call;
        return { kind, status, body };
      }),
    );
    const merges = results.filter((r) => r.kind === 'merge');
    const premiums = results.filter((r) => r.kind === 'premium');
    expect(merges.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of merges.filter((m) => m.status !== 201)) {
      expect(r.body).toMatchObject({ code: 'MERGE_NOT_ELIGIBLE', reason: 'ALREADY_MERGED' });
    }
    for (const r of premiums.filter((m) => m.status !== 201)) expect(r.body.code).toBe('ACCOUNT_NOT_ACTIVE');
    const accepted = BigInt(premiums.filter((r) => r.status === 201).length) * 1_000n;

    const rootComAfter = cents((await t.http.get(`/v1/accounts/${p.com}`).set(bearer(manager.key))).body.total);
    expect(rootComAfter - rootComBefore).toBe(500_000n + accepted);
    const mergesInDb = await t.db.query(
      `SELECT count(*)::int AS n FROM transactions WHERE kind = 'MERGE' AND portfolio_id = $1`,
      [p.id],
    );
    expect(mergesInDb.rows[0].n).toBe(1);
    const unitAccounts = await t.db.query(
      'SELECT status, cash + contracts + leaps AS value FROM accounts WHERE unit_id = $1',
      [unitId],
    );
    expect(unitAccounts.rows).toEqual([
      { status: 'MERGED', value: '0' },
      { status: 'MERGED', value: '0' },
    ]);
    const proposals = await t.db.query('SELECT status FROM merge_proposals WHERE unit_id = $1', [unitId]);
    expect(proposals.rows).toEqual([{ status: 'SUPERSEDED' }]);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('never deadlocks when merges race transfers from the unit into the root COM account', async () => {
    // A transfer locks its two accounts in ascending id order: the root COM first when its id is
    // the smaller. Such portfolios are the ones where a merge that locked the unit's accounts
    // before the root COM would wait on a transfer that waits on it.
    const races: { p: OpenedPortfolio; unitId: string; unitGen: string }[] = [];
    while (races.length < 6) {
      const p = await open();
      const unit = await forkRootGen(t, manager.key, p, 100_000n);
      if (p.com > unit.gen) continue;
      // The unit (500.00 + 500.00 forked) passes the merge threshold of 5,000.00.
      await t.http
        .post(`/v1/accounts/${unit.com}/premiums`)
        .set(bearer(manager.key))
        .send({ amount: '4500.00' })
        .expect(201);
      races.push({ p, unitId: unit.id, unitGen: unit.gen });
    }
    await settle();
    const totals = async () =>
      Promise.all(
        races.map(async ({ p }) =>
          cents((await t.http.get(`/v1/accounts/${p.com}`).set(bearer(manager.key))).body.total),
        ),
      );
    const unitValues = await Promise.all(
      races.map(async ({ unitId }) =>
        cents((await t.http.get(`/v1/units/${unitId}`).set(bearer(manager.key))).body.value),
      ),
    );
    const before = await totals();
    // Both instances run in this process, so this counter sees every retry of the race.
    const deadlocks = async () =>
      (await dbConflictRetries.get()).values.find((v) => v.labels.reason === 'deadlock')?.value ?? 0;
    const deadlocksBefore = await deadlocks();

    const calls = races.flatMap(({ p, unitId, unitGen }) => [
      ...[t, second].map((app) => ({
        kind: 'merge',
        call: app.http.post(`/v1/units/${unitId}/merge`).set(bearer(manager.key)),
      })),
      ...Array.from({ length: 16 }, (_, i) => ({
        kind: 'transfer',
        call: (i % 2 ? second : t).http
          .post('/v1/transfers')
          .set(bearer(manager.key))
          .send({ fromAccountId: unitGen, toAccountId: p.com, amount: '1.00' }),
      })),
    ]);
    const results = await Promise.all(
      calls
        .sort(() => Math.random() - 0.5)
        .map(async ({ kind, call }) => {
          const { status, body } = await call;
          return { kind, status, body };
        }),
    );

    expect(results.filter((r) => r.status >= 500).map((r) => r.body)).toEqual([]);
    // Not even retried: a merge takes its accounts in the order every ledger writer does.
    expect((await deadlocks()) - deadlocksBefore).toBe(0);
    const merges = results.filter((r) => r.kind === 'merge');
    expect(merges.filter((r) => r.status === 201)).toHaveLength(races.length);
    for (const r of merges.filter((m) => m.status !== 201)) {
      expect(r.body).toMatchObject({ code: 'MERGE_NOT_ELIGIBLE', reason: 'ALREADY_MERGED' });
    }
    for (const r of results.filter((m) => m.kind === 'transfer' && m.status !== 201)) {
      expect(r.body.code).toBe('ACCOUNT_NOT_ACTIVE');
    }
    // Whatever the order, all of each unit's value reached the root COM: by transfers or by its merge.
    expect((await totals()).map((after, i) => after - before[i])).toEqual(unitValues);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('forks every eligible account once when two instances run the scan at the same moment', async () => {
    const portfolios = [];
    for (let i = 0; i < 8; i++) portfolios.push(await open());
    await settle(); // the checks that follow the opening deposits are done
    // Surpluses that no automatic check saw: only the scan can find them.
    for (const p of portfolios) await premiumWithoutEvent(t.db, p.id, p.gen, 150_000n);

    const [a, b] = await Promise.all(
      [t, second].map((app) => app.http.post('/v1/admin/growth/scan').set(bearer(t.adminKey)).expect(202)),
    );
    const finished = await Promise.all(
      [a, b].map((res) =>
        eventually(async () => {
          const task = await t.http.get(`/v1/tasks/${res.body.id}`).set(bearer(t.adminKey)).expect(200);
          return task.body.state === 'completed' ? task.body : undefined;
        }, 'the scan task'),
      ),
    );
    for (const task of finished) expect(task.result.forkChecks).toBeGreaterThanOrEqual(0);
    await settle();

    const ids = portfolios.map((p) => p.id);
    const units = await t.db.query(
      'SELECT portfolio_id, amount::text, trigger FROM units WHERE portfolio_id = ANY ($1::uuid[]) ORDER BY portfolio_id',
      [ids],
    );
    expect(units.rows).toHaveLength(8);
    expect(new Set(units.rows.map((u) => u.portfolio_id)).size).toBe(8);
    expect(units.rows.map((u) => [u.amount, u.trigger])).toEqual(Array(8).fill(['150000', 'scan']));
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('declares the weekly scan as one BullMQ job scheduler, however many instances start', async () => {
    const queue: Queue = t.app.get(QueueRegistry).get('growth');
    const schedulers = await eventually(async () => {
      const list = await queue.getJobSchedulers();
      return list.length ? list : undefined;
    }, 'the scheduler');
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: 'growth-scan', pattern: '30 16 * * 4', tz: 'America/New_York' });
    expect(new Date(schedulers[0].next!).getUTCDay()).toBe(4); // Thursday
  });
});
