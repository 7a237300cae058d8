import {
  bearer,
  createUser,
  forkRootGen,
  ledgerViolations,
  openPortfolio,
  OpenedPortfolio,
  postDirectly,
  SMALL_GROWTH,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { GrowthChecksService } from '../src/modules/fork-merge/growth-checks.service';

/** The most an account can hold: PostgreSQL's largest bigint, in cents. */
const MAX = 9_223_372_036_854_775_807n;
/** The largest amount one request may move (1,000,000,000,000.00). */
const MAX_AMOUNT = 100_000_000_000_000n;
const money = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;

/**
 * Balances near bigint's limit: far beyond any real portfolio, but each within what the API
 * accepts (about 92,000 maximal deposits reach it; they are set up here directly through
 * ledger_post). Every request answers with the right 201 or 422, never a 500 from an overflow.
 */
describe('ledger at the limits of bigint (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('limits', { env: { TASKS_RUN_WORKERS: 'false' } });
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());
  afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

  const post = (path: string, body: object) => t.http.post(path).set(bearer(manager.key)).send(body);
  const cashOf = async (id: string) =>
    BigInt((await t.db.query('SELECT cash FROM accounts WHERE id = $1', [id])).rows[0].cash);
  /** Credits the account's cash directly until it holds `cents`. */
  const fillTo = async (p: OpenedPortfolio, accountId: string, cents: bigint) =>
    postDirectly(t.db, { portfolioId: p.id, accountId, cents: cents - (await cashOf(accountId)) });

  async function refused(send: () => PromiseLike<{ status: number; body: any }>, code: string) {
    const before = await snapshot(t.db);
    const res = await send();
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code });
    expect(await snapshot(t.db)).toEqual(before);
    return res;
  }

  describe('the available-cash guard (cash − total × buffer)', () => {
    // 9 × 10¹⁸ cents × 500 basis points is far beyond bigint.
    it.each([
      ['a withdrawal', (p: OpenedPortfolio) => post(`/v1/accounts/${p.rev}/withdrawals`, { amount: '1.00' })],
      [
        'a transfer',
        (p: OpenedPortfolio) => post('/v1/transfers', { fromAccountId: p.rev, toAccountId: p.gen, amount: '1.00' }),
      ],
      [
        'a batch',
        (p: OpenedPortfolio) =>
          post('/v1/transactions/batch', { items: [{ kind: 'WITHDRAWAL', accountId: p.rev, amount: '1.00' }] }),
      ],
      ['a reinvestment', (p: OpenedPortfolio) => post(`/v1/accounts/${p.rev}/reinvestments`, { amount: '1.00' })],
    ])('takes %s out of an account holding 90 quadrillion dollars', async (_, send) => {
      const p = await openPortfolio(t, manager.key);
      await fillTo(p, p.rev, 9_000_000_000_000_000_000n);
      const res = await send(p);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
      expect(await cashOf(p.rev)).toBe(9_000_000_000_000_000_000n - 100n);
    });

    it('is exact to the cent for such an account', async () => {
      const p = await openPortfolio(t, manager.key);
      // 9 × 10¹⁸ cents in all, mostly in positions; the buffer (5 %, 4.5 × 10¹⁷) leaves 50.00 of cash free.
      await fillTo(p, p.rev, 450_000_000_000_005_000n);
      await postDirectly(t.db, {
        portfolioId: p.id,
        accountId: p.rev,
        pocket: 'contracts',
        cents: 8_549_999_999_999_995_000n,
      });
      await refused(() => post(`/v1/accounts/${p.rev}/withdrawals`, { amount: '50.01' }), 'INSUFFICIENT_FUNDS');
      await post(`/v1/accounts/${p.rev}/withdrawals`, { amount: '50.00' }).expect(201);
    });
  });

  describe('an account full to the limit', () => {
    it('takes a deposit that fills it exactly, and refuses one cent more with 422 BALANCE_LIMIT_EXCEEDED', async () => {
      const p = await openPortfolio(t, manager.key);
      await fillTo(p, p.rev, MAX - MAX_AMOUNT);
      await post(`/v1/accounts/${p.rev}/deposits`, { amount: money(MAX_AMOUNT) }).expect(201);
      expect(await cashOf(p.rev)).toBe(MAX);

      const res = await refused(
        () => post(`/v1/accounts/${p.rev}/deposits`, { amount: '0.01' }),
        'BALANCE_LIMIT_EXCEEDED',
      );
      expect(res.body).toMatchObject({ accountId: p.rev, detail: expect.stringContaining('92233720368547758.07') });
      await refused(() => post(`/v1/accounts/${p.rev}/premiums`, { amount: '0.01' }), 'BALANCE_LIMIT_EXCEEDED');
      await refused(
        () => post('/v1/transfers', { fromAccountId: p.gen, toAccountId: p.rev, amount: '0.01' }),
        'BALANCE_LIMIT_EXCEEDED',
      );
    });

    it('names the batch item that would pass the limit', async () => {
      const p = await openPortfolio(t, manager.key);
      await fillTo(p, p.rev, MAX - MAX_AMOUNT);
      const items = [
        { kind: 'DEPOSIT', accountId: p.rev, amount: money(MAX_AMOUNT - 1n) },
        { kind: 'DEPOSIT', accountId: p.rev, amount: '0.01' },
        { kind: 'DEPOSIT', accountId: p.rev, amount: '0.01' },
      ];
      const res = await refused(() => post('/v1/transactions/batch', { items }), 'BALANCE_LIMIT_EXCEEDED');
      expect(res.body).toMatchObject({ itemIndex: 2, accountId: p.rev });
    });

    it('counts the positions too: a full account refuses a cent in cash that alone would still fit', async () => {
      const p = await openPortfolio(t, manager.key);
      await fillTo(p, p.rev, MAX - MAX_AMOUNT);
      await post(`/v1/accounts/${p.rev}/reinvestments`, { amount: money(MAX_AMOUNT) }).expect(201);
      await post(`/v1/accounts/${p.rev}/deposits`, { amount: money(MAX_AMOUNT) }).expect(201);
      expect(await cashOf(p.rev)).toBe(MAX - MAX_AMOUNT);
      await refused(() => post(`/v1/accounts/${p.rev}/deposits`, { amount: '0.01' }), 'BALANCE_LIMIT_EXCEEDED');
    });

    it('refuses a deposit that would take a GEN baseline past the limit', async () => {
      const p = await openPortfolio(t, manager.key);
      // A GEN account that received nearly the limit and lost it: a baseline near the limit, little cash.
      const huge = MAX - 10_000_000n - MAX_AMOUNT / 2n;
      await postDirectly(t.db, { portfolioId: p.id, accountId: p.gen, cents: huge, kind: 'DEPOSIT', baseline: huge });
      await postDirectly(t.db, { portfolioId: p.id, accountId: p.gen, cents: -huge });
      await refused(
        () => post(`/v1/accounts/${p.gen}/deposits`, { amount: money(MAX_AMOUNT) }),
        'BALANCE_LIMIT_EXCEEDED',
      );
      await post(`/v1/accounts/${p.gen}/deposits`, { amount: money(MAX_AMOUNT / 2n) }).expect(201);
    });
  });

  describe('a unit worth more than one account can hold', () => {
    let p: OpenedPortfolio;
    let unit: { id: string; gen: string; com: string };

    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, { name: 'vast', ...SMALL_GROWTH });
      unit = await forkRootGen(t, manager.key, p, 100_000n);
      for (const id of [unit.gen, unit.com])
        await postDirectly(t.db, { portfolioId: p.id, accountId: id, cents: 5_000_000_000_000_000_000n });
    });

    it('refuses to merge it into the root COM with 422 BALANCE_LIMIT_EXCEEDED', async () => {
      const res = await refused(() => post(`/v1/units/${unit.id}/merge`, {}), 'BALANCE_LIMIT_EXCEEDED');
      expect(res.body.detail).toContain('92233720368547758.07');
    });

    it('answers its analytics and its view, and the scan finds it eligible', async () => {
      const analytics = await t.http.get(`/v1/accounts/${unit.com}/analytics`).set(bearer(manager.key));
      expect({ status: analytics.status, body: analytics.body }).toMatchObject({ status: 200 });
      const unitView = await t.http.get(`/v1/units/${unit.id}`).set(bearer(manager.key)).expect(200);
      expect(unitView.body.value).toBe(money(10_000_000_000_000_100_000n));

      const scan = await t.app.get(GrowthChecksService).scan();
      expect(scan.mergeChecks).toBeGreaterThanOrEqual(1);
    });
  });
});
