import { randomUUID } from 'node:crypto';
import { connect, type AddressInfo } from 'node:net';
import type { Response, Test } from 'supertest';
import {
  bearer,
  createUser,
  INTERNALS,
  ledgerViolations,
  openPortfolio,
  OpenedPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';

const TABLES = [
  'accounts',
  'api_keys',
  'audit_log',
  'idempotency_keys',
  'portfolio_grants',
  'portfolios',
  'postings',
  'transactions',
  'users',
];

/** Checks an RFC 9457 problem answer: status, content type, every field, and the stable code. */
function expectProblem(res: Response, status: number, code: string) {
  expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({
    type: `urn:alluse:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    code,
    correlationId: res.headers['x-correlation-id'],
  });
  expect(JSON.stringify(res.body)).not.toMatch(INTERNALS);
}

const expectFieldError = (res: Response, field: string) =>
  expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));

describe('bad input (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let p: OpenedPortfolio;
  let transactionId: string;
  let tablesBefore: string[];

  beforeAll(async () => {
    t = await startTestApp('badinput');
    // t.close() ends this pool without waiting for its sockets, so its DROP DATABASE ... WITH (FORCE) can
    // terminate them and the pool would re-emit that as an unhandled 'error' failing the last test.
    t.db.on('error', () => undefined);
    manager = await createUser(t, 'manager');
    p = await openPortfolio(t, manager.key);
    transactionId = (await deposit({ amount: '10.00' }).expect(201)).body.id;
    tablesBefore = await tables();
  });
  afterAll(() => t.close());
  afterEach(async () => expect(await ledgerViolations(t.db)).toEqual([]));

  async function tables(): Promise<string[]> {
    const rows = await t.db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    return rows.rows.map((r) => r.tablename);
  }
  const as = (test: Test) => test.set(bearer(manager.key));
  const deposit = (body: unknown, accountId = p.gen) =>
    as(t.http.post(`/v1/accounts/${accountId}/deposits`)).send(body as object);
  const transfer = (body: Record<string, unknown>) =>
    as(t.http.post('/v1/transfers')).send({ fromAccountId: p.gen, toAccountId: p.rev, ...body });
  const open = (body: Record<string, unknown>) =>
    as(t.http.post('/v1/portfolios')).send({ name: 'Refused', initialCapital: '1000.00', ...body });
  const patchAccount = (body: Record<string, unknown>) => as(t.http.patch(`/v1/accounts/${p.gen}`)).send(body);
  const rawJson = (text: string) =>
    as(t.http.post(`/v1/accounts/${p.gen}/deposits`))
      .set('content-type', 'application/json')
      .send(text);

  /** Sends a request that must be refused and checks that the database is exactly as before. */
  async function refused(send: () => PromiseLike<Response>): Promise<Response> {
    const before = await snapshot(t.db);
    const res = await send();
    expect(await snapshot(t.db)).toEqual(before);
    return res;
  }

  describe('malformed bodies', () => {
    it.each([
      ['truncated JSON', '{"amount": "1.00",'],
      ['a bare word', 'amount'],
      ['single-quoted JSON', "{'amount': '1.00'}"],
      ['a __proto__ key', '{"amount": "1.00", "__proto__": {"admin": true}}'],
    ])('refuses %s with a 400 problem and changes nothing', async (_, text) => {
      const res = await refused(() => rawJson(text));
      expectProblem(res, 400, 'BAD_REQUEST');
      expect(res.body.detail).toMatch(/JSON/);
    });

    // Well under 1 MB, these once overflowed the stack of the validation pipe: a 500.
    it.each([
      ['5,000 nested arrays', '['.repeat(5_000) + ']'.repeat(5_000)],
      ['a memo 3,000 arrays deep', `{"amount": "1.00", "memo": ${'['.repeat(3_000)}${']'.repeat(3_000)}}`],
      ['33 nested objects', `${'{"a":'.repeat(33)}1${'}'.repeat(33)}`],
    ])('refuses %s with 400 VALIDATION_FAILED naming the body and changes nothing', async (_, text) => {
      const res = await refused(() => rawJson(text));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, 'body');
    });

    it('refuses a body over 1 MB with 413 PAYLOAD_TOO_LARGE and changes nothing', async () => {
      const res = await refused(() => deposit({ amount: '1.00', memo: 'x'.repeat(1_100_000) }));
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('takes a memo of 500 characters and refuses one of 501 naming memo', async () => {
      expect((await deposit({ amount: '1.00', memo: 'm'.repeat(500) }).expect(201)).body.memo).toHaveLength(500);
      const res = await refused(() => deposit({ amount: '1.00', memo: 'm'.repeat(501) }));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, 'memo');
    });
  });

  describe('unknown fields', () => {
    it.each<{ what: string; send: () => Test; field: string }>([
      { what: 'a deposit', send: () => deposit({ amount: '1.00', approvedBy: 'me' }), field: 'approvedBy' },
      { what: 'a transfer', send: () => transfer({ amount: '1.00', fee: '0.00' }), field: 'fee' },
      { what: 'a new portfolio', send: () => open({ ownerId: randomUUID() }), field: 'ownerId' },
      {
        what: 'an account update',
        send: () => patchAccount({ weeklyTargetPct: 1, cash: '1000000.00' }),
        field: 'cash',
      },
      {
        what: 'a nested allocation',
        send: () => open({ template: 'custom', allocation: { gen: 40, rev: 30, com: 30, bufferPct: 5, extra: 1 } }),
        field: 'allocation.extra',
      },
    ])('refuses one in $what with 400 naming $field and changes nothing', async ({ send, field }) => {
      const res = await refused(send);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, field);
    });
  });

  // class-validator's IsNumber with maxDecimalPlaces threw on exponent notation: a 500.
  describe('numbers in exponent notation', () => {
    it.each<{ what: string; send: () => Test; field: string }>([
      {
        what: 'a position sizing of 1e-7',
        send: () => patchAccount({ positionSizingPct: 1e-7 }),
        field: 'positionSizingPct',
      },
      { what: 'a buffer of 1.5e-7', send: () => patchAccount({ bufferPct: 1.5e-7 }), field: 'bufferPct' },
      {
        what: 'an allocation buffer of 1e-7',
        send: () => open({ template: 'custom', allocation: { gen: 40, rev: 30, com: 30, bufferPct: 1e-7 } }),
        field: 'allocation.bufferPct',
      },
      {
        what: 'a projection rate of 1e-7',
        send: () =>
          as(t.http.post('/v1/projections')).send({ capital: '100.00', years: 1, weeklyRates: { gen: 1e-7 } }),
        field: 'weeklyRates.gen',
      },
    ])('refuses $what with 400 naming $field and changes nothing', async ({ send, field }) => {
      const res = await refused(send);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, field);
    });

    it('takes 1e1 as the whole number it is', async () => {
      expect((await patchAccount({ positionSizingPct: 1e1 }).expect(200)).body.config.positionSizingPct).toBe(10);
    });
  });

  // class-validator's ValidateNested validates an array's elements in place of the object: these
  // once passed, stored {"0": {...}} as an account's delta range, or answered 500 for a batch.
  describe('arrays in place of nested objects', () => {
    const allocation = { gen: 40, rev: 30, com: 30, bufferPct: 5 };
    it.each<{ what: string; send: () => Test; field: string }>([
      { what: 'a delta range', send: () => patchAccount({ deltaRange: [{ min: 20, max: 30 }] }), field: 'deltaRange' },
      { what: 'an empty delta range', send: () => patchAccount({ deltaRange: [] }), field: 'deltaRange' },
      {
        what: 'an allocation',
        send: () => open({ template: 'custom', allocation: [allocation] }),
        field: 'allocation',
      },
      {
        what: 'a batch item',
        send: () =>
          as(t.http.post('/v1/transactions/batch')).send({
            items: [[{ kind: 'FEE', accountId: p.rev, amount: '1.00' }]],
          }),
        field: 'items',
      },
      {
        what: 'projection rates',
        send: () => as(t.http.post('/v1/projections')).send({ capital: '100.00', years: 1, weeklyRates: [] }),
        field: 'weeklyRates',
      },
    ])('refuses one for $what with 400 naming $field and changes nothing', async ({ send, field }) => {
      const res = await refused(send);
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, field);
    });
  });

  describe.each<{ endpoint: string; field: string; send: (amount: unknown) => Test }>([
    { endpoint: 'a deposit', field: 'amount', send: (amount) => deposit({ amount }) },
    { endpoint: 'a transfer', field: 'amount', send: (amount) => transfer({ amount }) },
    { endpoint: 'a new portfolio', field: 'initialCapital', send: (initialCapital) => open({ initialCapital }) },
  ])('amounts in $endpoint', ({ field, send }) => {
    it.each<[string, unknown]>([
      ['a JSON number', 100],
      ['an exponent', '1e3'],
      ['a negative amount', '-5.00'],
      ['zero', '0.00'],
      ['three decimals', '1.234'],
      ['a thousands separator', '1,000.00'],
      ['a leading space', ' 1.00'],
      ['a trailing space', '1.00 '],
      ['a plus sign', '+1.00'],
      ['a leading zero', '01.00'],
      ['no whole part', '.50'],
      ['a currency sign', '$1.00'],
      ['NaN', 'NaN'],
      ['one cent over the maximum', '1000000000000.01'],
      ['an empty string', ''],
      ['null', null],
      ['an array', ['1.00']],
      ['an object', { value: '1.00' }],
    ])(`refuses %s with 400 naming ${field} and changes nothing`, async (_, amount) => {
      const res = await refused(() => send(amount));
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, field);
    });
  });

  describe('valid amounts', () => {
    const cashOf = async (id: string) =>
      BigInt((await t.db.query('SELECT cash FROM accounts WHERE id = $1', [id])).rows[0].cash);

    it.each([
      ['0.01', '0.01', 1n],
      ['1', '1.00', 100n],
      ['1.5', '1.50', 150n],
      ['1000000000000.00', '1000000000000.00', 100_000_000_000_000n],
    ])('accepts %s and credits exactly %s', async (amount, formatted, cents) => {
      const before = await cashOf(p.rev);

      const res = await deposit({ amount }, p.rev).expect(201);

      expect(res.body.postings).toContainEqual({ accountId: p.rev, ledger: 'cash', amount: formatted });
      expect((await cashOf(p.rev)) - before).toBe(cents);
    });
  });

  describe('times', () => {
    it.each([
      ['not an ISO time', 'yesterday', 'VALIDATION_FAILED'],
      ['without a time zone', '2026-01-01T10:00:00', 'VALIDATION_FAILED'],
      ['a date only', '2026-01-01', 'VALIDATION_FAILED'],
      ['a number', 1767261600000, 'VALIDATION_FAILED'],
      ['in the future', new Date(Date.now() + 86_400_000).toISOString(), 'EFFECTIVE_AT_IN_FUTURE'],
      ['before the account existed', '2020-01-01T00:00:00Z', 'EFFECTIVE_AT_BEFORE_ACCOUNT'],
    ])('refuses an effectiveAt %s (%s) with 400 %s and changes nothing', async (_, effectiveAt, code) => {
      const res = await refused(() => deposit({ amount: '1.00', effectiveAt }));
      expectProblem(res, 400, code);
      expectFieldError(res, 'effectiveAt');
    });

    it('accepts an effectiveAt with an explicit offset, from the moment the account exists', async () => {
      const gen = p.body.accounts.find((a: { type: string }) => a.type === 'GEN');
      const instant = new Date(Date.parse(gen.createdAt) + 1);
      // The same instant written as a local time two hours ahead of UTC.
      const effectiveAt = new Date(instant.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');

      const res = await deposit({ amount: '1.00', effectiveAt }).expect(201);

      expect(res.body.effectiveAt).toBe(instant.toISOString());
      const row = await t.db.query('SELECT effective_at FROM transactions WHERE id = $1', [res.body.id]);
      expect(row.rows[0].effective_at).toEqual(instant);
    });

    it.each([
      ['not an ISO time', 'yesterday'],
      ['without a time zone', '2026-01-01T10:00:00'],
      ['a day that does not exist', '2026-02-30T00:00:00Z'],
    ])('refuses a balance time %s (%s) with 400 naming at', async (_, at) => {
      const res = await as(t.http.get(`/v1/accounts/${p.gen}/balance`)).query({ at });
      expectProblem(res, 400, 'VALIDATION_FAILED');
      expectFieldError(res, 'at');
    });
  });

  describe('strings that look like code', () => {
    const HOSTILE = [
      "'; DROP TABLE accounts; --",
      '<script>alert(1)</script>',
      "Robert'); DROP TABLE users;--",
      '" OR "1"="1',
      '{{7*7}} ${7*7} %s %n',
    ];

    it.each(HOSTILE)('stores and returns the portfolio name %s verbatim', async (name) => {
      const opened = await openPortfolio(t, manager.key, { name, initialCapital: '1000.00' });
      const read = await as(t.http.get(`/v1/portfolios/${opened.id}`)).expect(200);

      expect(opened.body.name).toBe(name);
      expect(read.body.name).toBe(name);
      expect(read.headers['content-type']).toMatch(/^application\/json/);
      expect((await t.db.query('SELECT name FROM portfolios WHERE id = $1', [opened.id])).rows).toEqual([{ name }]);
    });

    it.each(HOSTILE)('stores and returns the memo %s verbatim', async (memo) => {
      const posted = await deposit({ amount: '1.00', memo }).expect(201);
      const read = await as(t.http.get(`/v1/transactions/${posted.body.id}`)).expect(200);

      expect(posted.body.memo).toBe(memo);
      expect(read.body.memo).toBe(memo);
      expect((await t.db.query('SELECT memo FROM transactions WHERE id = $1', [posted.body.id])).rows).toEqual([
        { memo },
      ]);
    });

    it('still has every table, with its rows', async () => {
      expect(await tables()).toEqual(tablesBefore);
      expect(tablesBefore).toEqual(expect.arrayContaining(TABLES));
      const accounts = await t.db.query('SELECT count(*)::int AS n FROM accounts');
      expect(accounts.rows[0].n).toBe(3 * (1 + HOSTILE.length));
    });
  });

  describe('ids', () => {
    const ROUTES: { route: string; code: string; send: (id: string) => Test; known?: () => string }[] = [
      {
        route: 'GET /v1/accounts/:id',
        code: 'ACCOUNT_NOT_FOUND',
        send: (id) => t.http.get(`/v1/accounts/${id}`),
        known: () => p.gen,
      },
      {
        route: 'GET /v1/accounts/:id/transactions',
        code: 'ACCOUNT_NOT_FOUND',
        send: (id) => t.http.get(`/v1/accounts/${id}/transactions`),
        known: () => p.gen,
      },
      {
        route: 'GET /v1/accounts/:id/balance',
        code: 'ACCOUNT_NOT_FOUND',
        send: (id) => t.http.get(`/v1/accounts/${id}/balance`),
        known: () => p.gen,
      },
      {
        route: 'PATCH /v1/accounts/:id',
        code: 'ACCOUNT_NOT_FOUND',
        send: (id) => t.http.patch(`/v1/accounts/${id}`).send({ weeklyTargetPct: 1.5 }),
      },
      {
        route: 'POST /v1/accounts/:id/deposits',
        code: 'ACCOUNT_NOT_FOUND',
        send: (id) => t.http.post(`/v1/accounts/${id}/deposits`).send({ amount: '1.00' }),
      },
      {
        route: 'GET /v1/portfolios/:id',
        code: 'PORTFOLIO_NOT_FOUND',
        send: (id) => t.http.get(`/v1/portfolios/${id}`),
        known: () => p.id,
      },
      {
        route: 'GET /v1/portfolios/:id/accounts',
        code: 'PORTFOLIO_NOT_FOUND',
        send: (id) => t.http.get(`/v1/portfolios/${id}/accounts`),
        known: () => p.id,
      },
      {
        route: 'GET /v1/transactions/:id',
        code: 'TRANSACTION_NOT_FOUND',
        send: (id) => t.http.get(`/v1/transactions/${id}`),
        known: () => transactionId,
      },
      {
        route: 'POST /v1/transactions/:id/reversal',
        code: 'TRANSACTION_NOT_FOUND',
        send: (id) => t.http.post(`/v1/transactions/${id}/reversal`).send({}),
      },
    ];
    const MALFORMED_IDS = ['123', 'not-a-uuid', "1' OR '1'='1", '0e5a6c1c9d8b4f0e8a3b2c1d0e9f8a7b'];

    it.each(ROUTES)('$route answers an unknown uuid with 404 $code and changes nothing', async ({ send, code }) => {
      const res = await refused(() => as(send(randomUUID())));
      expectProblem(res, 404, code);
    });

    it.each(ROUTES.flatMap(({ route, send }) => MALFORMED_IDS.map((id) => ({ route, id, send }))))(
      '$route answers the id $id with 400 INVALID_ID and changes nothing',
      async ({ send, id }) => {
        const res = await refused(() => as(send(encodeURIComponent(id))));
        expectProblem(res, 400, 'INVALID_ID');
      },
    );

    it.each(ROUTES.filter((r) => r.known))('$route answers a known id with 200', async ({ send, known }) => {
      await as(send(known!())).expect(200);
    });

    // Fastify's router refuses these before any route runs; they once answered its own JSON.
    it.each(['%', '%E0%A4%A', '%ED%A0%80'])(
      'answers the undecodable path id %s with a 400 BAD_REQUEST problem and changes nothing',
      async (id) => {
        const res = await refused(() => as(t.http.post(`/v1/accounts/${id}/deposits`).send({ amount: '1.00' })));
        expectProblem(res, 400, 'BAD_REQUEST');
        expect(res.body.detail).not.toContain(id);
      },
    );

    it('answers a path id longer than the router takes with a 414 URI_TOO_LONG problem and changes nothing', async () => {
      const res = await refused(() =>
        as(t.http.post(`/v1/accounts/${'9'.repeat(300)}/deposits`).send({ amount: '1.00' })),
      );
      expectProblem(res, 414, 'URI_TOO_LONG');
    });
  });

  // Node's parser refuses these before Fastify sees a request; they once answered Fastify's JSON.
  describe('requests the HTTP parser refuses', () => {
    it('answers headers over the size limit with a 431 HEADERS_TOO_LARGE problem and changes nothing', async () => {
      const res = await refused(() => deposit({ amount: '1.00' }).set('x-padding', 'p'.repeat(20_000)));
      expectProblem(res, 431, 'HEADERS_TOO_LARGE');
    });

    it('answers a malformed header with a 400 BAD_REQUEST problem', async () => {
      const server = t.app.getHttpServer();
      if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.end('GET /v1/users/me HTTP/1.1\r\nHost: x\r\nNot a header\r\n\r\n');
      let raw = '';
      for await (const chunk of socket) raw += String(chunk);
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/content-type: application\/problem\+json/i);
      const correlationId = /x-correlation-id: (\S+)/i.exec(head)?.[1];
      expect(JSON.parse(body)).toMatchObject({ status: 400, code: 'BAD_REQUEST', correlationId });
    });
  });

  describe('cursors', () => {
    const LISTS: { list: string; send: (cursor: string) => Test }[] = [
      {
        list: 'transactions',
        send: (cursor) => as(t.http.get(`/v1/accounts/${p.gen}/transactions`)).query({ cursor }),
      },
      { list: 'audit', send: (cursor) => t.http.get('/v1/audit').set(bearer(t.adminKey)).query({ cursor }) },
      { list: 'alerts', send: (cursor) => t.http.get('/v1/alerts').set(bearer(t.adminKey)).query({ cursor }) },
    ];
    // Each is a decimal string of at most 19 digits, yet none is a positive bigint.
    const OUT_OF_RANGE = ['9999999999999999999', '9223372036854775808', '0', '0000000000000000000'];

    it.each(LISTS.flatMap(({ list, send }) => OUT_OF_RANGE.map((cursor) => ({ list, cursor, send }))))(
      'the $list list answers the cursor $cursor with 400 naming cursor',
      async ({ send, cursor }) => {
        const res = await send(cursor);
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expectFieldError(res, 'cursor');
      },
    );

    it.each(LISTS)('the $list list takes the largest bigint as a cursor', async ({ send }) => {
      const res = await send('9223372036854775807').expect(200);
      expect(res.body.items).toEqual(expect.any(Array));
    });
  });

  describe('routes', () => {
    it.each<[string, () => Test]>([
      ['GET /v1/nope', () => t.http.get('/v1/nope')],
      ['GET /v2/accounts', () => t.http.get(`/v2/accounts/${p.gen}`)],
      [
        'POST /v1/accounts/:id/teleports',
        () => t.http.post(`/v1/accounts/${p.gen}/teleports`).send({ amount: '1.00' }),
      ],
    ])('answers %s with a 404 ROUTE_NOT_FOUND problem and changes nothing', async (_, send) => {
      const res = await refused(() => as(send()));
      expectProblem(res, 404, 'ROUTE_NOT_FOUND');
    });
  });

  describe('text PostgreSQL cannot store', () => {
    const CASES: { what: string; field: string; send: () => Test }[] = [
      { what: 'a NUL character in a memo', field: 'memo', send: () => deposit({ amount: '1.00', memo: 'a\u0000b' }) },
      { what: 'a NUL character in a portfolio name', field: 'name', send: () => open({ name: 'a\u0000b' }) },
      {
        what: 'a NUL character in a user name',
        field: 'name',
        send: () => t.http.post('/v1/users').set(bearer(t.adminKey)).send({ name: 'a\u0000b', role: 'viewer' }),
      },
      {
        what: 'a lone surrogate in a memo',
        field: 'memo',
        send: () => rawJson('{"amount": "1.00", "memo": "\\ud800"}'),
      },
    ];

    it('answers an unexpected failure with an opaque problem that reveals nothing internal', async () => {
      const res = await refused(CASES[0].send);

      expect([400, 500]).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: res.status, correlationId: res.headers['x-correlation-id'] });
      expect(JSON.stringify(res.body)).not.toMatch(INTERNALS);
    });

    it('takes an import file with a NUL character as bytes: the task judges its lines (once a 500 from storing it)', async () => {
      const res = await as(t.http.post(`/v1/portfolios/${p.id}/imports`))
        .set('content-type', 'text/csv')
        .send(`kind,accountId,amount\nPREMIUM,${p.rev},1.00\u0000\n`);

      expect(res.status).toBe(202);
    });

    it.each(CASES)(
      'refuses $what with 400 VALIDATION_FAILED naming $field and changes nothing',
      async ({ send, field }) => {
        const users = async () => (await t.db.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
        const usersBefore = await users();

        const res = await refused(send);

        expect(await users()).toBe(usersBefore);
        expectProblem(res, 400, 'VALIDATION_FAILED');
        expectFieldError(res, field);
      },
    );
  });
});
