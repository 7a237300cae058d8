import {
  bearer,
  createUser,
  eventually,
  grant,
  ledgerViolations,
  openPortfolio,
  premiumWithoutEvent,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { Clock } from '../src/common/clock';

/**
 * The growth engine end to end (docs/domain.md §5, §6): a portfolio driven through weeks of premiums
 * until its GEN account forks by itself (through the queue), the forked GEN forks in turn, a unit
 * reaches the merge threshold, its proposal is confirmed and the merge lands; and the refusals.
 */
describe('growth engine (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let operator: TestUser;
  let viewer: TestUser;
  let auditor: TestUser;

  beforeAll(async () => {
    t = await startTestApp('growth');
    manager = await createUser(t, 'manager');
    operator = await createUser(t, 'operator');
    viewer = await createUser(t, 'viewer');
    auditor = await createUser(t, 'auditor');
  });
  afterAll(() => t.close());

  const premium = (key: string, accountId: string, amount: string) =>
    t.http.post(`/v1/accounts/${accountId}/premiums`).set(bearer(key)).send({ amount });

  const units = async (portfolioId: string) =>
    (await t.http.get(`/v1/portfolios/${portfolioId}/units`).set(bearer(manager.key)).expect(200)).body.items;

  const account = async (id: string) =>
    (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body;

  /** A portfolio with small thresholds: GEN 4,000.00 (baseline), REV and COM 3,000.00 each. */
  const small = (mergeMode: 'auto' | 'confirm' = 'confirm') =>
    openPortfolio(t, manager.key, {
      name: `growth ${mergeMode}`,
      initialCapital: '10000.00',
      forkThreshold: '1000.00',
      mergeThreshold: '5000.00',
      mergeMode,
    });

  describe('a portfolio grown week by week', () => {
    let p: Awaited<ReturnType<typeof small>>;
    let first: any;
    let second: any;

    beforeAll(async () => {
      p = await small('confirm');
      await grant(t, manager.key, p.id, operator.id, 'operator');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
    });

    it('forks the root GEN account by itself once its surplus reaches the threshold', async () => {
      for (const amount of ['400.00', '350.00']) await premium(manager.key, p.gen, amount).expect(201);
      expect(await units(p.id)).toEqual([]); // surplus 750.00: not yet
      await premium(manager.key, p.gen, '250.01').expect(201); // surplus 1,000.01

      [first] = await eventually(async () => {
        const list = await units(p.id);
        return list.length === 1 ? list : undefined;
      }, 'the automatic fork');
      expect(first).toMatchObject({
        status: 'ACTIVE',
        parentAccountId: p.gen,
        parentUnitId: null,
        amount: '1000.01',
        trigger: 'automatic',
        createdBy: null,
        gen: { status: 'ACTIVE', value: '500.01' }, // the remainder cent goes to the new GEN
        com: { status: 'ACTIVE', value: '500.00' },
        value: '1000.01',
      });
      expect(await account(p.gen)).toMatchObject({ total: '4000.00', baseline: '4000.00', cash: '4000.00' });
      expect(await account(first.gen.id)).toMatchObject({
        type: 'GEN',
        unitId: first.id,
        parentAccountId: p.gen,
        baseline: '500.01',
        cash: '500.01',
      });
      const fork = await t.http.get(`/v1/transactions/${first.forkTransactionId}`).set(bearer(manager.key)).expect(200);
      expect(fork.body).toMatchObject({ kind: 'FORK' });
      expect(fork.body.postings).toEqual([
        { accountId: p.gen, ledger: 'cash', amount: '-1000.01' },
        { accountId: first.gen.id, ledger: 'cash', amount: '500.01' },
        { accountId: first.com.id, ledger: 'cash', amount: '500.00' },
      ]);
      const audit = await t.db.query(`SELECT action FROM audit_log WHERE entity_id = $1 OR entity_id = $2`, [
        first.id,
        first.forkTransactionId,
      ]);
      expect(audit.rows.map((r) => r.action).sort()).toEqual(['growth.fork', 'unit.fork']);
    });

    it('forks the forked GEN account in turn (a cascade), as a child of its unit', async () => {
      await premium(manager.key, first.gen.id, '1200.00').expect(201);
      second = await eventually(
        async () => (await units(p.id)).find((u: any) => u.parentUnitId === first.id),
        'the cascade',
      );
      expect(second).toMatchObject({ parentAccountId: first.gen.id, amount: '1200.00', trigger: 'automatic' });
      expect(await account(first.gen.id)).toMatchObject({ total: '500.01', baseline: '500.01' });
    });

    it('shows the family tree: root accounts, their units and the units' + "'" + ' children', async () => {
      const tree = (await t.http.get(`/v1/portfolios/${p.id}/tree`).set(bearer(viewer.key)).expect(200)).body;
      expect(tree.roots.map((r: any) => r.account.type)).toEqual(['GEN', 'REV', 'COM']);
      const [genRoot, revRoot, comRoot] = tree.roots;
      expect(revRoot.units).toEqual([]);
      expect(comRoot.units).toEqual([]);
      expect(genRoot.units).toHaveLength(1);
      expect(genRoot.units[0]).toMatchObject({ id: first.id, value: '1000.01', status: 'ACTIVE' });
      expect(genRoot.units[0].children).toHaveLength(1);
      expect(genRoot.units[0].children[0]).toMatchObject({ id: second.id, value: '1200.00', children: [] });
      expect(tree).toMatchObject({ units: 2, activeUnits: 2, totalValue: '12200.01' });
    });

    it('lists the units a page at a time, oldest first, to a viewer', async () => {
      const path = `/v1/portfolios/${p.id}/units`;
      const page = (query: Record<string, unknown>) => t.http.get(path).query(query).set(bearer(viewer.key));
      const one = await page({ limit: 1 }).expect(200);
      expect(one.body.items.map((u: any) => u.id)).toEqual([first.id]);
      expect(one.body.nextCursor).toBe(first.id);
      const two = await page({ limit: 1, cursor: first.id }).expect(200);
      expect(two.body).toEqual({ items: [expect.objectContaining({ id: second.id })], nextCursor: null });
      const all = (await page({}).expect(200)).body;
      expect([all.items.map((u: any) => u.id), all.nextCursor]).toEqual([[first.id, second.id], null]);
      // An id that names no unit of this portfolio as a cursor: nothing.
      const elsewhere = await page({ cursor: p.gen }).expect(200);
      expect(elsewhere.body).toEqual({ items: [], nextCursor: null });
      expect((await page({ limit: 501 }).expect(400)).body.errors.map((e: any) => e.field)).toEqual(['limit']);
    });

    it('shows a unit with its accounts, parent and progress to the merge threshold', async () => {
      const unit = (await t.http.get(`/v1/units/${first.id}`).set(bearer(viewer.key)).expect(200)).body;
      expect(unit.accounts.map((a: any) => a.type)).toEqual(['GEN', 'COM']);
      expect(unit).toMatchObject({
        parentAccountId: p.gen,
        childUnitIds: [second.id],
        mergeProgress: { mergeThreshold: '5000.00', progressPct: 20, remaining: '3999.99' },
      });
    });

    it('refuses to merge a unit below the threshold, changing nothing', async () => {
      const before = await snapshot(t.db);
      const res = await t.http.post(`/v1/units/${first.id}/merge`).set(bearer(operator.key)).expect(422);
      expect(res.body).toMatchObject({ code: 'MERGE_NOT_ELIGIBLE', reason: 'BELOW_THRESHOLD', value: '1000.01' });
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('proposes the merge (mergeMode confirm) once the unit reaches the threshold', async () => {
      await premium(manager.key, first.com.id, '4000.00').expect(201); // unit: 500.01 + 4,500.00
      const [proposal] = await eventually(async () => {
        const res = await t.http.get(`/v1/portfolios/${p.id}/merge-proposals`).set(bearer(viewer.key)).expect(200);
        return res.body.length ? res.body : undefined;
      }, 'the proposal');
      expect(proposal).toMatchObject({ unitId: first.id, status: 'PENDING', value: '5000.01', decidedBy: null });
      expect((await units(p.id)).find((u: any) => u.id === first.id).status).toBe('ACTIVE');
      first.proposal = proposal;
    });

    it.each([
      ['a viewer', () => viewer.key, 403, 'FORBIDDEN'],
      ['an auditor', () => auditor.key, 403, 'FORBIDDEN'],
    ])('refuses a confirm by %s, changing nothing', async (_who, key, status, code) => {
      const before = await snapshot(t.db);
      const res = await t.http
        .post(`/v1/merge-proposals/${first.proposal.id}/confirm`)
        .set(bearer(key()))
        .expect(status);
      expect(res.body.code).toBe(code);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('hides the proposal from another manager (404)', async () => {
      const other = await createUser(t, 'manager');
      const res = await t.http
        .post(`/v1/merge-proposals/${first.proposal.id}/confirm`)
        .set(bearer(other.key))
        .expect(404);
      expect(res.body.code).toBe('MERGE_PROPOSAL_NOT_FOUND');
    });

    it('merges when an operator confirms: positions closed, all value to the root COM, unit and accounts MERGED', async () => {
      const comBefore = await account(p.com);
      const res = await t.http
        .post(`/v1/merge-proposals/${first.proposal.id}/confirm`)
        .set(bearer(operator.key))
        .expect(200);
      expect(res.body).toMatchObject({ status: 'CONFIRMED', decidedBy: operator.id });

      const unit = (await t.http.get(`/v1/units/${first.id}`).set(bearer(manager.key)).expect(200)).body;
      expect(unit).toMatchObject({ status: 'MERGED', value: '0.00' });
      expect(unit.accounts.map((a: any) => [a.status, a.total, a.baseline])).toEqual([
        ['MERGED', '0.00', '0.00'],
        ['MERGED', '0.00', '0.00'],
      ]);
      const com = await account(p.com);
      expect(BigInt(com.cash.replace('.', '')) - BigInt(comBefore.cash.replace('.', ''))).toBe(500001n);
      const merge = await t.http
        .get(`/v1/transactions/${unit.mergeTransactionId}`)
        .set(bearer(manager.key))
        .expect(200);
      expect(merge.body.kind).toBe('MERGE');
    });

    it('refuses a second confirm with 409, changing nothing', async () => {
      const before = await snapshot(t.db);
      const res = await t.http
        .post(`/v1/merge-proposals/${first.proposal.id}/confirm`)
        .set(bearer(operator.key))
        .expect(409);
      expect(res.body).toMatchObject({ code: 'MERGE_PROPOSAL_DECIDED', proposalStatus: 'CONFIRMED' });
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('keeps units forked from the merged unit active, with their parent link', async () => {
      const child = (await units(p.id)).find((u: any) => u.id === second.id);
      expect(child).toMatchObject({ status: 'ACTIVE', parentUnitId: first.id, parentAccountId: first.gen.id });
    });

    it('refuses movements into a merged account', async () => {
      const res = await premium(manager.key, first.gen.id, '1.00').expect(422);
      expect(res.body.code).toBe('ACCOUNT_NOT_ACTIVE');
    });

    it('reinvests the REV and COM accounts at the quarter end, and only those with income', async () => {
      await premium(manager.key, p.rev, '300.00').expect(201);
      const clock = jest.spyOn(t.app.get(Clock), 'now').mockReturnValue(new Date('2026-12-31T22:30:00Z'));
      try {
        const run = await t.http.post('/v1/admin/reinvestments/run').set(bearer(t.adminKey)).send({}).expect(202);
        const task = await eventually(async () => {
          const res = await t.http.get(`/v1/tasks/${run.body.id}`).set(bearer(t.adminKey)).expect(200);
          return res.body.state === 'completed' ? res.body : undefined;
        }, 'the quarterly reinvestment');
        expect(task.result).toMatchObject({ quarter: '2026-Q4', failed: 0 });
      } finally {
        clock.mockRestore();
      }
      // 300.00 of premium × 100 %, split 75 / 25; the root COM earned nothing (a merge is not income).
      expect(await account(p.rev)).toMatchObject({ cash: '3000.00', contracts: '225.00', leaps: '75.00' });
      expect(await account(p.com)).toMatchObject({ contracts: '0.00', leaps: '0.00' });
      expect(await account(second.com.id)).toMatchObject({ contracts: '0.00' });
    });

    it('shows it all in the portfolio analytics: units, tree, forks, merges and income', async () => {
      const res = await t.http.get(`/v1/portfolios/${p.id}/analytics`).set(bearer(viewer.key)).expect(200);
      expect(res.body.counts).toEqual({ forks: 2, merges: 1, activeUnits: 1, mergedUnits: 1 });
      expect(res.body.forks.map((f: any) => [f.unitId, f.amount, f.trigger])).toEqual([
        [first.id, '1000.01', 'automatic'],
        [second.id, '1200.00', 'automatic'],
      ]);
      expect(res.body.merges).toEqual([expect.objectContaining({ unitId: first.id, amount: '5000.01' })]);
      // Premiums: root GEN 1,000.01, first unit's GEN 1,200.00 and COM 4,000.00, REV 300.00.
      expect(res.body.income.total).toBe('6500.01');
      expect(res.body.tree.roots[0].units[0]).toMatchObject({ id: first.id, status: 'MERGED' });
      expect(res.body.tree.roots[0].units[0].children[0]).toMatchObject({ id: second.id, status: 'ACTIVE' });
    });

    it("shows the root GEN account's analytics: back at its baseline, its premiums as income", async () => {
      const res = await t.http.get(`/v1/accounts/${p.gen}/analytics`).set(bearer(viewer.key)).expect(200);
      expect(res.body.income).toMatchObject({ premium: '1000.01', net: '1000.01' });
      expect(res.body.fork).toMatchObject({ baseline: '4000.00', total: '4000.00', surplus: '0.00' });
    });

    it('keeps the ledger sound', async () => {
      expect(await ledgerViolations(t.db)).toEqual([]);
    });
  });

  describe('manual fork', () => {
    it('forks an eligible account on request (201, trigger user) and replays an Idempotency-Key', async () => {
      const p = await small();
      await premiumWithoutEvent(t.db, p.id, p.gen, 150_000n); // the surplus waits for a request

      const res = await t.http
        .post(`/v1/accounts/${p.gen}/fork`)
        .set(bearer(manager.key))
        .set('Idempotency-Key', 'fork-1')
        .expect(201);
      expect(res.body).toMatchObject({ trigger: 'user', createdBy: manager.id, amount: '1500.00', status: 'ACTIVE' });
      expect(res.body.accounts).toHaveLength(2);
      const again = await t.http
        .post(`/v1/accounts/${p.gen}/fork`)
        .set(bearer(manager.key))
        .set('Idempotency-Key', 'fork-1')
        .expect(201);
      expect(again.body.id).toBe(res.body.id);
      expect(await units(p.id)).toHaveLength(1);
    });

    it.each([
      ['a REV account', 'rev', 'NOT_GEN'],
      ['a GEN account below the threshold', 'gen', 'BELOW_THRESHOLD'],
    ])('refuses %s with 422 FORK_NOT_ELIGIBLE, changing nothing', async (_name, which, reason) => {
      const p = await small();
      const before = await snapshot(t.db);
      const res = await t.http
        .post(`/v1/accounts/${(p as any)[which]}/fork`)
        .set(bearer(manager.key))
        .expect(422);
      expect(res.body).toMatchObject({ code: 'FORK_NOT_ELIGIBLE', reason });
      expect(res.body.detail).toMatch(/cannot fork/);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('refuses a viewer (403) and hides the account from another manager (404)', async () => {
      const p = await small();
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      expect((await t.http.post(`/v1/accounts/${p.gen}/fork`).set(bearer(viewer.key)).expect(403)).body.code).toBe(
        'FORBIDDEN',
      );
      const other = await createUser(t, 'manager');
      expect((await t.http.post(`/v1/accounts/${p.gen}/fork`).set(bearer(other.key)).expect(404)).body.code).toBe(
        'ACCOUNT_NOT_FOUND',
      );
    });
  });

  describe('mergeMode auto', () => {
    it('merges a unit by itself once it reaches the threshold', async () => {
      const p = await small('auto');
      await premium(manager.key, p.gen, '1000.00').expect(201);
      const [unit] = await eventually(async () => {
        const list = await units(p.id);
        return list.length === 1 ? list : undefined;
      }, 'the fork');
      await premium(manager.key, unit.com.id, '4000.00').expect(201);
      const merged = await eventually(async () => {
        const [u] = await units(p.id);
        return u.status === 'MERGED' ? u : undefined;
      }, 'the automatic merge');
      expect(merged.value).toBe('0.00');
      expect((await account(p.com)).total).toBe('8000.00'); // 3,000.00 + 5,000.00
      const proposals = await t.http.get(`/v1/portfolios/${p.id}/merge-proposals`).set(bearer(manager.key)).expect(200);
      expect(proposals.body).toEqual([]);
    });
  });
});
