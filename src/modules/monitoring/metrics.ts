import { Counter, Gauge, Histogram, register, Registry } from 'prom-client';

/**
 * Every metric the service exports, in one place: dashboards and alert rules name these (a spec
 * checks that each name they use is exported). Names are snake_case, prefixed `alluse_`, with their
 * unit (`_seconds`, `_cents`) and `_total` on counters.
 *
 * Each is registered once per process: prom-client refuses a name twice, and tests start several
 * apps in one process.
 */
function once<T>(name: string, create: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Metrics that tell how much money moves: exported only on a metrics port of its own
 * (METRICS_PORT, WORKER_METRICS_PORT; metrics-server.ts), never at the public port's /metrics.
 */
export const internalRegistry = new Registry();

const counter = (name: string, help: string, labelNames: string[] = []) =>
  once(name, () => new Counter({ name, help, labelNames }));
const gauge = (name: string, help: string, labelNames: string[] = []) =>
  once(name, () => new Gauge({ name, help, labelNames }));
const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
  once(name, () => new Histogram({ name, help, labelNames, buckets }));

/** Request and database latencies: 2 ms up to 10 s. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Tasks and growth operations run longer: 5 ms up to 5 min. */
const TASK_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

// HTTP (the Fastify hook in http-metrics.ts). `route` is the route template (`/v1/accounts/:id`), never the raw URL.
const HTTP_LABELS = ['method', 'route', 'status'];
export const httpRequests = counter(
  'alluse_http_requests_total',
  'HTTP requests answered, by route template, method and status',
  HTTP_LABELS,
);
export const httpRequestDuration = histogram(
  'alluse_http_request_duration_seconds',
  'Time to answer an HTTP request, by route template, method and status',
  HTTP_LABELS,
  LATENCY_BUCKETS,
);

// Ledger: one count per committed transaction, and the amount it moved (the sum of its debits).
export const ledgerTransactions = counter(
  'alluse_ledger_transactions_total',
  'Ledger transactions committed, by kind',
  ['kind'],
);
export const ledgerAmount = new Counter({
  name: 'alluse_ledger_amount_cents_total',
  help: 'Amount moved by committed ledger transactions, in cents, by kind',
  labelNames: ['kind'],
  registers: [internalRegistry],
});

// Set by each ledger verification (nightly job or GET /v1/admin/ledger/verification), every check present.
export const ledgerInvariantViolations = gauge(
  'alluse_ledger_invariant_violations',
  'Violations of each ledger invariant found by the latest verification, by check (0: it holds)',
  ['check'],
);

// State of the book: refreshed in the background, never by a scan per scrape.
export const accountsGauge = gauge('alluse_accounts', 'Accounts, by type and status', ['type', 'status']);
export const portfoliosGauge = gauge('alluse_portfolios', 'Portfolios');
export const unitsGauge = gauge('alluse_units', 'Account units (forked families), by status', ['status']);

// Growth engine. operation: fork | merge | reinvestment; trigger: automatic | scan | user | schedule.
export const growthOperations = counter(
  'alluse_growth_operations_total',
  'Forks, merges and reinvestments done, by operation and trigger',
  ['operation', 'trigger'],
);
export const growthFailures = counter(
  'alluse_growth_operation_failures_total',
  'Forks, merges and reinvestments that failed with an error (a refusal by a rule is not a failure)',
  ['operation'],
);
export const growthDuration = histogram(
  'alluse_growth_operation_duration_seconds',
  'Time a fork, merge or reinvestment took, by operation',
  ['operation'],
  TASK_BUCKETS,
);

// Database: the connection pool and every query through it.
export const dbPoolTotal = gauge('alluse_db_pool_total_connections', 'Connections open in the pool');
export const dbPoolIdle = gauge('alluse_db_pool_idle_connections', 'Open connections not in use');
export const dbPoolWaiting = gauge('alluse_db_pool_waiting_clients', 'Callers waiting for a connection');
export const dbPoolMax = gauge('alluse_db_pool_max_connections', 'Most connections the pool may open');
export const dbQueryDuration = histogram(
  'alluse_db_query_duration_seconds',
  'Time a database statement took, by operation (select, insert, update, delete, call, transaction, other)',
  ['operation'],
  LATENCY_BUCKETS,
);
export const dbSlowQueries = counter(
  'alluse_db_slow_queries_total',
  'Statements slower than DATABASE_SLOW_QUERY_MS, by operation',
  ['operation'],
);

export const dbConflictRetries = counter(
  'alluse_db_conflict_retries_total',
  'Transactions run again after PostgreSQL aborted them, by reason (deadlock, serialization_failure)',
  ['reason'],
);

// Queues and tasks. state: waiting | prioritized | active | delayed | waiting-children | completed | failed | paused.
export const queueJobs = gauge('alluse_queue_jobs', 'Jobs in each queue, by state', ['queue', 'state']);
export const queueWaitingLimit = gauge(
  'alluse_queue_waiting_limit',
  'Waiting jobs past which a queue refuses new tasks (backpressure)',
  ['queue'],
);
export const queueDeadLetters = gauge(
  'alluse_queue_dead_letters',
  'Jobs that failed for good and wait in the dead-letter list',
  ['queue'],
);
export const taskDuration = histogram(
  'alluse_task_duration_seconds',
  'Time one attempt of a task took, by queue and outcome (completed, failed)',
  ['queue', 'outcome'],
  TASK_BUCKETS,
);
export const taskFailures = counter('alluse_task_failures_total', 'Task attempts that failed, by queue', ['queue']);
export const taskDeadLetters = counter(
  'alluse_task_dead_letters_total',
  'Tasks that became dead letters (attempts used up, or not retryable), by queue',
  ['queue'],
);

// Readiness, as the probes see it: 1 when a check passes, 0 when it fails.
export const readinessCheck = gauge(
  'alluse_readiness_check_up',
  'Whether a readiness check passes (1) or fails (0), by check',
  ['check'],
);

// Cache (levels l1, l2; per cache namespace).
export const cacheHits = counter('alluse_cache_hits_total', 'Cache hits, by level and namespace', [
  'level',
  'namespace',
]);
export const cacheMisses = counter('alluse_cache_misses_total', 'Cache misses, by level and namespace', [
  'level',
  'namespace',
]);
export const cacheEvictions = counter('alluse_cache_evictions_total', 'L1 entries evicted to stay within bounds', [
  'namespace',
]);
export const cacheLoads = counter('alluse_cache_loads_total', 'Values loaded from the database on a miss', [
  'namespace',
]);

// Alerts received from Alertmanager and forwarded to people.
export const alertsReceived = counter(
  'alluse_alerts_received_total',
  'Alert notifications received from Alertmanager, by status',
  ['status'],
);
export const alertsForwarded = counter(
  'alluse_alerts_forwarded_total',
  'Alert changes queued for forwarding, by channel',
  ['channel'],
);
