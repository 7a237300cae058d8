import { bearer, createUser, ledgerViolations, openPortfolio, startTestApp, TestApp, TestUser } from '@app/testing';

/**
 * Group commit: with one ledger call at a time, concurrent requests share calls. Each must still
 * get its own answer, its own refusal, its own audit row and its own correlation id.
 */
describe('ledger group commit (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let operator: TestUser;

  beforeAll(async () => {
    t = await startTestApp('groupcommit', { env: { LEDGER_WRITE_CONCURRENCY: '1' } });
    manager = await createUser(t, 'manager');
    operator = await createUser(t, 'operator');
  });
  afterAll(() => t.close());

  it('answers each request of a shared call on its own, refusals included', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Group', initialCapital: '1000.00' });
    await t.http
      .post(`/v1/portfolios/${p.id}/grants`)
      .set(bearer(manager.key))
      .send({ userId: operator.id, role: 'operator' })
      .expect(201);

    // REV holds 300.00 with 285.00 available: every fifth request asks for too much.
    const requests = Array.from({ length: 40 }, (_, i) => {
      const refused = i % 5 === 4;
      const key = i % 2 === 0 ? manager.key : operator.key;
      const send = refused
        ? t.http.post(`/v1/accounts/${p.rev}/withdrawals`).send({ amount: '5000.00' })
        : i % 3 === 0
          ? t.http.post('/v1/transactions/batch').send({
              items: [
                { kind: 'PREMIUM', accountId: p.gen, amount: '1.00' },
                { kind: 'FEE', accountId: p.com, amount: '0.50' },
              ],
            })
          : t.http.post(`/v1/accounts/${p.gen}/premiums`).send({ amount: '2.00' });
      return { refused, key, correlation: `group-${i}`, send };
    });
    const results = await Promise.all(
      requests.map((r) => r.send.set(bearer(r.key)).set('x-correlation-id', r.correlation)),
    );

    results.forEach((res, i) => {
      if (requests[i].refused) {
        expect({ status: res.status, code: res.body.code, itemIndex: res.body.itemIndex }).toEqual({
          status: 422,
          code: 'INSUFFICIENT_FUNDS',
          itemIndex: 0,
        });
      } else expect(res.status).toBe(201);
      expect(res.headers['x-correlation-id']).toBe(requests[i].correlation);
    });

    // Every accepted request wrote its own transactions under its own actor and correlation id,
    // and its own audit row; refused ones wrote nothing.
    const { rows: written } = await t.db.query(
      `SELECT correlation_id, actor_id, count(*)::int AS n FROM transactions
        WHERE correlation_id LIKE 'group-%' GROUP BY correlation_id, actor_id`,
    );
    const expected = requests
      .map((r, i) => ({ r, res: results[i] }))
      .filter(({ r }) => !r.refused)
      .map(({ r, res }) => ({
        correlation_id: r.correlation,
        actor_id: r.key === manager.key ? manager.id : operator.id,
        n: res.body.items ? 2 : 1,
      }));
    const byCorrelation = (a: { correlation_id: string }, b: { correlation_id: string }) =>
      a.correlation_id.localeCompare(b.correlation_id);
    expect(written.sort(byCorrelation)).toEqual(expected.sort(byCorrelation));

    // Requests did share calls: one database transaction has one now(), so one created_at.
    const { rows: shared } = await t.db.query(
      `SELECT created_at FROM transactions WHERE correlation_id LIKE 'group-%'
        GROUP BY created_at HAVING count(DISTINCT correlation_id) > 1`,
    );
    expect(shared.length).toBeGreaterThan(0);

    const { rows: audits } = await t.db.query(
      "SELECT correlation_id, details->>'count' AS count FROM audit_log WHERE correlation_id LIKE 'group-%'",
    );
    expect(audits.map((a) => a.correlation_id).sort()).toEqual(expected.map((e) => e.correlation_id).sort());

    const gen = await t.http.get(`/v1/accounts/${p.gen}`).set(bearer(manager.key)).expect(200);
    const batches = expected.filter((e) => e.n === 2).length;
    const premiums = expected.length - batches;
    expect(gen.body.cash).toBe(`${400 + batches * 1 + premiums * 2}.00`);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('writes a request with an idempotency key alone and applies it once', async () => {
    const p = await openPortfolio(t, manager.key);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http
          .post(`/v1/accounts/${p.gen}/premiums`)
          .set(bearer(manager.key))
          .set(i % 2 === 0 ? { 'Idempotency-Key': 'group-key' } : {})
          .send({ amount: '3.00' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
    expect(new Set(results.filter((_, i) => i % 2 === 0).map((r) => r.body.id)).size).toBe(1);
    const gen = await t.http.get(`/v1/accounts/${p.gen}`).set(bearer(manager.key)).expect(200);
    expect(gen.body.cash).toBe(`${100000 + 7 * 3}.00`);
  });
});
