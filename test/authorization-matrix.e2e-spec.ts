import { randomBytes } from 'node:crypto';
import { UnrecoverableError, Worker } from 'bullmq';
import type { Response } from 'supertest';
import {
  bearer,
  Cast,
  createCast,
  createUser,
  eventually,
  forkUnit,
  grant,
  openGranted,
  OpenedPortfolio,
  openPortfolio,
  premiumWithoutEvent,
  problemDefects,
  routeTable,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { TasksProducer } from '../src/modules/async-tasks/tasks.producer';
import { ForkMergeService } from '../src/modules/fork-merge/fork-merge.service';
import { Caller, CALLERS, MATRIX } from './authorization-matrix';

const WEBHOOK_SECRET = 'authorization-matrix-webhook-secret';
const FORK_THRESHOLD = 100_000n; // cents, as opened below
const MERGE_THRESHOLD = 500_000n;

/** How one route is called: the concrete path, and a valid body where it takes one. */
interface Call {
  path: string;
  body?: string | object;
  contentType?: string;
}

/**
 * Each route with a valid request and real ids, built anew for every caller where a request uses
 * something up (a reversal, a fork, a proposal, a grant, a key, a task): every caller then meets
 * the same state, and only who they are decides the answer.
 */
describe('authorization matrix (e2e)', () => {
  let t: TestApp;
  let cast: Cast;
  /** The owner's portfolio most requests name. */
  let p: OpenedPortfolio;
  /** The owner's portfolio the growth requests fork and merge in, so nothing else moves its GEN. */
  let g: OpenedPortfolio;
  let spare: TestUser;
  let unitId: string;
  let transactionId: string;
  let importTaskId: string;
  let projectionTaskId: string;
  /** The only consumer of the diagnostics queue here (workers are off): it fails every job. */
  let failer: Worker;
  const unknownKey = `au_${randomBytes(32).toString('base64url')}`;

  beforeAll(async () => {
    t = await startTestApp('authz', {
      env: {
        // Nothing runs in the background: no check or scan forks what a request is about to.
        TASKS_RUN_WORKERS: 'false',
        GROWTH_SCHEDULES_ENABLED: 'false',
        PROJECTION_SYNC_BUDGET_MS: '0', // every projection is a task, which only its owner reads
        ALERTS_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    t.db.on('error', () => undefined);
    cast = await createCast(t);
    spare = await createUser(t, 'viewer', 'spare');
    const thresholds = { forkThreshold: '1000.00', mergeThreshold: '5000.00' };
    p = await openGranted(t, cast, { name: 'Main', initialCapital: '250000.00', ...thresholds });
    g = await openGranted(t, cast, { name: 'Growth', initialCapital: '250000.00', ...thresholds });
    await openPortfolio(t, cast.stranger.key, { name: 'Elsewhere', initialCapital: '1000.00' });
    unitId = (await forkUnit(t, t.adminKey, g)).id;
    transactionId = (await as(cast.owner).post(`/v1/accounts/${p.rev}/deposits`).send({ amount: '5.00' })).body.id;
    await as(cast.owner).post(`/v1/accounts/${p.rev}/reinvestments`).send({ amount: '1000.00' }).expect(201);
    importTaskId = await importTask();
    projectionTaskId = (await as(cast.owner).post('/v1/projections').send({ capital: '1000.00', years: 1 }).expect(202))
      .body.id;
    const registry = t.app.get(QueueRegistry);
    failer = new Worker(
      'diagnostics',
      () => Promise.reject(new UnrecoverableError('failed on purpose by the authorization matrix')),
      { connection: registry.connection, prefix: registry.prefix },
    );
  });
  afterAll(async () => {
    await failer?.close();
    await t?.close();
  });

  const as = (user: TestUser) => ({
    post: (path: string) => t.http.post(path).set(bearer(user.key)),
  });

  async function importTask(): Promise<string> {
    const csv = `kind,accountId,amount\nPREMIUM,${p.rev},1.00\n`;
    const res = await as(cast.owner).post(`/v1/portfolios/${p.id}/imports`).set('content-type', 'text/csv').send(csv);
    return res.body.id;
  }

  async function deadLetter(): Promise<string> {
    const registry = t.app.get(QueueRegistry);
    // The dashboard's rows pause queues; a paused queue would never reach the failing worker.
    await registry.get('diagnostics').resume();
    const { id } = await t.app.get(TasksProducer).add('diagnostics', 'fail', { mode: 'noop' });
    const [queue, jobId] = id.split(':');
    await eventually(
      async () => ((await registry.get(queue as 'diagnostics').getJobState(jobId)) === 'failed' ? true : undefined),
      `task ${id} to fail`,
    );
    return id;
  }

  /** A unit of g worth its merge threshold (value added to its COM, which never forks). */
  async function eligibleUnit(): Promise<string> {
    const unit = await forkUnit(t, t.adminKey, g);
    await premiumWithoutEvent(t.db, g.id, unit.com, MERGE_THRESHOLD - FORK_THRESHOLD);
    return unit.id;
  }

  async function proposal(): Promise<string> {
    const outcome = await t.app.get(ForkMergeService).checkMerge(await eligibleUnit(), 'scan');
    if (!('proposalId' in outcome)) throw new Error(`no proposal: ${JSON.stringify(outcome)}`);
    return outcome.proposalId;
  }

  /** A delayed job of the notifications queue for the dashboard's job routes (no worker runs it). */
  async function dashboardJob(): Promise<string> {
    const { id } = await t.app
      .get(TasksProducer)
      .add(
        'notifications',
        'matrix',
        { channel: 'webhook', url: 'http://127.0.0.1:9/', event: 'matrix', data: {} },
        { delayMs: 3_600_000 },
      );
    return id.split(':')[1];
  }

  const alertPayload = () => ({
    version: '4',
    status: 'firing',
    receiver: 'alluse',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'MatrixProbe', severity: 'page' },
        annotations: { summary: 'matrix' },
        startsAt: '2026-01-05T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: 'f0matrix',
      },
    ],
  });

  const CALLS: Record<string, () => Call | Promise<Call>> = {
    'GET /v1/portfolios': () => ({ path: '/v1/portfolios' }),
    'POST /v1/portfolios': () => ({ path: '/v1/portfolios', body: { name: 'Opened', initialCapital: '1000.00' } }),
    'GET /v1/portfolios/:id': () => ({ path: `/v1/portfolios/${p.id}` }),
    'GET /v1/portfolios/:id/accounts': () => ({ path: `/v1/portfolios/${p.id}/accounts` }),
    'GET /v1/portfolios/:id/analytics': () => ({ path: `/v1/portfolios/${p.id}/analytics` }),
    'GET /v1/portfolios/:id/units': () => ({ path: `/v1/portfolios/${g.id}/units` }),
    'GET /v1/portfolios/:id/tree': () => ({ path: `/v1/portfolios/${g.id}/tree` }),
    'GET /v1/portfolios/:id/merge-proposals': () => ({ path: `/v1/portfolios/${g.id}/merge-proposals` }),
    'POST /v1/portfolios/:id/projection': () => ({ path: `/v1/portfolios/${p.id}/projection`, body: { years: 1 } }),
    'GET /v1/portfolios/:id/grants': () => ({ path: `/v1/portfolios/${p.id}/grants` }),
    'POST /v1/portfolios/:id/grants': () => ({
      path: `/v1/portfolios/${p.id}/grants`,
      body: { userId: spare.id, role: 'viewer' },
    }),
    'DELETE /v1/portfolios/:id/grants/:userId': async () => {
      await grant(t, cast.owner.key, p.id, spare.id, 'viewer');
      return { path: `/v1/portfolios/${p.id}/grants/${spare.id}` };
    },
    'POST /v1/portfolios/:id/imports': () => ({
      path: `/v1/portfolios/${p.id}/imports`,
      contentType: 'text/csv',
      body: `kind,accountId,amount\nPREMIUM,${p.rev},1.00\n`,
    }),

    'GET /v1/accounts/:id': () => ({ path: `/v1/accounts/${p.gen}` }),
    'PATCH /v1/accounts/:id': () => ({ path: `/v1/accounts/${p.rev}`, body: { weeklyTargetPct: 1.2 } }),
    'GET /v1/accounts/:id/transactions': () => ({ path: `/v1/accounts/${p.rev}/transactions` }),
    'GET /v1/accounts/:id/balance': () => ({ path: `/v1/accounts/${p.rev}/balance` }),
    'GET /v1/accounts/:id/analytics': () => ({ path: `/v1/accounts/${p.gen}/analytics` }),
    'POST /v1/accounts/:id/deposits': () => ({ path: `/v1/accounts/${p.rev}/deposits`, body: { amount: '1.00' } }),
    'POST /v1/accounts/:id/withdrawals': () => ({
      path: `/v1/accounts/${p.rev}/withdrawals`,
      body: { amount: '1.00' },
    }),
    'POST /v1/accounts/:id/premiums': () => ({ path: `/v1/accounts/${p.rev}/premiums`, body: { amount: '1.00' } }),
    'POST /v1/accounts/:id/losses': () => ({ path: `/v1/accounts/${p.rev}/losses`, body: { amount: '1.00' } }),
    'POST /v1/accounts/:id/fees': () => ({ path: `/v1/accounts/${p.rev}/fees`, body: { amount: '1.00' } }),
    'POST /v1/transfers': () => ({
      path: '/v1/transfers',
      body: { fromAccountId: p.rev, toAccountId: p.com, amount: '1.00' },
    }),
    'POST /v1/transactions/batch': () => ({
      path: '/v1/transactions/batch',
      body: { items: [{ kind: 'PREMIUM', accountId: p.rev, amount: '1.00' }] },
    }),
    'GET /v1/transactions/:id': () => ({ path: `/v1/transactions/${transactionId}` }),
    'POST /v1/transactions/:id/reversal': async () => {
      const deposit = await as(cast.admin).post(`/v1/accounts/${p.rev}/deposits`).send({ amount: '2.00' }).expect(201);
      return { path: `/v1/transactions/${deposit.body.id}/reversal`, body: {} };
    },

    'POST /v1/accounts/:id/fork': async () => {
      await premiumWithoutEvent(t.db, g.id, g.gen, FORK_THRESHOLD);
      return { path: `/v1/accounts/${g.gen}/fork` };
    },
    'GET /v1/units/:id': () => ({ path: `/v1/units/${unitId}` }),
    'POST /v1/units/:id/merge': async () => ({ path: `/v1/units/${await eligibleUnit()}/merge` }),
    'POST /v1/merge-proposals/:id/confirm': async () => ({ path: `/v1/merge-proposals/${await proposal()}/confirm` }),
    'POST /v1/merge-proposals/:id/reject': async () => ({
      path: `/v1/merge-proposals/${await proposal()}/reject`,
      body: { note: 'not now' },
    }),
    'POST /v1/accounts/:id/reinvestments': () => ({
      path: `/v1/accounts/${p.rev}/reinvestments`,
      body: { amount: '100.00' },
    }),
    'POST /v1/accounts/:id/positions/close': () => ({
      path: `/v1/accounts/${p.rev}/positions/close`,
      body: { contracts: '1.00' },
    }),
    'POST /v1/admin/growth/scan': () => ({ path: '/v1/admin/growth/scan' }),
    'POST /v1/admin/reinvestments/run': () => ({ path: '/v1/admin/reinvestments/run', body: {} }),

    'POST /v1/projections': () => ({ path: '/v1/projections', body: { capital: '1000.00', years: 1 } }),
    'GET /v1/projections/tasks/:taskId': () => ({ path: `/v1/projections/tasks/${projectionTaskId}` }),

    'GET /v1/tasks/:id': () => ({ path: `/v1/tasks/${importTaskId}` }),
    'DELETE /v1/tasks/:id': async () => ({ path: `/v1/tasks/${await importTask()}` }),
    'GET /v1/dead-letters': () => ({ path: '/v1/dead-letters' }),
    'POST /v1/dead-letters/:id/retry': async () => ({ path: `/v1/dead-letters/${await deadLetter()}/retry` }),
    'DELETE /v1/dead-letters/:id': async () => ({ path: `/v1/dead-letters/${await deadLetter()}` }),
    'POST /v1/admin/tasks/diagnostics': () => ({ path: '/v1/admin/tasks/diagnostics', body: { mode: 'noop' } }),

    'GET /v1/users/me': () => ({ path: '/v1/users/me' }),
    'POST /v1/users': () => ({ path: '/v1/users', body: { name: 'Matrix user', role: 'viewer' } }),
    'GET /v1/users': () => ({ path: '/v1/users' }),
    'POST /v1/users/:id/api-keys': () => ({ path: `/v1/users/${spare.id}/api-keys` }),
    'GET /v1/users/:id/api-keys': () => ({ path: `/v1/users/${spare.id}/api-keys` }),
    'DELETE /v1/api-keys/:id': async () => {
      const key = await as(cast.admin).post(`/v1/users/${spare.id}/api-keys`).expect(201);
      return { path: `/v1/api-keys/${key.body.id}` };
    },

    'GET /v1/audit': () => ({ path: '/v1/audit' }),
    'GET /v1/alerts': () => ({ path: '/v1/alerts' }),
    'POST /v1/alerts/webhook': () => ({ path: '/v1/alerts/webhook', body: alertPayload() }),
    'GET /v1/admin/cache': () => ({ path: '/v1/admin/cache' }),
    'GET /v1/admin/ledger/verification': () => ({ path: '/v1/admin/ledger/verification' }),
    'GET /v1/admin/queries': () => ({ path: '/v1/admin/queries' }),
    'GET /v1/admin/queries/explain': () => ({ path: '/v1/admin/queries/explain' }),
    'GET /v1/admin/queries/explain/:name': () => ({ path: '/v1/admin/queries/explain/account-ledger-page' }),
  };

  /** A job scheduler of the notifications queue for the dashboard's scheduler routes (yearly, never due here). */
  async function dashboardScheduler(): Promise<string> {
    const job = { name: 'matrix', data: { channel: 'webhook', url: 'http://127.0.0.1:9/', event: 'matrix', data: {} } };
    await t.app
      .get(QueueRegistry)
      .get('notifications')
      .upsertJobScheduler('matrix-scheduler', { pattern: '0 0 1 1 *' }, job);
    return 'matrix-scheduler';
  }

  const DASHBOARD = '/admin/queues/api/queues/:queueName';
  /** Bodies bull-board takes on the dashboard's routes that change something. */
  const DASHBOARD_BODIES: Record<string, () => object> = {
    [`PATCH ${DASHBOARD}/job-schedulers/:schedulerId`]: () => ({ pattern: '0 0 2 1 *' }),
    [`PUT ${DASHBOARD}/concurrency`]: () => ({ concurrency: 1 }),
    [`PATCH ${DASHBOARD}/:jobId/priority`]: () => ({ priority: 1 }),
    [`PATCH ${DASHBOARD}/:jobId/update-data`]: () => ({ jobData: { event: 'matrix' } }),
    [`PATCH ${DASHBOARD}/:jobId/delay`]: () => ({ runAt: Date.now() + 3_600_000 }),
  };

  /**
   * Routes not written above (probes, docs, the queue dashboard) are called with their parameters
   * filled in: a real queue, a job waiting in it, a scheduler, a file that exists.
   */
  async function defaultCall(route: string): Promise<Call> {
    const [method, pattern] = route.split(' ');
    if (pattern.startsWith('/v1/')) throw new Error(`${route}: add how to call it to CALLS in this spec`);
    const values: Record<string, () => string | Promise<string>> = {
      queueName: () => 'notifications',
      jobId: dashboardJob,
      queueStatus: () => 'failed',
      schedulerId: dashboardScheduler,
    };
    let path = pattern.replace(/\*$/, pattern.startsWith('/docs') ? 'swagger-ui.css' : 'static/favicon.ico');
    for (const name of pattern.match(/(?<=:)\w+/g) ?? []) {
      const value = values[name];
      if (!value) throw new Error(`${route}: no value for :${name}; add how to call it to CALLS in this spec`);
      path = path.replace(`:${name}`, await value());
    }
    const body = DASHBOARD_BODIES[route]?.() ?? (method === 'GET' || method === 'DELETE' ? undefined : {});
    return { path, body };
  }

  function keyOf(caller: Caller): string | undefined {
    if (caller === 'noKey') return undefined;
    if (caller === 'unknownKey') return unknownKey;
    return cast[caller].key;
  }

  async function send(route: string, caller: Caller, call: Call): Promise<Response> {
    const method = route.split(' ')[0].toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    let req = t.http[method](call.path);
    const key = keyOf(caller);
    if (key) req = req.set(bearer(key));
    if (call.contentType) req = req.set('content-type', call.contentType);
    return call.body === undefined ? req : req.send(call.body);
  }

  it('has a row for every route the application serves, and no row for a route it does not', () => {
    const served = routeTable(t.app);
    const missing = served.filter((route) => !(route in MATRIX));
    const gone = Object.keys(MATRIX).filter((route) => !served.includes(route));
    const problems = [
      ...(missing.length > 0
        ? [
            'No new route can ship without a decision: add a row to test/authorization-matrix.ts with the status ' +
              `each caller must get (docs/domain.md §10), for:\n  ${missing.join('\n  ')}`,
          ]
        : []),
      ...(gone.length > 0
        ? [`Remove the rows of routes the application no longer serves:\n  ${gone.join('\n  ')}`]
        : []),
    ];
    if (problems.length > 0) throw new Error(problems.join('\n'));
  });

  it.each(Object.keys(MATRIX))('%s answers each caller as the matrix says', async (route) => {
    const statuses: Partial<Record<Caller, number>> = {};
    const defects: string[] = [];
    for (const caller of CALLERS) {
      const call = await (CALLS[route] ?? (() => defaultCall(route)))();
      const res = await send(route, caller, call);
      statuses[caller] = res.status;
      // Every refusal of a caller is one of the service's problem documents.
      if ([401, 403].includes(res.status) || (res.status === 404 && route.includes(' /v1/'))) {
        defects.push(...problemDefects(res).map((d) => `${caller}: ${d}`));
      }
    }
    const expected = Object.fromEntries(CALLERS.map((caller, i) => [caller, MATRIX[route][i]]));
    expect({ statuses, defects }).toEqual({ statuses: expected, defects: [] });
  });
});
