import { createUser, ledgerViolations, openPortfolio, startTestApp, TestApp } from '@app/testing';

/**
 * 2,000+ movements fired concurrently over real HTTP across 51 accounts, a fifth of them on one
 * hot account, some repeating an Idempotency-Key; then the ledger invariants of docs/domain.md §3.
 */
describe('ledger under concurrency (e2e)', () => {
  let t: TestApp;
  let base: string;
  let key: string;
  const portfolios: { gen: string; rev: string; com: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp('concurrency');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = await t.app.getUrl();
    key = (await createUser(t, 'manager')).key;
    for (let i = 0; i < 17; i++)
      portfolios.push(await openPortfolio(t, key, { name: `c${i}`, initialCapital: '10000.00' }));
  });
  afterAll(() => t.close());

  interface Call {
    path: string;
    body: unknown;
    idempotencyKey?: string;
  }

  function randomCalls(count: number): Call[] {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];
    const amount = () => `${1 + Math.floor(rand() * 400)}.${String(Math.floor(rand() * 100)).padStart(2, '0')}`;
    const calls: Call[] = [];
    while (calls.length < count) {
      const p = rand() < 0.2 ? portfolios[0] : pick(portfolios); // portfolios[0].gen is the hot account
      const r = rand();
      let call: Call;
      if (r < 0.15) call = { path: `/v1/accounts/${p.gen}/deposits`, body: { amount: amount() } };
      else if (r < 0.3) call = { path: `/v1/accounts/${pick([p.gen, p.rev])}/withdrawals`, body: { amount: amount() } };
      else if (r < 0.45)
        call = { path: `/v1/accounts/${pick([p.gen, p.rev, p.com])}/premiums`, body: { amount: amount() } };
      else if (r < 0.55)
        call = { path: `/v1/accounts/${pick([p.gen, p.rev, p.com])}/losses`, body: { amount: amount() } };
      else if (r < 0.6) call = { path: `/v1/accounts/${pick([p.gen, p.com])}/fees`, body: { amount: '0.99' } };
      else if (r < 0.85) {
        const [from, to] = pick([
          [p.gen, p.rev],
          [p.rev, p.gen],
          [p.gen, p.com],
          [p.rev, p.com],
        ]);
        call = { path: '/v1/transfers', body: { fromAccountId: from, toAccountId: to, amount: amount() } };
      } else {
        const items = Array.from({ length: 5 }, () =>
          pick([
            { kind: 'PREMIUM', accountId: p.gen, amount: amount() },
            { kind: 'WITHDRAWAL', accountId: p.rev, amount: amount() },
            { kind: 'TRANSFER', accountId: p.gen, toAccountId: p.com, amount: amount() },
          ]),
        );
        call = { path: '/v1/transactions/batch', body: { items } };
      }
      if (rand() < 0.1) {
        // The same key and body sent three times, interleaved with everything else.
        const idempotent = { ...call, idempotencyKey: `k-${calls.length}` };
        calls.push(idempotent, idempotent, idempotent);
      } else calls.push(call);
    }
    // Shuffle so that repeats of a key race each other.
    for (let i = calls.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [calls[i], calls[j]] = [calls[j], calls[i]];
    }
    return calls;
  }

  async function send(call: Call) {
    const res = await fetch(base + call.path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/json',
        ...(call.idempotencyKey && { 'idempotency-key': call.idempotencyKey }),
      },
      body: JSON.stringify(call.body),
    });
    return { call, status: res.status, body: (await res.json()) as any };
  }

  it('conserves money, never goes negative, keeps balances equal to postings, applies each key once', async () => {
    const calls = randomCalls(2_000);
    const results: Awaited<ReturnType<typeof send>>[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < calls.length) results.push(await send(calls[next++]));
      }),
    );

    expect(results.length).toBeGreaterThanOrEqual(2_000);
    const unexpected = results.filter(
      (r) => r.status !== 201 && !(r.status === 422 && r.body.code === 'INSUFFICIENT_FUNDS'),
    );
    expect(unexpected.map((r) => [r.status, r.body.code])).toEqual([]);
    expect(results.filter((r) => r.status === 201).length).toBeGreaterThan(1_000);

    expect(await ledgerViolations(t.db)).toEqual([]);

    // Each idempotency key: every successful answer names the same transactions, written once.
    const byKey = new Map<string, Set<string>>();
    for (const r of results.filter((x) => x.call.idempotencyKey && x.status === 201)) {
      const ids = (r.body.items ?? [r.body]).map((i: { id: string }) => i.id).join(',');
      byKey.set(r.call.idempotencyKey!, (byKey.get(r.call.idempotencyKey!) ?? new Set()).add(ids));
    }
    expect([...byKey.values()].filter((ids) => ids.size !== 1)).toEqual([]);

    // The postings the API reported, deduplicated by transaction, explain every balance exactly.
    const reported = new Map<string, { accountId: string | null; amount: string }[]>();
    for (const r of results.filter((x) => x.status === 201)) {
      for (const tx of r.body.items ?? [r.body]) reported.set(tx.id, tx.postings);
    }
    const { rows: stored } = await t.db.query(
      "SELECT count(*)::int AS n FROM transactions WHERE kind <> 'DEPOSIT' OR memo IS DISTINCT FROM 'initial capital'",
    );
    expect(stored[0].n).toBe(reported.size);
    const expected = new Map<string, bigint>();
    for (const postings of reported.values()) {
      for (const posting of postings.filter((x) => x.accountId)) {
        const cents = BigInt(posting.amount.replace('.', ''));
        expected.set(posting.accountId!, (expected.get(posting.accountId!) ?? 0n) + cents);
      }
    }
    const { rows: accounts } = await t.db.query(
      `SELECT a.id, a.cash::text, (SELECT amount::text FROM postings p JOIN transactions t ON t.seq = p.tx_seq
                                   WHERE p.account_id = a.id AND t.memo = 'initial capital') AS opening
         FROM accounts a`,
    );
    for (const a of accounts) {
      expect({ id: a.id, cash: BigInt(a.cash) }).toEqual({
        id: a.id,
        cash: BigInt(a.opening) + (expected.get(a.id) ?? 0n),
      });
    }
  });
});
