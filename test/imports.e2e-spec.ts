import { createServer, request as httpRequest, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  bearer,
  eventually,
  createUser,
  grant,
  ledgerViolations,
  openPortfolio,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import type { TaskContext } from '../src/modules/async-tasks/task-context';
import { ImportRunner } from '../src/modules/transactions/imports/import-runner.service';
import { LedgerRepository } from '../src/modules/transactions/ledger.repository';

const IMPORT_LIMIT_BYTES = 4 * 1024 * 1024;

describe('bulk import (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp('imports', {
      env: {
        // The notification flow delivers to a local sink, which only an allow-listed address may be.
        OUTBOUND_ALLOW: '127.0.0.1',
        IMPORT_LIMIT_BYTES: String(IMPORT_LIMIT_BYTES),
        // Housekeeping every second, keeping content for a day: the purge test backdates imports.
        IMPORT_RETENTION_DAYS: '1',
        IMPORT_HOUSEKEEPING_CRON: '* * * * * *',
      },
    });
    manager = await createUser(t, 'manager');
    // Raw HTTP clients (uploads that stop half-way) need the server on a port.
    const server: Server = t.app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const submit = (portfolioId: string, type: string, body: string, key = manager.key) =>
    t.http.post(`/v1/portfolios/${portfolioId}/imports`).set(bearer(key)).set('content-type', type).send(body);
  const task = async (taskId: string) => (await t.http.get(`/v1/tasks/${taskId}`).set(bearer(t.adminKey))).body;
  const finished = (taskId: string) =>
    eventually(async () => {
      const view = await task(taskId);
      return ['completed', 'failed'].includes(view.state) ? view : undefined;
    }, 'the import to finish');
  const report = async (taskId: string) => {
    const view = await finished(taskId);
    expect(view).toMatchObject({ state: 'completed' });
    return view;
  };
  const cash = async (id: string) =>
    (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body.cash;
  const count = async (sql: string, params: unknown[]) => (await t.db.query(sql, params)).rows[0].n as number;
  const movements = (portfolioId: string) =>
    count("SELECT count(*)::int AS n FROM transactions WHERE portfolio_id = $1 AND kind <> 'DEPOSIT'", [portfolioId]);
  const importRow = async (id: string) => (await t.db.query('SELECT * FROM imports WHERE id = $1', [id])).rows[0];
  const premiums = (accountId: string, n: number, amount = '0.01') =>
    Array.from({ length: n }, () => JSON.stringify({ kind: 'PREMIUM', accountId, amount })).join('\n');

  /**
   * Sends the headers and the first 64 KiB of a body declared `declaredBytes` long, and waits for
   * the answer without sending the rest: a server that reads the body first never answers.
   */
  const answerBeforeBody = (path: string, headers: OutgoingHttpHeaders, declaredBytes: number) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-length': declaredBytes },
      });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new Error('no answer while the body was still being sent'));
      }, 5_000);
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', () => undefined); // the client gives up on the body it never sent
      req.write(Buffer.alloc(64 * 1024, 0x7b));
    });

  /** Streams `body` in chunked encoding (no content-length), 64 KiB at a time; resolves with the status. */
  const chunkedUpload = (path: string, headers: OutgoingHttpHeaders, body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      let offset = 0;
      const writeMore = () => {
        while (offset < body.length) {
          const piece = body.subarray(offset, offset + 64 * 1024);
          offset += piece.length;
          if (!req.write(piece)) return void req.once('drain', writeMore);
        }
        req.end();
      };
      writeMore();
    });

  it('applies the good lines, reports the bad ones with reasons, and skips duplicates', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Import', initialCapital: '1000.00' });
    const other = await openPortfolio(t, manager.key);
    const csv = [
      'kind,accountId,toAccountId,amount,memo,key',
      `DEPOSIT,${p.gen},,100.00,first,dep-1`, // 1 applied
      `PREMIUM,${p.rev},,2.50,,`, // 2 applied
      `PREMIUM,${p.rev},,1.001,,`, // 3 bad amount
      `BONUS,${p.rev},,1.00,,`, // 4 unknown kind
      `DEPOSIT,${other.gen},,1.00,,`, // 5 another portfolio's account
      `WITHDRAWAL,${p.com},,1.00,,`, // 6 never from COM
      `WITHDRAWAL,${p.rev},,9999.00,,`, // 7 refused by the ledger: not enough available cash
      `DEPOSIT,${p.gen},,100.00,again,dep-1`, // 8 same key as line 1: a duplicate
      `TRANSFER,${p.gen},${p.com},50.00,,`, // 9 applied
    ].join('\n');
    const res = await submit(p.id, 'text/csv', csv).expect(202);
    const view = await report(res.body.id);
    expect(view.result).toMatchObject({ lines: 9, accepted: 3, duplicates: 1, rejectedCount: 5 });
    expect(view.result.rejected.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
      [3, 'VALIDATION_FAILED'],
      [4, 'VALIDATION_FAILED'],
      [5, 'ACCOUNT_NOT_FOUND'],
      [6, 'COM_WITHDRAWAL_FORBIDDEN'],
      [7, 'INSUFFICIENT_FUNDS'],
    ]);
    expect([await cash(p.gen), await cash(p.rev), await cash(p.com)]).toEqual(['450.00', '302.50', '350.00']);
    expect(await cash(other.gen)).toBe('100000.00');
    // The report stays with the import, and the task is its result.
    expect((await importRow(res.body.importId)).report).toEqual(view.result);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('deduplicates lines without a key within their import only, and keyed lines once per portfolio', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Weekly', initialCapital: '1000.00' });
    const file = [
      JSON.stringify({ kind: 'PREMIUM', accountId: p.rev, amount: '10.00' }),
      JSON.stringify({ kind: 'PREMIUM', accountId: p.rev, amount: '1.00', key: 'bank-ref-1' }),
    ].join('\n');
    const first = await report((await submit(p.id, 'application/x-ndjson', file).expect(202)).body.id);
    expect(first.result).toMatchObject({ lines: 2, accepted: 2, duplicates: 0 });
    // Next week's file holds the same premium again: it is new money; the keyed line is not.
    const second = await report((await submit(p.id, 'application/x-ndjson', file).expect(202)).body.id);
    expect(second.result).toMatchObject({ lines: 2, accepted: 1, duplicates: 1 });
    expect(await cash(p.rev)).toBe('321.00');
    expect(await movements(p.id)).toBe(3);
  });

  it('applies each line once when its task runs again after stopping half-way', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Rerun', initialCapital: '1000.00' });
    const queue = t.app.get(QueueRegistry).get('imports');
    await queue.pause();
    let submitted;
    try {
      submitted = (await submit(p.id, 'application/x-ndjson', premiums(p.rev, 1_200)).expect(202)).body;
      // A first run stops after its first batch, as a worker that dies would; a second run ends it.
      let checkpoints = 0;
      const dying = {
        checkpoint: () => (checkpoints++ === 1 ? Promise.reject(new Error('worker died')) : Promise.resolve()),
        progress: () => Promise.resolve(),
      } as unknown as TaskContext;
      const imports = t.app.get(ImportRunner);
      await expect(imports.run(submitted.importId, dying)).rejects.toThrow('worker died');
      expect(await movements(p.id)).toBe(500);
      const healthy = { checkpoint: () => Promise.resolve(), progress: () => Promise.resolve() };
      const result = await imports.run(submitted.importId, healthy as unknown as TaskContext);
      expect(result).toMatchObject({ lines: 1_200, accepted: 1_200, duplicates: 0, rejectedCount: 0 });
    } finally {
      await queue.resume();
    }
    // The queued task itself now finds the import done, and posts nothing more.
    expect((await report(submitted.id)).result).toMatchObject({ accepted: 1_200 });
    expect(await movements(p.id)).toBe(1_200);
    expect(await cash(p.rev)).toBe('312.00');
  });

  it('stops a cancelled import between batches, keeping the report of what it applied', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Cancelled', initialCapital: '1000.00' });
    const lines = 40_000;
    const { id, importId } = (await submit(p.id, 'application/x-ndjson', premiums(p.rev, lines)).expect(202)).body;
    await eventually(async () => ((await task(id)).progress > 0 ? true : undefined), 'the import to apply a batch');
    expect((await t.http.delete(`/v1/tasks/${id}`).set(bearer(manager.key)).expect(200)).body.state).toBe('cancelling');
    expect(await finished(id)).toMatchObject({ state: 'failed', error: 'cancelled on request' });
    const row = await eventually(async () => {
      const r = await importRow(importId);
      return r.state === 'failed' ? r : undefined;
    }, 'the import to be marked failed');
    expect(row).toMatchObject({ error_code: 'CANCELLED' });
    const applied = await movements(p.id);
    expect(applied).toBeLessThan(lines);
    expect(row.report).toMatchObject({ accepted: applied });
    expect(row.lines_done).toBe(applied);
  });

  it('reads JSON lines, and reports a line that is not JSON', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Jsonl', initialCapital: '1000.00' });
    const jsonl = [
      JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '5.00' }),
      '{not json',
      JSON.stringify({ kind: 'FEE', accountId: p.gen, amount: '1.00', extra: true }),
      JSON.stringify({ kind: 'FEE', accountId: p.gen, amount: '2.00' }),
    ].join('\n');
    const view = await report((await submit(p.id, 'application/x-ndjson', jsonl).expect(202)).body.id);
    expect(view.result).toMatchObject({ lines: 4, accepted: 2, rejectedCount: 2 });
    expect(view.result.rejected.map((r: { line: number }) => r.line)).toEqual([2, 3]);
    expect(await cash(p.gen)).toBe('403.00');
  });

  it('reads CSV with quoted fields across lines, a CRLF file, and blank lines', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Csv', initialCapital: '1000.00' });
    const csv = [
      'kind,accountId,amount,memo',
      `PREMIUM,${p.gen},1.00,"two\r\nlines, and a comma"`,
      '',
      `PREMIUM,${p.gen},2.00,"say ""hi"""`,
      `PREMIUM,${p.gen},"3.00`, // an unclosed quote: the rest of the file is one bad line
      `PREMIUM,${p.gen},4.00,`,
    ].join('\r\n');
    const view = await report((await submit(p.id, 'text/csv', csv).expect(202)).body.id);
    expect(view.result).toMatchObject({ lines: 3, accepted: 2, rejectedCount: 1 });
    expect(view.result.rejected).toEqual([{ line: 3, code: 'VALIDATION_FAILED', reason: expect.any(String) }]);
    const memos = await t.db.query(
      "SELECT memo FROM transactions WHERE portfolio_id = $1 AND kind = 'PREMIUM' ORDER BY seq",
      [p.id],
    );
    expect(memos.rows.map((r) => r.memo)).toEqual(['two\r\nlines, and a comma', 'say "hi"']);
  });

  it('checks lines against the ledger before posting: a file the ledger would refuse line by line costs one pass', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Overdrawn', initialCapital: '1000.00' });
    const ledger = t.app.get(LedgerRepository);
    const post = jest.spyOn(ledger, 'post');
    try {
      // REV holds 300.00 (285.00 available above its 5 % buffer): every line overdraws it.
      const lines = 600;
      const file = Array.from({ length: lines }, () =>
        JSON.stringify({ kind: 'WITHDRAWAL', accountId: p.rev, amount: '1000.00' }),
      ).join('\n');
      const view = await report((await submit(p.id, 'application/x-ndjson', file).expect(202)).body.id);
      expect(view.result).toMatchObject({ lines, accepted: 0, rejectedCount: lines });
      expect(new Set(view.result.rejected.map((r: { code: string }) => r.code))).toEqual(
        new Set(['INSUFFICIENT_FUNDS']),
      );
      // Retrying a chunk after each refusal offered the ledger ~n²/2 = 180,000 lines; screening offers none.
      const offered = post.mock.calls.reduce((sum, [request]) => sum + request.transactions.length, 0);
      expect(offered).toBeLessThanOrEqual(lines);
    } finally {
      post.mockRestore();
    }
    expect(await cash(p.rev)).toBe('300.00');
  });

  it('decides each line as the ledger would, in file order', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Order', initialCapital: '1000.00' });
    const line = (kind: string, accountId: string, amount: string, extra: object = {}) =>
      JSON.stringify({ kind, accountId, amount, ...extra });
    await t.http.patch(`/v1/accounts/${p.com}`).set(bearer(manager.key)).send({ status: 'SUSPENDED' }).expect(200);
    const file = [
      line('WITHDRAWAL', p.rev, '200.00'), // 1 applied: REV 300 → 100 (buffer 5.00, 95.00 available)
      line('WITHDRAWAL', p.rev, '96.00'), // 2 refused: only 95.00 available
      line('WITHDRAWAL', p.rev, '90.00'), // 3 applied: REV 10.00 (buffer 0.50)
      line('TRANSFER', p.gen, '50.00', { toAccountId: p.rev }), // 4 applied: REV 60.00
      line('WITHDRAWAL', p.rev, '57.00'), // 5 applied: 60.00 − buffer 3.00 = 57.00 available
      line('FEE', p.rev, '3.01'), // 6 refused: REV holds 3.00
      line('DEPOSIT', p.com, '5.00'), // 7 refused: COM is suspended
      line('PREMIUM', p.com, '5.00'), // 8 applied: market movements reach a suspended account
    ].join('\n');
    const view = await report((await submit(p.id, 'application/x-ndjson', file).expect(202)).body.id);
    expect(view.result.rejected.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
      [2, 'INSUFFICIENT_FUNDS'],
      [6, 'INSUFFICIENT_FUNDS'],
      [7, 'ACCOUNT_NOT_ACTIVE'],
    ]);
    expect([await cash(p.gen), await cash(p.rev), await cash(p.com)]).toEqual(['350.00', '3.00', '305.00']);
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('notifies a webhook with the report once the import has finished (a flow)', async () => {
    const received: { event: string; data: { importId: string; results: { accepted: number }[] } }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const p = await openPortfolio(t, manager.key);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/imports`;
      const line = JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' });
      const res = await t.http
        .post(`/v1/portfolios/${p.id}/imports`)
        .query({ notifyUrl: url })
        .set(bearer(manager.key))
        .set('content-type', 'application/x-ndjson')
        .send(`${line}\n${line}`)
        .expect(202);
      await report(res.body.id);
      const notified = await eventually(async () => {
        const view = await t.http.get(`/v1/tasks/${res.body.notifyTaskId}`).set(bearer(manager.key)).expect(200);
        return view.body.state === 'completed' ? received : undefined;
      }, 'the notification');
      expect(notified).toHaveLength(1);
      expect(notified[0]).toMatchObject({ event: 'import.finished', data: { importId: res.body.importId } });
      expect(notified[0].data.results[0]).toMatchObject({ accepted: 2, rejectedCount: 0 });
      await t.http
        .post(`/v1/portfolios/${p.id}/imports`)
        .query({ notifyUrl: 'not a url' })
        .set(bearer(manager.key))
        .set('content-type', 'application/x-ndjson')
        .send(line)
        .expect(400);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses what it cannot import, creating no import', async () => {
    const p = await openPortfolio(t, manager.key);
    const viewer = await createUser(t, 'viewer');
    const stranger = await createUser(t, 'manager', 'stranger');
    await grant(t, manager.key, p.id, viewer.id, 'viewer');
    const line = JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' });
    expect((await submit(p.id, 'text/plain', line).expect(400)).body.code).toBe('UNSUPPORTED_IMPORT');
    expect((await submit(p.id, 'application/x-ndjson', '').expect(400)).body.code).toBe('IMPORT_SIZE');
    expect((await submit(p.id, 'application/x-ndjson', line, viewer.key)).status).toBe(403);
    expect((await submit(p.id, 'application/x-ndjson', line, stranger.key)).status).toBe(404);
    expect(await count('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id])).toBe(0);
  });

  describe('the body', () => {
    it('keeps the 1 MB limit on every other route, for these content types too', async () => {
      const big = 'x'.repeat(2 * 1024 * 1024);
      for (const type of ['text/csv', 'application/x-ndjson']) {
        const res = await t.http.post('/v1/transfers').set(bearer(manager.key)).set('content-type', type).send(big);
        expect(res.status).toBe(413);
        expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
      }
    });

    it('answers a large import without a valid key, or without access, before reading its body', async () => {
      const p = await openPortfolio(t, manager.key);
      const viewer = await createUser(t, 'viewer');
      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      const path = `/v1/portfolios/${p.id}/imports`;
      const type = { 'content-type': 'application/x-ndjson' };
      const declared = 3 * 1024 * 1024; // within the import limit: a server reading it first waits for all of it
      expect(await answerBeforeBody(path, type, declared)).toBe(401);
      expect(await answerBeforeBody(path, { ...type, ...bearer(`au_${'x'.repeat(43)}`) }, declared)).toBe(401);
      expect(await answerBeforeBody(path, { ...type, ...bearer(viewer.key) }, declared)).toBe(403);
      // Past the import limit, the declared length is enough to refuse it.
      expect(await answerBeforeBody(path, { ...type, ...bearer(manager.key) }, IMPORT_LIMIT_BYTES + 1)).toBe(413);
      expect(await count('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id])).toBe(0);
    });

    it('streams a large import into storage with a valid key, answering with its size', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Large', initialCapital: '1000.00' });
      const memo = 'm'.repeat(200);
      const lines = Array.from({ length: 12_000 }, (_, i) =>
        JSON.stringify({ kind: 'PREMIUM', accountId: p.rev, amount: '0.01', memo: `${i} ${memo}` }),
      );
      const file = lines.join('\n');
      const bytes = Buffer.byteLength(file);
      expect(bytes).toBeGreaterThan(3 * 1024 * 1024); // three times the limit of other routes
      const res = await submit(p.id, 'application/x-ndjson', file).expect(202);
      expect(res.body).toEqual({ id: `imports:${res.body.importId}`, importId: expect.any(String), bytes });
      const stored = await t.db.query(
        'SELECT count(*)::int AS pieces, sum(octet_length(data))::int AS bytes FROM import_chunks WHERE import_id = $1',
        [res.body.importId],
      );
      expect(stored.rows[0]).toEqual({ pieces: Math.ceil(bytes / (1024 * 1024)), bytes });
      expect((await report(res.body.id)).result).toMatchObject({ lines: 12_000, accepted: 12_000 });
      expect(await cash(p.rev)).toBe('420.00');
    });

    it('refuses an import over IMPORT_LIMIT_BYTES with 413, storing nothing, even without a declared length', async () => {
      const p = await openPortfolio(t, manager.key);
      const path = `/v1/portfolios/${p.id}/imports`;
      const file = Buffer.from(premiums(p.gen, 70_000));
      expect(file.length).toBeGreaterThan(IMPORT_LIMIT_BYTES);
      const status = await chunkedUpload(
        path,
        { ...bearer(manager.key), 'content-type': 'application/x-ndjson', 'transfer-encoding': 'chunked' },
        file,
      );
      expect(status).toBe(413);
      const res = await submit(p.id, 'application/x-ndjson', file.toString());
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('IMPORT_TOO_LARGE');
      expect(await count('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id])).toBe(0);
      expect(
        await count(
          'SELECT count(*)::int AS n FROM import_chunks c WHERE NOT EXISTS (SELECT 1 FROM imports i WHERE i.id = c.import_id)',
          [],
        ),
      ).toBe(0);
    });

    it('leaves counting lines to the task: a file over 100,000 lines, or with none, fails it and posts nothing', async () => {
      const p = await openPortfolio(t, manager.key);
      for (const file of [Array(100_001).fill('{}').join('\n'), '\n\n']) {
        const res = await submit(p.id, 'application/x-ndjson', file).expect(202);
        const view = await finished(res.body.id);
        expect(view.state).toBe('failed');
        expect(view.error).toMatch(/^IMPORT_SIZE: /);
        expect(await importRow(res.body.importId)).toMatchObject({ state: 'failed', error_code: 'IMPORT_SIZE' });
      }
      expect(await movements(p.id)).toBe(0);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the same import for the same key and file, and refuses the key with another file', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Idem', initialCapital: '1000.00' });
      const file = premiums(p.rev, 3, '1.00');
      const send = (body: string, key: string, portfolioId = p.id) =>
        submit(portfolioId, 'application/x-ndjson', body).set('Idempotency-Key', key);
      const first = await send(file, 'import-week-48').expect(202);
      const again = await send(file, 'import-week-48').expect(202);
      expect(again.body).toEqual(first.body);
      // Racing retries with one key get one import too.
      const raced = await Promise.all([send(file, 'import-week-49'), send(file, 'import-week-49')]);
      expect(raced.map((r) => r.status)).toEqual([202, 202]);
      expect(raced[1].body).toEqual(raced[0].body);
      for (const id of [first.body.id, raced[0].body.id]) await report(id);
      expect(await count('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id])).toBe(2);
      expect(await movements(p.id)).toBe(6);

      const reused = await send(premiums(p.rev, 4, '1.00'), 'import-week-48').expect(409);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      const other = await openPortfolio(t, manager.key);
      expect((await send(file, 'import-week-48', other.id).expect(409)).body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect((await send(file, 'bad key with spaces').expect(400)).body.code).toBe('INVALID_IDEMPOTENCY_KEY');
      expect(await count('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id])).toBe(2);
    });
    it('runs a refused import when it is resubmitted with its key, though its task reached the queue late and failed', async () => {
      // The first submission's enqueue timed out (503, the import refused), but its job landed in
      // Redis afterwards, ran, found the import refused and failed. The client's retry with the
      // same key must run the import, not point at that failed task.
      const p = await openPortfolio(t, manager.key, { name: 'Late task', initialCapital: '1000.00' });
      const file = premiums(p.rev, 3, '1.00');
      const send = () => submit(p.id, 'application/x-ndjson', file).set('Idempotency-Key', 'late-task');
      const queue = t.app.get(QueueRegistry).get('imports');
      await queue.pause();
      let first;
      try {
        first = await send().expect(202);
        await t.db.query("UPDATE imports SET state = 'refused', finished_at = now() WHERE id = $1", [
          first.body.importId,
        ]);
      } finally {
        await queue.resume();
      }
      expect((await finished(first.body.id)).error).toMatch(/^IMPORT_NOT_RUNNABLE: /);

      const retried = await send().expect(202);

      expect(retried.body).toEqual(first.body);
      expect((await report(retried.body.id)).result).toMatchObject({ accepted: 3, duplicates: 0 });
      expect(await movements(p.id)).toBe(3);
    });
  });

  describe('the submitter losing access before the task runs', () => {
    const queued = async (p: { id: string; rev: string }, key: string, revoke: () => Promise<unknown>) => {
      const queue = t.app.get(QueueRegistry).get('imports');
      await queue.pause();
      let res;
      try {
        res = await submit(p.id, 'application/x-ndjson', premiums(p.rev, 5), key).expect(202);
        await revoke();
      } finally {
        await queue.resume();
      }
      return res.body;
    };

    it('fails the import without posting when the grant was removed', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Revoked', initialCapital: '1000.00' });
      const operator = await createUser(t, 'operator');
      await grant(t, manager.key, p.id, operator.id, 'operator');
      const submitted = await queued(p, operator.key, () =>
        t.http.delete(`/v1/portfolios/${p.id}/grants/${operator.id}`).set(bearer(manager.key)).expect(204),
      );
      const view = await finished(submitted.id);
      expect(view.state).toBe('failed');
      expect(view.error).toMatch(/^IMPORT_NOT_AUTHORIZED: /);
      expect(await importRow(submitted.importId)).toMatchObject({
        state: 'failed',
        error_code: 'IMPORT_NOT_AUTHORIZED',
      });
      expect(await movements(p.id)).toBe(0);
    });

    it('fails the import without posting when the key that submitted it was revoked', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Key revoked', initialCapital: '1000.00' });
      const operator = await createUser(t, 'operator');
      await grant(t, manager.key, p.id, operator.id, 'operator');
      const keys = await t.http.get(`/v1/users/${operator.id}/api-keys`).set(bearer(t.adminKey)).expect(200);
      const submitted = await queued(p, operator.key, () =>
        t.http.delete(`/v1/api-keys/${keys.body[0].id}`).set(bearer(t.adminKey)).expect(204),
      );
      const view = await finished(submitted.id);
      expect(view).toMatchObject({ state: 'failed' });
      expect(view.error).toMatch(/^IMPORT_NOT_AUTHORIZED: /);
      expect(await movements(p.id)).toBe(0);
    });
  });

  describe('housekeeping', () => {
    it('is declared as one job scheduler', async () => {
      const schedulers = await t.app.get(QueueRegistry).get('imports').getJobSchedulers();
      expect(schedulers.map((s) => s.key)).toContain('imports-housekeeping');
    });

    it('purges the content of imports finished longer ago than IMPORT_RETENTION_DAYS, keeping rows, reports and keys', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'Purge', initialCapital: '1000.00' });
      const file = (key: string) =>
        JSON.stringify({ kind: 'PREMIUM', accountId: p.rev, amount: '1.00', key }) + '\n' + premiums(p.rev, 2);
      const old = await submit(p.id, 'application/x-ndjson', file('old-1')).expect(202);
      const recent = await submit(p.id, 'application/x-ndjson', file('recent-1')).expect(202);
      for (const res of [old, recent]) await report(res.body.id);
      await t.db.query("UPDATE imports SET finished_at = now() - interval '2 days' WHERE id = $1", [old.body.importId]);
      const chunks = (id: string) => count('SELECT count(*)::int AS n FROM import_chunks WHERE import_id = $1', [id]);
      await eventually(async () => ((await chunks(old.body.importId)) === 0 ? true : undefined), 'the purge');
      const purged = await importRow(old.body.importId);
      expect(purged).toMatchObject({ state: 'finished', report: expect.objectContaining({ accepted: 3 }) });
      expect(purged.content_purged_at).toBeInstanceOf(Date);
      expect(await chunks(recent.body.importId)).toBe(1);
      expect((await importRow(recent.body.importId)).content_purged_at).toBeNull();
      const keys = await t.db.query('SELECT key FROM import_line_keys WHERE portfolio_id = $1 ORDER BY key', [p.id]);
      expect(keys.rows.map((r) => r.key)).toEqual(['key:old-1', 'key:recent-1']);
    });

    it('marks an import whose task never reached the queue as refused', async () => {
      const p = await openPortfolio(t, manager.key);
      const id = '0190f5e0-0000-7000-8000-000000000001';
      // As left by an API instance killed between storing the file and queueing its task.
      await t.db.query(
        `INSERT INTO imports (id, portfolio_id, owner_id, format, byte_size, state, created_at, updated_at)
         VALUES ($1, $2, $3, 'jsonl', 0, 'pending', now() - interval '1 hour', now() - interval '1 hour')`,
        [id, p.id, manager.id],
      );
      await eventually(async () => ((await importRow(id)).state === 'refused' ? true : undefined), 'the sweep');
      expect(await importRow(id)).toMatchObject({ error_code: 'QUEUE_UNAVAILABLE' });
    });
  });
});
