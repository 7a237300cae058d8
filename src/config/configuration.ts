import { registerAs } from '@nestjs/config';
import { QUEUE_NAMES, QUEUES, type QueueName } from '../modules/async-tasks/queues';
import { readBool, readCron, readEnum, readInt, readOptionalUrl, readString, readTimeZone, readUrl } from './env';
export { EnvError } from './env';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const appConfig = registerAs('app', () => ({
  host: process.env.HOST || '0.0.0.0',
  port: readInt(process.env, 'PORT', 3000, 0, 65535),
  logLevel: readEnum(process.env, 'LOG_LEVEL', 'info', LOG_LEVELS),
  bodyLimitBytes: readInt(process.env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 16 * 1_048_576),
  adminApiKey: readString(process.env, 'ADMIN_API_KEY', 24),
  shutdownGraceMs: readInt(process.env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
}));

export const databaseConfig = registerAs('database', () => ({
  url: readUrl(process.env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/alluse', ['postgres:', 'postgresql:']),
  poolSize: readInt(process.env, 'DATABASE_POOL_SIZE', 20, 1, 500),
  migrateOnStart: readBool(process.env, 'DATABASE_MIGRATE', false),
  statementTimeoutMs: readInt(process.env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 0, 600_000),
  /** Ledger calls running at once per instance; requests arriving meanwhile share the next call. */
  writeConcurrency: readInt(process.env, 'LEDGER_WRITE_CONCURRENCY', 4, 1, 256),
  /** Batches running at once per instance: more only queue on each other's row locks in PostgreSQL. */
  batchConcurrency: readInt(process.env, 'LEDGER_BATCH_CONCURRENCY', 2, 1, 64),
  /** Statements slower than this are counted (alluse_db_slow_queries_total) and logged at warn, without parameters. */
  slowQueryMs: readInt(process.env, 'DATABASE_SLOW_QUERY_MS', 500, 0, 600_000),
}));

export const redisConfig = registerAs('redis', () => ({
  url: readUrl(process.env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  keyPrefix: process.env.REDIS_KEY_PREFIX || 'alluse:',
}));

export const rateLimitConfig = registerAs('rateLimit', () => ({
  limit: readInt(process.env, 'RATE_LIMIT_LIMIT', 600, 1, 10_000_000),
  windowMs: readInt(process.env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
}));

/** Task platform settings; per queue, e.g. TASKS_NOTIFICATIONS_ATTEMPTS=8 (queues: async-tasks/queues.ts). */
export const tasksConfig = registerAs('tasks', () => ({
  /** Run the queue workers inside this process (off for an API-only deployment; dist/src/worker.js runs them). */
  runWorkers: readBool(process.env, 'TASKS_RUN_WORKERS', true),
  /** How long an open circuit to a failing destination waits before one call may try again. */
  breakerHalfOpenAfterMs: readInt(process.env, 'TASKS_BREAKER_HALF_OPEN_MS', 30_000, 10, 3_600_000),
  /** Consecutive failures of one destination that open its circuit. */
  breakerThreshold: readInt(process.env, 'TASKS_BREAKER_THRESHOLD', 5, 1, 1000),
  /** How long an outbound HTTP call may take. */
  outboundTimeoutMs: readInt(process.env, 'TASKS_OUTBOUND_TIMEOUT_MS', 5_000, 10, 120_000),
  /** How long a running job's lock lasts without renewal: a dead worker's jobs run again after it. */
  lockDurationMs: readInt(process.env, 'TASKS_LOCK_DURATION_MS', 30_000, 500, 600_000),
  /** How long shutting down waits for running jobs before it lets them go (they run again elsewhere). */
  shutdownGraceMs: readInt(process.env, 'TASKS_SHUTDOWN_GRACE_MS', 8_000, 0, 600_000),
  /** How long adding a task (and the backpressure check) may wait for Redis before the caller gets a 503. */
  enqueueTimeoutMs: readInt(process.env, 'TASKS_ENQUEUE_TIMEOUT_MS', 2_000, 10, 60_000),
  queues: Object.fromEntries(
    QUEUE_NAMES.map((name) => {
      const prefix = `TASKS_${name.toUpperCase()}_`;
      const defaults = QUEUES[name];
      const settings: QueueSettings = {
        concurrency: readInt(process.env, `${prefix}CONCURRENCY`, defaults.concurrency, 1, 1000),
        attempts: readInt(process.env, `${prefix}ATTEMPTS`, defaults.attempts, 1, 100),
        backoffMs: readInt(process.env, `${prefix}BACKOFF_MS`, defaults.backoffMs, 1, 3_600_000),
        maxWaiting: readInt(process.env, `${prefix}MAX_WAITING`, defaults.maxWaiting, 1, 10_000_000),
      };
      return [name, settings];
    }),
  ) as Record<QueueName, QueueSettings>,
}));

/** Bulk imports (docs/tasks.md): how large a file may be, how long it is kept, when housekeeping runs. */
export const importsConfig = registerAs('imports', () => ({
  /** Largest import file (CSV or JSON lines); 100,000 lines take about 15 MB. */
  limitBytes: readInt(process.env, 'IMPORT_LIMIT_BYTES', 32 * 1_048_576, 1024, 256 * 1_048_576),
  /** The stored file of a finished import is deleted this many days after it finished; its row, report and keys stay. */
  retentionDays: readInt(process.env, 'IMPORT_RETENTION_DAYS', 30, 1, 36_500),
  /** When housekeeping runs (UTC): it purges files past retention and settles imports whose task never reached the queue. */
  housekeepingCron: readCron(process.env, 'IMPORT_HOUSEKEEPING_CRON', '17 * * * *', 'UTC'),
}));

/** The growth engine's schedules (domain.md §4, §6) and checks. */
export const growthConfig = registerAs('growth', () => {
  const tz = readTimeZone(process.env, 'GROWTH_TZ', 'America/New_York');
  return {
    tz,
    /** Declare the job schedulers at start (any number of instances may; each occurrence runs once). */
    schedulesEnabled: readBool(process.env, 'GROWTH_SCHEDULES_ENABLED', true),
    /** The fork and merge scan: Thursdays at 16:30, after the 16:00 close. */
    scanCron: readCron(process.env, 'GROWTH_SCAN_CRON', '30 16 * * 4', tz),
    /** Quarterly reinvestment: the last day of March, June, September and December, after the close. */
    reinvestCron: readCron(process.env, 'GROWTH_REINVEST_CRON', '30 17 L 3,6,9,12 *', tz),
    /** Checks owed after writes are gathered this long and queued together (one Redis round trip). */
    checkDelayMs: readInt(process.env, 'GROWTH_CHECK_DELAY_MS', 50, 0, 60_000),
    /** A rejected merge proposal is not proposed again for this many days. */
    reproposeAfterDays: readInt(process.env, 'GROWTH_REPROPOSE_AFTER_DAYS', 7, 0, 365),
  };
});

/** Projections (domain.md §9): how long one may run inside a request before it becomes a task. */
export const projectionsConfig = registerAs('projections', () => ({
  /** Wall-clock budget of an in-request projection; past it the request answers 202 with a task (0: always a task). */
  syncBudgetMs: readInt(process.env, 'PROJECTION_SYNC_BUDGET_MS', 1_000, 0, 60_000),
  /** The simulation yields to the event loop after running this long. */
  sliceMs: readInt(process.env, 'PROJECTION_SLICE_MS', 20, 1, 1_000),
}));

/** The two-level read cache (L1 in process, L2 in Redis). */
export const cacheConfig = registerAs('cache', () => ({
  enabled: readBool(process.env, 'CACHE_ENABLED', true),
  /** L1 bounds: whichever is reached first evicts the least recently used entries. */
  l1MaxEntries: readInt(process.env, 'CACHE_L1_MAX_ENTRIES', 20_000, 1, 10_000_000),
  l1MaxBytes: readInt(process.env, 'CACHE_L1_MAX_BYTES', 64 * 1_048_576, 1_024, 16 * 1_073_741_824),
  /** An L1 entry lives at most this long, whatever its kind's TTL: it bounds staleness while Redis is down. */
  l1MaxTtlMs: readInt(process.env, 'CACHE_L1_MAX_TTL_MS', 30_000, 10, 86_400_000),
  /** How long an L2 (Redis) read or write may take before the cache carries on without it. */
  redisTimeoutMs: readInt(process.env, 'CACHE_REDIS_TIMEOUT_MS', 150, 1, 60_000),
  /** Portfolios whose views are loaded in the background at start (most recently active first). */
  warmPortfolios: readInt(process.env, 'CACHE_WARM_PORTFOLIOS', 50, 0, 100_000),
}));

/** The Alertmanager receiver (POST /v1/alerts/webhook) and where it forwards alert changes. */
export const alertsConfig = registerAs('alerts', () => ({
  /** Alertmanager sends it as `Authorization: Bearer <secret>`; unset, the receiver refuses every call. */
  webhookSecret: readString(process.env, 'ALERTS_WEBHOOK_SECRET', 16),
  /** A generic JSON webhook that receives every alert that starts firing or resolves. */
  notifyWebhookUrl: readOptionalUrl(process.env, 'ALERTS_NOTIFY_WEBHOOK_URL', ['http:', 'https:']),
  /** A Slack-compatible incoming webhook (`{text}`) that receives the same, as readable text. */
  notifySlackUrl: readOptionalUrl(process.env, 'ALERTS_NOTIFY_SLACK_URL', ['http:', 'https:']),
}));

/** Prometheus metrics (docs/metrics.md). */
export const metricsConfig = registerAs('metrics', () => ({
  /** Off: no HTTP hook and no query timing (to measure their cost); /metrics still answers. */
  enabled: readBool(process.env, 'METRICS_ENABLED', true),
  /** How often the book gauges (accounts, portfolios, units) are read from the database. */
  refreshMs: readInt(process.env, 'METRICS_REFRESH_MS', 15_000, 10, 3_600_000),
  /** Where `node dist/worker.js` serves its own /metrics (its tasks' metrics); 0: not at all. */
  workerPort: readInt(process.env, 'WORKER_METRICS_PORT', 9464, 0, 65535),
}));

export interface QueueSettings {
  /** Jobs one worker process runs at once. */
  concurrency: number;
  /** Tries before a job becomes a dead letter. */
  attempts: number;
  /** First retry delay; each retry doubles it, with ±50 % jitter. */
  backoffMs: number;
  /** Waiting jobs beyond which new submissions are refused with 503 and Retry-After. */
  maxWaiting: number;
}

export type AppConfig = ReturnType<typeof appConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type TasksConfig = ReturnType<typeof tasksConfig>;
export type ImportsConfig = ReturnType<typeof importsConfig>;
export type GrowthConfig = ReturnType<typeof growthConfig>;
export type CacheConfig = ReturnType<typeof cacheConfig>;
export type ProjectionsConfig = ReturnType<typeof projectionsConfig>;
export type AlertsConfig = ReturnType<typeof alertsConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;

/** Evaluated once at boot so that a bad variable stops start-up before anything connects. */
export const allConfigs = [
  appConfig,
  databaseConfig,
  redisConfig,
  rateLimitConfig,
  tasksConfig,
  importsConfig,
  growthConfig,
  projectionsConfig,
  cacheConfig,
  alertsConfig,
  metricsConfig,
];

export function validateConfiguration(): void {
  for (const load of allConfigs) load();
}
