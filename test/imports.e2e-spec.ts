import { createServer } from 'node:http';
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

describe('bulk import (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    // The notification flow delivers to a local sink, which only an allow-listed address may be.
    t = await startTestApp('imports', { env: { OUTBOUND_ALLOW: '127.0.0.1' } });
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());

  const submit = (portfolioId: string, type: string, body: string, key = manager.key) =>
    t.http.post(`/v1/portfolios/${portfolioId}/imports`).set(bearer(key)).set('content-type', type).send(body);
  const report = async (taskId: string) =>
    eventually(async () => {
      const res = await t.http.get(`/v1/tasks/${taskId}`).set(bearer(manager.key)).expect(200);
      return res.body.state === 'completed' ? res.body : undefined;
    }, 'the import to finish');
  const cash = async (id: string) =>
    (await t.http.get(`/v1/accounts/${id}`).set(bearer(manager.key)).expect(200)).body.cash;

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
    expect(res.body).toMatchObject({ lines: 9 });
    const task = await report(res.body.id);
    expect(task.result).toMatchObject({ lines: 9, accepted: 3, duplicates: 1, rejectedCount: 5 });
    expect(task.result.rejected.map((r: { line: number; code: string }) => [r.line, r.code])).toEqual([
      [3, 'VALIDATION_FAILED'],
      [4, 'VALIDATION_FAILED'],
      [5, 'ACCOUNT_NOT_FOUND'],
      [6, 'COM_WITHDRAWAL_FORBIDDEN'],
      [7, 'INSUFFICIENT_FUNDS'],
    ]);
    expect([await cash(p.gen), await cash(p.rev), await cash(p.com)]).toEqual(['450.00', '302.50', '350.00']);
    expect(await cash(other.gen)).toBe('100000.00');

    // The same file again applies nothing.
    const again = await report((await submit(p.id, 'text/csv', csv).expect(202)).body.id);
    expect(again.result).toMatchObject({ accepted: 0, duplicates: 4, rejectedCount: 5 });
    expect(await cash(p.gen)).toBe('450.00');
    expect(await ledgerViolations(t.db)).toEqual([]);
  });

  it('reads JSON lines, and reports a line that is not JSON', async () => {
    const p = await openPortfolio(t, manager.key, { name: 'Jsonl', initialCapital: '1000.00' });
    const jsonl = [
      JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '5.00' }),
      '{not json',
      JSON.stringify({ kind: 'FEE', accountId: p.gen, amount: '1.00', extra: true }),
      JSON.stringify({ kind: 'FEE', accountId: p.gen, amount: '2.00' }),
    ].join('\n');
    const task = await report((await submit(p.id, 'application/x-ndjson', jsonl).expect(202)).body.id);
    expect(task.result).toMatchObject({ lines: 4, accepted: 2, rejectedCount: 2 });
    expect(task.result.rejected.map((r: { line: number }) => r.line)).toEqual([2, 3]);
    expect(await cash(p.gen)).toBe('403.00');
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

  it('refuses what it cannot import, creating no task', async () => {
    const p = await openPortfolio(t, manager.key);
    const viewer = await createUser(t, 'viewer');
    const stranger = await createUser(t, 'manager', 'stranger');
    await grant(t, manager.key, p.id, viewer.id, 'viewer');
    const line = JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' });
    expect((await submit(p.id, 'text/plain', line).expect(400)).body.code).toBe('UNSUPPORTED_IMPORT');
    expect((await submit(p.id, 'application/x-ndjson', '\n\n')).body.code).toBe('IMPORT_SIZE');
    expect((await submit(p.id, 'application/x-ndjson', Array(100_001).fill('{}').join('\n'))).body.code).toBe(
      'IMPORT_SIZE',
    );
    expect((await submit(p.id, 'application/x-ndjson', line, viewer.key)).status).toBe(403);
    expect((await submit(p.id, 'application/x-ndjson', line, stranger.key)).status).toBe(404);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM imports WHERE portfolio_id = $1', [p.id]);
    expect(rows[0].n).toBe(0);
  });
});
