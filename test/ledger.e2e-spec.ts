import { dbConflictRetries } from '../src/modules/monitoring/metrics';
import {
  bearer,
  createUser,
  eventually,
  grant,
  ledgerViolations,
  openPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';

describe('ledger (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('ledger');
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());
  afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

  const account = async (id: string) =>
    (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body;
  const move = (id: string, movement: string, body: object, key = manager.key) =>
    t.http.post(`/v1/accounts/${id}/${movement}`).set(bearer(key)).send(body);
  const transfer = (body: object, headers: Record<string, string> = {}) =>
    t.http.post('/v1/transfers').set(bearer(manager.key)).set(headers).send(body);
  const reverseWithKey = (id: string, key: string, body: object = {}) =>
    t.http.post(`/v1/transactions/${id}/reversal`).set(bearer(manager.key)).set('Idempotency-Key', key).send(body);
  /** Sends the transfer at once (supertest sends on then), answering later. */
  const transferNow = (body: object) => transfer(body).then((res) => res);

  /** Runs a request that must be refused, and proves it changed nothing. */
  async function expectRefused(
    send: () => Promise<{ status: number; body: any; headers: Record<string, string> }>,
    status: number,
    code: string,
  ) {
    const before = await snapshot(t.db);
    const res = await send();
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(await snapshot(t.db)).toEqual(before);
    return res;
  }

  describe('portfolio opening', () => {
    it('funds the three root accounts with one DEPOSIT split 40/30/30, the remainder cent to GEN', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Split', initialCapital: '250000.01' });
      expect(p.body.accounts.map((a: any) => [a.type, a.cash, a.baseline, a.buffer, a.available])).toEqual([
        ['GEN', '100000.01', '100000.01', '5000.01', '95000.00'],
        ['REV', '75000.00', '0.00', '3750.00', '71250.00'],
        ['COM', '75000.00', '0.00', '3750.00', '71250.00'],
      ]);
      const { rows } = await t.db.query(
        `SELECT t.kind, count(p.*)::int AS legs FROM transactions t JOIN postings p ON p.tx_seq = t.seq
          WHERE t.portfolio_id = $1 GROUP BY t.kind`,
        [p.id],
      );
      expect(rows).toEqual([{ kind: 'DEPOSIT', legs: 4 }]);
    });
  });

  describe('single-account movements', () => {
    it.each([
      // movement, account type, amount, cash after, baseline after, kind, external ledger
      ['deposits', 'gen', '1250.50', '101250.50', '101250.50', 'DEPOSIT', 'external:bank'],
      ['deposits', 'rev', '0.01', '75000.01', '0.00', 'DEPOSIT', 'external:bank'],
      ['withdrawals', 'gen', '95000.00', '5000.00', '5000.00', 'WITHDRAWAL', 'external:bank'],
      ['withdrawals', 'rev', '100.00', '74900.00', '0.00', 'WITHDRAWAL', 'external:bank'],
      ['premiums', 'gen', '1500.00', '101500.00', '100000.00', 'PREMIUM', 'external:market'],
      ['losses', 'gen', '99999.99', '0.01', '100000.00', 'TRADING_LOSS', 'external:market'],
      ['losses', 'com', '75000.00', '0.00', '0.00', 'TRADING_LOSS', 'external:market'],
      ['fees', 'com', '12.34', '74987.66', '0.00', 'FEE', 'external:fees'],
    ] as const)('%s on %s of %s', async (movement, type, amount, cash, baseline, kind, external) => {
      const p = await openPortfolio(t, manager.key);
      const id = p[type];
      const res = await move(id, movement, { amount, memo: 'note' }).expect(201);
      const sign = ['deposits', 'premiums'].includes(movement) ? '' : '-';
      expect(res.body).toMatchObject({ kind, portfolioId: p.id, memo: 'note', reversesId: null });
      expect(res.body.postings).toEqual([
        { accountId: id, ledger: 'cash', amount: `${sign}${amount}` },
        { accountId: null, ledger: external, amount: `${sign ? '' : '-'}${amount}` },
      ]);
      expect(await account(id)).toMatchObject({ cash, baseline });
      const stored = await t.http.get(`/v1/transactions/${res.body.id}`).set(bearer(manager.key)).expect(200);
      expect(stored.body).toEqual(res.body);
    });

    it.each([
      ['a withdrawal above available cash', 'gen', 'withdrawals', '95000.01', 422, 'INSUFFICIENT_FUNDS'],
      ['a withdrawal from COM', 'com', 'withdrawals', '1.00', 422, 'COM_WITHDRAWAL_FORBIDDEN'],
      ['a loss beyond the cash', 'gen', 'losses', '100000.01', 422, 'INSUFFICIENT_FUNDS'],
      ['a fee beyond the cash', 'rev', 'fees', '75000.01', 422, 'INSUFFICIENT_FUNDS'],
      ['a zero amount', 'gen', 'deposits', '0.00', 400, 'VALIDATION_FAILED'],
      ['three decimals', 'gen', 'deposits', '1.001', 400, 'VALIDATION_FAILED'],
      ['an amount over the maximum', 'gen', 'deposits', '1000000000000.01', 400, 'VALIDATION_FAILED'],
    ])('refuses %s', async (_name, type, movement, amount, status, code) => {
      const p = await openPortfolio(t, manager.key);
      await expectRefused(() => move(p[type as 'gen'], movement, { amount }), status, code);
    });

    it('refuses a JSON number amount', async () => {
      const p = await openPortfolio(t, manager.key);
      await expectRefused(() => move(p.gen, 'deposits', { amount: 10 }), 400, 'VALIDATION_FAILED');
    });

    it('lets a loss use the buffer but a withdrawal only the cash above it', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Buffer', initialCapital: '1000.00' });
      // REV: 300.00 cash, buffer 15.00 → 285.00 available.
      await expectRefused(() => move(p.rev, 'withdrawals', { amount: '285.01' }), 422, 'INSUFFICIENT_FUNDS');
      await move(p.rev, 'withdrawals', { amount: '285.00' }).expect(201);
      expect(await account(p.rev)).toMatchObject({ cash: '15.00', buffer: '0.75', available: '14.25' });
      await move(p.rev, 'losses', { amount: '15.00' }).expect(201);
      expect(await account(p.rev)).toMatchObject({ cash: '0.00', total: '0.00' });
    });

    it('keeps a GEN baseline at zero when a withdrawal exceeds it', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Baseline', initialCapital: '1000.00' });
      await move(p.gen, 'premiums', { amount: '600.00' }).expect(201); // cash 1000, baseline 400
      await move(p.gen, 'withdrawals', { amount: '900.00' }).expect(201);
      expect(await account(p.gen)).toMatchObject({ cash: '100.00', baseline: '0.00' });
    });
  });

  describe('transfers', () => {
    it('moves available cash and GEN baselines with it', async () => {
      const p = await openPortfolio(t, manager.key);
      const res = await transfer({ fromAccountId: p.gen, toAccountId: p.rev, amount: '1000.00' }).expect(201);
      expect(res.body.kind).toBe('TRANSFER');
      expect(res.body.postings).toEqual([
        { accountId: p.gen, ledger: 'cash', amount: '-1000.00' },
        { accountId: p.rev, ledger: 'cash', amount: '1000.00' },
      ]);
      expect(await account(p.gen)).toMatchObject({ cash: '99000.00', baseline: '99000.00' });
      await transfer({ fromAccountId: p.rev, toAccountId: p.gen, amount: '500.00' }).expect(201);
      expect(await account(p.gen)).toMatchObject({ cash: '99500.00', baseline: '99500.00' });
      await transfer({ fromAccountId: p.rev, toAccountId: p.com, amount: '1.00' }).expect(201);
    });

    it('refuses transfers the rules forbid, changing nothing', async () => {
      const p = await openPortfolio(t, manager.key);
      const other = await openPortfolio(t, manager.key);
      const cases: [object, number, string][] = [
        [{ fromAccountId: p.com, toAccountId: p.gen, amount: '1.00' }, 422, 'COM_WITHDRAWAL_FORBIDDEN'],
        [{ fromAccountId: p.gen, toAccountId: p.gen, amount: '1.00' }, 422, 'SAME_ACCOUNT_TRANSFER'],
        [{ fromAccountId: p.gen, toAccountId: other.rev, amount: '1.00' }, 422, 'CROSS_PORTFOLIO_TRANSFER'],
        [{ fromAccountId: p.rev, toAccountId: p.gen, amount: '71250.01' }, 422, 'INSUFFICIENT_FUNDS'],
        [
          { fromAccountId: p.rev, toAccountId: '00000000-0000-4000-8000-000000000000', amount: '1.00' },
          404,
          'ACCOUNT_NOT_FOUND',
        ],
        [{ fromAccountId: p.rev, toAccountId: p.gen }, 400, 'VALIDATION_FAILED'],
        [{ fromAccountId: 'x', toAccountId: p.gen, amount: '1.00' }, 400, 'VALIDATION_FAILED'],
      ];
      for (const [body, status, code] of cases) await expectRefused(() => transfer(body), status, code);
    });
  });

  describe('batches', () => {
    const batch = (items: object[], key = manager.key) =>
      t.http.post('/v1/transactions/batch').set(bearer(key)).send({ items });

    it('applies every movement in order, in one atomic request', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Batch', initialCapital: '1000.00' });
      // The withdrawal only fits because the deposit before it in the same batch is applied first.
      const res = await batch([
        { kind: 'DEPOSIT', accountId: p.rev, amount: '500.00' },
        { kind: 'WITHDRAWAL', accountId: p.rev, amount: '750.00' },
        { kind: 'TRANSFER', accountId: p.gen, toAccountId: p.com, amount: '10.00' },
        { kind: 'PREMIUM', accountId: p.gen, amount: '1.00' },
        { kind: 'TRADING_LOSS', accountId: p.com, amount: '2.00' },
        { kind: 'FEE', accountId: p.com, amount: '3.00' },
      ]).expect(201);
      expect(res.body.items.map((i: any) => i.kind)).toEqual([
        'DEPOSIT',
        'WITHDRAWAL',
        'TRANSFER',
        'PREMIUM',
        'TRADING_LOSS',
        'FEE',
      ]);
      expect(await account(p.rev)).toMatchObject({ cash: '50.00' });
      expect(await account(p.gen)).toMatchObject({ cash: '391.00', baseline: '390.00' });
      expect(await account(p.com)).toMatchObject({ cash: '305.00' });
    });

    it('applies nothing when one movement is refused, and names the item', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Atomic', initialCapital: '1000.00' });
      const res = await expectRefused(
        () =>
          batch([
            { kind: 'DEPOSIT', accountId: p.rev, amount: '5.00' },
            { kind: 'WITHDRAWAL', accountId: p.rev, amount: '5000.00' },
          ]),
        422,
        'INSUFFICIENT_FUNDS',
      );
      expect(res.body).toMatchObject({ accountId: p.rev, itemIndex: 1 });
      const rule = await expectRefused(
        () =>
          batch([
            { kind: 'DEPOSIT', accountId: p.rev, amount: '5.00' },
            { kind: 'WITHDRAWAL', accountId: p.com, amount: '1.00' },
          ]),
        422,
        'COM_WITHDRAWAL_FORBIDDEN',
      );
      expect(rule.body.itemIndex).toBe(1);
    });

    it('clamps a GEN baseline at zero at each step, not only at the end', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Clamp', initialCapital: '1000.00' });
      await batch([
        { kind: 'PREMIUM', accountId: p.gen, amount: '600.00' }, // cash 1000, baseline 400
        { kind: 'WITHDRAWAL', accountId: p.gen, amount: '900.00' }, // baseline 400 − 900 → 0
        { kind: 'DEPOSIT', accountId: p.gen, amount: '50.00' }, // baseline 0 + 50
      ]).expect(201);
      expect(await account(p.gen)).toMatchObject({ cash: '150.00', baseline: '50.00' });
    });

    it('takes 1,000 movements and refuses 1,001 or none', async () => {
      const p = await openPortfolio(t, manager.key);
      const items = (n: number) =>
        Array.from({ length: n }, () => ({ kind: 'PREMIUM', accountId: p.gen, amount: '0.01' }));
      await expectRefused(() => batch(items(1001)), 400, 'VALIDATION_FAILED');
      await expectRefused(() => batch([]), 400, 'VALIDATION_FAILED');
      await expectRefused(
        () => batch([{ kind: 'REVERSAL', accountId: p.gen, amount: '1.00' }]),
        400,
        'VALIDATION_FAILED',
      );
      const res = await batch(items(1000)).expect(201);
      expect(res.body.items).toHaveLength(1000);
      expect(await account(p.gen)).toMatchObject({ cash: '100010.00', baseline: '100000.00' });
    });
  });

  describe('reversals', () => {
    it('posts the opposite postings once and restores balances and baselines', async () => {
      const p = await openPortfolio(t, manager.key);
      const original = await transfer({ fromAccountId: p.gen, toAccountId: p.rev, amount: '100.00' }).expect(201);
      const reversal = await t.http
        .post(`/v1/transactions/${original.body.id}/reversal`)
        .set(bearer(manager.key))
        .send({ memo: 'entered twice' })
        .expect(201);
      expect(reversal.body).toMatchObject({ kind: 'REVERSAL', reversesId: original.body.id, memo: 'entered twice' });
      expect(reversal.body.postings).toEqual([
        { accountId: p.gen, ledger: 'cash', amount: '100.00' },
        { accountId: p.rev, ledger: 'cash', amount: '-100.00' },
      ]);
      expect(await account(p.gen)).toMatchObject({ cash: '100000.00', baseline: '100000.00' });
      const reread = await t.http.get(`/v1/transactions/${original.body.id}`).set(bearer(manager.key)).expect(200);
      expect(reread.body.reversedById).toBe(reversal.body.id);

      const send = () => t.http.post(`/v1/transactions/${original.body.id}/reversal`).set(bearer(manager.key)).send({});
      await expectRefused(send, 409, 'TRANSACTION_ALREADY_REVERSED');
      const again = () =>
        t.http.post(`/v1/transactions/${reversal.body.id}/reversal`).set(bearer(manager.key)).send({});
      await expectRefused(again, 422, 'TRANSACTION_NOT_REVERSIBLE');
    });

    it('refuses a reversal that would make a pocket negative', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Neg', initialCapital: '1000.00' });
      const deposit = await move(p.rev, 'deposits', { amount: '100.00' }).expect(201);
      await move(p.rev, 'losses', { amount: '400.00' }).expect(201);
      const send = () => t.http.post(`/v1/transactions/${deposit.body.id}/reversal`).set(bearer(manager.key)).send({});
      await expectRefused(send, 422, 'INSUFFICIENT_FUNDS');
    });

    it('answers a reversal retried with its Idempotency-Key with the first result, and another key with 409', async () => {
      const p = await openPortfolio(t, manager.key);
      const original = await move(p.gen, 'premiums', { amount: '10.00' }).expect(201);
      const reverse = (key: string, body: object = { memo: 'typo' }) => reverseWithKey(original.body.id, key, body);
      const first = await reverse('undo-1').expect(201);

      const before = await snapshot(t.db);
      const retried = await reverse('undo-1').expect(201);
      expect(retried.body).toEqual(first.body);
      expect(await snapshot(t.db)).toEqual(before);

      await expectRefused(() => reverse('undo-2'), 409, 'TRANSACTION_ALREADY_REVERSED');
      await expectRefused(() => reverse('undo-1', { memo: 'another' }), 409, 'IDEMPOTENCY_KEY_REUSED');
      expect(await account(p.gen)).toMatchObject({ cash: '100000.00' });
    });

    it('applies a reversal once when requests with one Idempotency-Key race, answering each with it', async () => {
      const p = await openPortfolio(t, manager.key);
      const original = await move(p.gen, 'premiums', { amount: '10.00' }).expect(201);
      const results = await Promise.all(Array.from({ length: 8 }, () => reverseWithKey(original.body.id, 'undo-race')));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await account(p.gen)).toMatchObject({ cash: '100000.00' });
    });

    it('allows only one of many concurrent reversals', async () => {
      const p = await openPortfolio(t, manager.key);
      const original = await move(p.gen, 'premiums', { amount: '10.00' }).expect(201);
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          t.http.post(`/v1/transactions/${original.body.id}/reversal`).set(bearer(manager.key)).send({}),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(await account(p.gen)).toMatchObject({ cash: '100000.00' });
    });
  });

  describe('idempotency', () => {
    it('returns the first result for the same key and body, and refuses a different body', async () => {
      const p = await openPortfolio(t, manager.key);
      const body = { fromAccountId: p.gen, toAccountId: p.rev, amount: '25.00' };
      const first = await transfer(body, { 'Idempotency-Key': 'transfer-1' }).expect(201);
      const second = await transfer(
        { amount: '25.00', toAccountId: p.rev, fromAccountId: p.gen },
        { 'Idempotency-Key': 'transfer-1' },
      ).expect(201);
      expect(second.body).toEqual(first.body);
      expect(await account(p.gen)).toMatchObject({ cash: '99975.00' });
      await expectRefused(
        () => transfer({ ...body, amount: '26.00' }, { 'Idempotency-Key': 'transfer-1' }),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      );
      await expectRefused(
        () => move(p.gen, 'deposits', { amount: '25.00' }).set('Idempotency-Key', 'transfer-1'),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      );
      await expectRefused(
        () => transfer(body, { 'Idempotency-Key': 'bad key with spaces' }),
        400,
        'INVALID_IDEMPOTENCY_KEY',
      );
    });

    it('applies a key once however many requests race with it', async () => {
      const p = await openPortfolio(t, manager.key);
      const results = await Promise.all(
        Array.from({ length: 10 }, () => move(p.gen, 'premiums', { amount: '7.00' }).set('Idempotency-Key', 'race-1')),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      expect(await account(p.gen)).toMatchObject({ cash: '100007.00' });
    });

    it('keeps keys apart per caller', async () => {
      const p = await openPortfolio(t, manager.key);
      const operator = await createUser(t, 'operator');
      await grant(t, manager.key, p.id, operator.id, 'operator');
      await move(p.gen, 'premiums', { amount: '1.00' }).set('Idempotency-Key', 'shared').expect(201);
      await move(p.gen, 'premiums', { amount: '1.00' }, operator.key).set('Idempotency-Key', 'shared').expect(201);
      expect(await account(p.gen)).toMatchObject({ cash: '100002.00' });
    });
  });

  describe('conflicts', () => {
    it('runs a movement again when PostgreSQL picks it as a deadlock victim, answering 201, not 500', async () => {
      const p = await openPortfolio(t, manager.key);
      const [first, second] = [p.gen, p.rev].sort();
      const deadlocks = async () =>
        (await dbConflictRetries.get()).values.find((v) => v.labels.reason === 'deadlock')?.value ?? 0;
      const deadlocksBefore = await deadlocks();
      const client = await t.db.connect();
      try {
        // This session holds the account the transfer locks second, then asks for the one it locks
        // first. Its own deadlock check waits 10 s, so the transfer's (1 s) finds the cycle.
        await client.query("BEGIN; SET LOCAL deadlock_timeout = '10s'");
        await client.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [second]);
        const transfer = transferNow({ fromAccountId: p.gen, toAccountId: p.rev, amount: '10.00' });
        await eventually(async () => {
          const { rows } = await t.db.query(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%ledger_post%'",
          );
          return rows.length > 0 || undefined;
        }, 'the transfer to wait for the lock');
        await client.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [first]);
        await client.query('ROLLBACK');
        const res = await transfer;
        expect(res.status).toBe(201);
      } finally {
        client.release();
      }
      expect((await deadlocks()) - deadlocksBefore).toBe(1);
      expect(await account(p.gen)).toMatchObject({ cash: '99990.00' });
      expect(await account(p.rev)).toMatchObject({ cash: '75010.00' });
    });
  });

  describe('history', () => {
    it('backdates movements, and answers balances at a point in time', async () => {
      const p = await openPortfolio(t, manager.key);
      const opened = new Date(p.body.createdAt).getTime();
      const at = (ms: number) => new Date(opened + ms).toISOString();
      await move(p.gen, 'premiums', { amount: '100.00', effectiveAt: at(2) }).expect(201);
      await move(p.gen, 'premiums', { amount: '50.00' }).expect(201);
      const balance = (when: string) =>
        t.http.get(`/v1/accounts/${p.gen}/balance`).query({ at: when }).set(bearer(manager.key)).expect(200);
      expect((await balance(at(1))).body).toMatchObject({ cash: '100000.00', total: '100000.00' });
      expect((await balance(at(3))).body).toMatchObject({ cash: '100100.00' });
      expect((await balance(new Date().toISOString())).body).toMatchObject({ cash: '100150.00' });
      expect((await balance(new Date(opened - 1000).toISOString())).body).toMatchObject({ cash: '0.00' });

      await expectRefused(
        () => move(p.gen, 'premiums', { amount: '1.00', effectiveAt: new Date(Date.now() + 60_000).toISOString() }),
        400,
        'EFFECTIVE_AT_IN_FUTURE',
      );
      await expectRefused(
        () => move(p.gen, 'premiums', { amount: '1.00', effectiveAt: new Date(opened - 1000).toISOString() }),
        400,
        'EFFECTIVE_AT_BEFORE_ACCOUNT',
      );
      await expectRefused(
        () => move(p.gen, 'premiums', { amount: '1.00', effectiveAt: '2026-01-01T00:00:00' }),
        400,
        'VALIDATION_FAILED',
      );
    });

    it('pages through transactions newest first, with kind and time filters', async () => {
      const p = await openPortfolio(t, manager.key);
      for (let i = 1; i <= 5; i++) await move(p.gen, 'premiums', { amount: `${i}.00` }).expect(201);
      await move(p.gen, 'fees', { amount: '1.00' }).expect(201);

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await t.http
          .get(`/v1/accounts/${p.gen}/transactions`)
          .query({ limit: 2, ...(cursor && { cursor }) })
          .set(bearer(manager.key))
          .expect(200);
        seen.push(
          ...page.body.items.map((i: any) => `${i.kind}:${i.postings.find((l: any) => l.accountId === p.gen).amount}`),
        );
        cursor = page.body.nextCursor ?? undefined;
      } while (cursor);
      expect(seen).toEqual([
        'FEE:-1.00',
        'PREMIUM:5.00',
        'PREMIUM:4.00',
        'PREMIUM:3.00',
        'PREMIUM:2.00',
        'PREMIUM:1.00',
        'DEPOSIT:100000.00',
      ]);

      const fees = await t.http
        .get(`/v1/accounts/${p.gen}/transactions`)
        .query({ kind: 'FEE' })
        .set(bearer(manager.key))
        .expect(200);
      expect(fees.body.items).toHaveLength(1);
      const none = await t.http
        .get(`/v1/accounts/${p.gen}/transactions`)
        .query({ to: p.body.createdAt })
        .set(bearer(manager.key))
        .expect(200);
      expect(none.body).toEqual({ items: [], nextCursor: null });
      for (const query of [{ limit: 0 }, { limit: 201 }, { kind: 'NOPE' }, { cursor: 'abc' }, { from: 'yesterday' }]) {
        await t.http.get(`/v1/accounts/${p.gen}/transactions`).query(query).set(bearer(manager.key)).expect(400);
      }
    });
  });

  describe('access', () => {
    it('hides another investor’s accounts and refuses movements by roles that may not move money', async () => {
      const p = await openPortfolio(t, manager.key);
      const stranger = await createUser(t, 'manager', 'stranger');
      const viewer = await createUser(t, 'viewer');
      const auditor = await createUser(t, 'auditor');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      await expectRefused(() => move(p.gen, 'deposits', { amount: '1.00' }, stranger.key), 404, 'ACCOUNT_NOT_FOUND');
      await expectRefused(() => move(p.gen, 'deposits', { amount: '1.00' }, viewer.key), 403, 'FORBIDDEN');
      await expectRefused(() => move(p.gen, 'deposits', { amount: '1.00' }, auditor.key), 403, 'FORBIDDEN');
      await t.http.get(`/v1/accounts/${p.gen}/transactions`).set(bearer(stranger.key)).expect(404);
      await t.http.get(`/v1/accounts/${p.gen}/balance`).set(bearer(stranger.key)).expect(404);
      const tx = await move(p.gen, 'premiums', { amount: '1.00' }).expect(201);
      await t.http.get(`/v1/transactions/${tx.body.id}`).set(bearer(stranger.key)).expect(404);
      await t.http.get(`/v1/transactions/${tx.body.id}`).set(bearer(viewer.key)).expect(200);
      await expectRefused(
        () => t.http.post(`/v1/transactions/${tx.body.id}/reversal`).set(bearer(viewer.key)).send({}),
        403,
        'FORBIDDEN',
      );
    });
  });
});
