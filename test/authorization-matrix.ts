/**
 * Who may call what: every route the service serves, with the status each kind of caller gets
 * (docs/domain.md §10). test/authorization-matrix.e2e-spec.ts reads the routes from the running app
 * and calls each one as each caller, with a valid body and real ids, so that authorization and
 * not validation decides. A route without a row fails that spec: no new route ships without a
 * decision.
 *
 * The callers, in the order of every row:
 * - noKey: no Authorization header; unknownKey: a well-formed key that was never issued;
 * - admin; owner: the manager who owns the portfolio the request names;
 * - operator and viewer: granted that access to it; auditor;
 * - stranger: a manager of another investor, to whom the portfolio does not exist (404, never 403).
 *
 * Decisions behind the rows:
 * - read (GETs in a portfolio): every role that sees the portfolio; move (movements, growth,
 *   reinvestment, imports): admin, owner, operator; manage (configuration, grants): admin, owner.
 * - Tasks are visible to whoever asked for them and to admins; to anyone else they do not exist.
 * - Users, keys, the task platform, the cache, the query analyzer and the queue dashboard: admins.
 *   The audit log and the recorded alerts: admins and auditors.
 * - Alertmanager's webhook takes its shared secret, never an API key: every key is a 401.
 * - Probes, metrics and the API docs need no key (keep /metrics on an internal network).
 * - Fastify answers HEAD for every GET with the same handler and guards; HEAD has no rows of its own.
 */
export const CALLERS = ['noKey', 'unknownKey', 'admin', 'owner', 'operator', 'viewer', 'auditor', 'stranger'] as const;
export type Caller = (typeof CALLERS)[number];

/** The status each caller gets, in CALLERS order. */
export type Row = readonly [number, number, number, number, number, number, number, number];

export const MATRIX: Record<string, Row> = {
  // Portfolios: anyone sees their own list; managers and admins open portfolios.
  'GET /v1/portfolios': [401, 401, 200, 200, 200, 200, 200, 200],
  'POST /v1/portfolios': [401, 401, 201, 201, 403, 403, 403, 201],
  'GET /v1/portfolios/:id': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/portfolios/:id/accounts': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/portfolios/:id/analytics': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/portfolios/:id/units': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/portfolios/:id/tree': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/portfolios/:id/merge-proposals': [401, 401, 200, 200, 200, 200, 200, 404],
  'POST /v1/portfolios/:id/projection': [401, 401, 202, 202, 202, 202, 202, 404],
  'GET /v1/portfolios/:id/grants': [401, 401, 200, 200, 403, 403, 403, 404],
  'POST /v1/portfolios/:id/grants': [401, 401, 201, 201, 403, 403, 403, 404],
  'DELETE /v1/portfolios/:id/grants/:userId': [401, 401, 204, 204, 403, 403, 403, 404],
  'POST /v1/portfolios/:id/imports': [401, 401, 202, 202, 202, 403, 403, 404],

  // Accounts and the ledger.
  'GET /v1/accounts/:id': [401, 401, 200, 200, 200, 200, 200, 404],
  'PATCH /v1/accounts/:id': [401, 401, 200, 200, 403, 403, 403, 404],
  'GET /v1/accounts/:id/transactions': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/accounts/:id/balance': [401, 401, 200, 200, 200, 200, 200, 404],
  'GET /v1/accounts/:id/analytics': [401, 401, 200, 200, 200, 200, 200, 404],
  'POST /v1/accounts/:id/deposits': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/accounts/:id/withdrawals': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/accounts/:id/premiums': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/accounts/:id/losses': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/accounts/:id/fees': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/transfers': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/transactions/batch': [401, 401, 201, 201, 201, 403, 403, 404],
  'GET /v1/transactions/:id': [401, 401, 200, 200, 200, 200, 200, 404],
  'POST /v1/transactions/:id/reversal': [401, 401, 201, 201, 201, 403, 403, 404],

  // Growth engine and reinvestment.
  'POST /v1/accounts/:id/fork': [401, 401, 201, 201, 201, 403, 403, 404],
  'GET /v1/units/:id': [401, 401, 200, 200, 200, 200, 200, 404],
  'POST /v1/units/:id/merge': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/merge-proposals/:id/confirm': [401, 401, 200, 200, 200, 403, 403, 404],
  'POST /v1/merge-proposals/:id/reject': [401, 401, 200, 200, 200, 403, 403, 404],
  'POST /v1/accounts/:id/reinvestments': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/accounts/:id/positions/close': [401, 401, 201, 201, 201, 403, 403, 404],
  'POST /v1/admin/growth/scan': [401, 401, 202, 403, 403, 403, 403, 403],
  'POST /v1/admin/reinvestments/run': [401, 401, 202, 403, 403, 403, 403, 403],

  // Projections: anyone may project a capital; a task's result is its owner's.
  'POST /v1/projections': [401, 401, 202, 202, 202, 202, 202, 202],
  'GET /v1/projections/tasks/:taskId': [401, 401, 202, 202, 404, 404, 404, 404],

  // Tasks (here: an import the owner submitted).
  'GET /v1/tasks/:id': [401, 401, 200, 200, 404, 404, 404, 404],
  'DELETE /v1/tasks/:id': [401, 401, 200, 200, 404, 404, 404, 404],
  'GET /v1/dead-letters': [401, 401, 200, 403, 403, 403, 403, 403],
  'POST /v1/dead-letters/:id/retry': [401, 401, 202, 403, 403, 403, 403, 403],
  'DELETE /v1/dead-letters/:id': [401, 401, 204, 403, 403, 403, 403, 403],
  'POST /v1/admin/tasks/diagnostics': [401, 401, 202, 403, 403, 403, 403, 403],

  // Users and keys.
  'GET /v1/users/me': [401, 401, 200, 200, 200, 200, 200, 200],
  'POST /v1/users': [401, 401, 201, 403, 403, 403, 403, 403],
  'GET /v1/users': [401, 401, 200, 403, 403, 403, 403, 403],
  'POST /v1/users/:id/api-keys': [401, 401, 201, 403, 403, 403, 403, 403],
  'GET /v1/users/:id/api-keys': [401, 401, 200, 403, 403, 403, 403, 403],
  'DELETE /v1/api-keys/:id': [401, 401, 204, 403, 403, 403, 403, 403],

  // Audit, alerts, operations.
  'GET /v1/audit': [401, 401, 200, 403, 403, 403, 200, 403],
  'GET /v1/alerts': [401, 401, 200, 403, 403, 403, 200, 403],
  'POST /v1/alerts/webhook': [401, 401, 401, 401, 401, 401, 401, 401],
  'GET /v1/admin/cache': [401, 401, 200, 403, 403, 403, 403, 403],
  // Ledger verification reveals accounts across tenants: admins and auditors only.
  'GET /v1/admin/ledger/verification': [401, 401, 200, 403, 403, 403, 200, 403],
  'GET /v1/admin/queries': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /v1/admin/queries/explain': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /v1/admin/queries/explain/:name': [401, 401, 200, 403, 403, 403, 403, 403],

  // Outside /v1: probes, metrics and the API docs are public.
  'GET /health/live': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /health/ready': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /metrics': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs/': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs/swagger-ui-init.js': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs/docs/swagger-ui-init.js': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs/index.html': [200, 200, 200, 200, 200, 200, 200, 200],
  // Swagger UI's route for a file its package does not ship: public, and a 404 for everyone.
  'GET /docs/LICENSE': [404, 404, 404, 404, 404, 404, 404, 404],
  'GET /docs/*': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs-json': [200, 200, 200, 200, 200, 200, 200, 200],
  'GET /docs-yaml': [200, 200, 200, 200, 200, 200, 200, 200],

  // The queue dashboard (bull-board): admins only, checked before bull-board sees the request.
  // Past that gate an admin gets bull-board's own answer: a 400 where the job (delayed, without
  // children) is not in a state the action applies to.
  'GET /admin/queues': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/*': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/metrics-history': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/job-schedulers': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/queue/:queueName': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/queue/:queueName/:jobId': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/redis/stats': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/job-schedulers': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/pause': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/resume': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/metrics': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/default-job-options': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/workers': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/rate-limit': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/rate-limit': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/rate-limit/release': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/retry/:queueStatus': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/resume': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/job-data-schema': [401, 401, 200, 403, 403, 403, 403, 403],
  'PATCH /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId': [401, 401, 204, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId/remove': [
    401, 401, 204, 403, 403, 403, 403, 403,
  ],
  'PUT /admin/queues/api/queues/:queueName/job-schedulers/:schedulerId/run': [401, 401, 200, 403, 403, 403, 403, 403],
  'POST /admin/queues/api/queues/:queueName/add': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/promote': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/pause': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/clean/:queueStatus': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/concurrency': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/empty': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/obliterate': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/:jobId': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/:jobId/logs': [401, 401, 200, 403, 403, 403, 403, 403],
  'GET /admin/queues/api/queues/:queueName/:jobId/flow': [401, 401, 200, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/:jobId/retry': [401, 401, 400, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/:jobId/remove-unprocessed-children': [
    401, 401, 400, 403, 403, 403, 403, 403,
  ],
  'PUT /admin/queues/api/queues/:queueName/:jobId/clean': [401, 401, 204, 403, 403, 403, 403, 403],
  'PUT /admin/queues/api/queues/:queueName/:jobId/promote': [401, 401, 204, 403, 403, 403, 403, 403],
  'PATCH /admin/queues/api/queues/:queueName/:jobId/priority': [401, 401, 200, 403, 403, 403, 403, 403],
  'PATCH /admin/queues/api/queues/:queueName/:jobId/update-data': [401, 401, 200, 403, 403, 403, 403, 403],
  'PATCH /admin/queues/api/queues/:queueName/:jobId/delay': [401, 401, 200, 403, 403, 403, 403, 403],
};
