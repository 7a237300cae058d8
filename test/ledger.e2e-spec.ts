import { bearer, createUser, ledgerViolations, openPortfolio, snapshot, startTestApp, TestApp } from '@app/testing';

describe('ledger movements (e2e)', () => {
  let t: TestApp;
  let manager: { id: string; key: string };

  beforeAll(async () => {
    t = await startTestApp('ledger');
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());
  afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

  const account = async (id: string) => (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body;

  it('opens a portfolio with one DEPOSIT split 40/30/30, the remainder cent to GEN', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Split', initialCapital: '250000.01' });
    expect(p.body.accounts.map((a: any) => [a.type, a.cash, a.baseline])).toEqual([
      ['GEN', '100000.01', '100000.01'],
      ['REV', '75000.00', '0.00'],
      ['COM', '75000.00', '0.00'],
    ]);
    const deposits = await t.db.query(
      "SELECT count(*)::int AS n FROM transactions WHERE portfolio_id = $1 AND kind = 'DEPOSIT'",
      [p.id],
    );
    expect(deposits.rows[0].n).toBe(1);
  });

  it('deposits into GEN and raises its baseline', async () => {
    const p = await openPortfolio(t, manager.key);
    const res = await t.http
      .post(`/v1/accounts/${p.gen}/deposits`)
      .set(bearer(manager.key))
      .send({ amount: '1250.50', memo: 'top-up' })
      .expect(201);
    expect(res.body).toMatchObject({ kind: 'DEPOSIT', memo: 'top-up', portfolioId: p.id });
    expect(res.body.postings).toEqual([
      { accountId: p.gen, ledger: 'cash', amount: '1250.50' },
      { accountId: null, ledger: 'external:bank', amount: '-1250.50' },
    ]);
    expect(await account(p.gen)).toMatchObject({ cash: '101250.50', baseline: '101250.50' });
  });

  it('refuses a withdrawal from COM and changes nothing', async () => {
    const p = await openPortfolio(t, manager.key);
    const before = await snapshot(t.db);
    const res = await t.http.post(`/v1/accounts/${p.com}/withdrawals`).set(bearer(manager.key)).send({ amount: '1.00' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('COM_WITHDRAWAL_FORBIDDEN');
    expect(await snapshot(t.db)).toEqual(before);
  });
});
