import { registerAs } from '@nestjs/config';
import { parseNetwork } from '../modules/async-tasks/domain/ip-address';
import { literalVerdict, parseAllowList, type OutboundAllowList } from '../modules/async-tasks/domain/outbound-policy';
import { QUEUE_NAMES, QUEUES, type QueueName } from '../modules/async-tasks/queues';
import {
  EnvError,
  readBool,
  readCron,
  readEnum,
  readInt,
  readList,
  readOptionalUrl,
  readString,
  readTimeZone,
  readUrl,
} from './env';
export { EnvError } from './env';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const appConfig = registerAs('app', () => ({
  host: process.env.HOST || '0.0.0.0',
  port: readInt(process.env, 'PORT', 3000, 0, 65535),
  logLevel: readEnum(process.env, 'LOG_LEVEL', 'info', LOG_LEVELS),
  bodyLimitBytes: readInt(process.env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 16 * 1_048_576),
  adminApiKey: readString(process.env, 'ADMIN_API_KEY', 24),
  shutdownGraceMs: readInt(process.env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
  /** Proxies whose X-Forwarded-For is believed (Fastify's trustProxy); off, the client is the socket's peer. */
  trustProxy: readTrustProxy(process.env),
  ...readCors(process.env),
}));

/** Names proxy-addr (behind Fastify's trustProxy) gives whole ranges. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** TRUST_PROXY: unset (off), a hop count, or the proxies' addresses and networks (CIDR). */
function readTrustProxy(env: NodeJS.ProcessEnv): false | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || raw === 'false' || raw === '0') return false;
  if (/^\d+$/.test(raw)) return readInt(env, 'TRUST_PROXY', 0, 1, 64);
  const entries = readList(env, 'TRUST_PROXY');
  const bad = entries.find((entry) => !PROXY_RANGES.includes(entry) && !parseNetwork(entry));
  if (bad !== undefined) {
    throw new EnvError(
      `TRUST_PROXY must be a hop count or comma-separated proxy addresses and networks (CIDR), got "${bad}"`,
    );
  }
  return entries;
}

/** CORS_ORIGINS: origins allowed to call from a browser (none: no CORS headers), or `*` for any, never with credentials. */
function readCors(env: NodeJS.ProcessEnv): { corsOrigins: string[]; corsCredentials: boolean } {
  const corsOrigins = readList(env, 'CORS_ORIGINS').map((origin) => origin.replace(/\/$/, ''));
  const corsCredentials = readBool(env, 'CORS_CREDENTIALS', false);
  if (corsOrigins.includes('*')) {
    if (corsOrigins.length > 1) throw new EnvError('CORS_ORIGINS is either * alone or a list of origins');
    if (corsCredentials) throw new EnvError('CORS_ORIGINS=* cannot go with CORS_CREDENTIALS=true: list the origins');
    return { corsOrigins, corsCredentials };
  }
  for (const origin of corsOrigins) {
    if (URL.parse(origin)?.origin !== origin) {
      throw new EnvError(`CORS_ORIGINS must list origins such as https://app.example.com, got "${origin}"`);
    }
  }
  return { corsOrigins, corsCredentials };
}

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

/** API-key authentication: the key cache, and the budget of failed attempts per client address. */
export const authConfig = registerAs('auth', () => ({
  /** How long a resolved key is trusted without asking the database (a revocation reaches other instances within it). */
  keyCacheTtlMs: readInt(process.env, 'AUTH_KEY_CACHE_TTL_MS', 5_000, 100, 3_600_000),
  /** Failed authentications one client address may make per window; past them it gets 429. */
  failureLimit: readInt(process.env, 'AUTH_FAILURE_LIMIT', 20, 1, 1_000_000),
  failureWindowMs: readInt(process.env, 'AUTH_FAILURE_WINDOW_MS', 60_000, 1_000, 86_400_000),
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

/** The growth engine's schedules (docs/domain.md §5, §7) and checks, and the nightly ledger verification. */
export const growthConfig = registerAs('growth', () => {
  const tz = readTimeZone(process.env, 'GROWTH_TZ', 'America/New_York');
  return {
    tz,
    /** Declare the job schedulers at start (any number of instances may; each occurrence runs once): these and the ledger verification. */
    schedulesEnabled: readBool(process.env, 'GROWTH_SCHEDULES_ENABLED', true),
    /** The fork and merge scan: Thursdays at 16:30, after the 16:00 close. */
    scanCron: readCron(process.env, 'GROWTH_SCAN_CRON', '30 16 * * 4', tz),
    /** Quarterly reinvestment: the last day of March, June, September and December, after the close. */
    reinvestCron: readCron(process.env, 'GROWTH_REINVEST_CRON', '30 17 L 3,6,9,12 *', tz),
    /** The nightly verification of the ledger's invariants (docs/ledger.md), at a quiet hour. */
    ledgerVerifyCron: readCron(process.env, 'LEDGER_VERIFY_CRON', '15 3 * * *', tz),
    /** Checks owed after writes are gathered this long and queued together (one Redis round trip). */
    checkDelayMs: readInt(process.env, 'GROWTH_CHECK_DELAY_MS', 50, 0, 60_000),
    /** A rejected merge proposal is not proposed again for this many days. */
    reproposeAfterDays: readInt(process.env, 'GROWTH_REPROPOSE_AFTER_DAYS', 7, 0, 365),
  };
});

/** Projections (docs/domain.md §9): how long one may run inside a request before it becomes a task. */
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
  /** Tags this instance keeps track of, in each of its tag maps (L1 keys by tag, mirrored tag tokens); LRU. */
  tagsMax: readInt(process.env, 'CACHE_TAGS_MAX', 100_000, 10, 10_000_000),
}));

/** The in-process lookups behind access checks: portfolio owners, grants, account facts, units' portfolios. */
export const accessConfig = registerAs('access', () => ({
  /** Entries each lookup keeps; the least recently used go first. */
  maxEntries: readInt(process.env, 'ACCESS_CACHE_MAX_ENTRIES', 100_000, 10, 10_000_000),
}));

/** Outbound HTTP calls (webhooks): where they may go and how much of an answer is read (docs/tasks.md). */
export const outboundConfig = registerAs('outbound', () => ({
  /** Hosts, addresses and networks a call may reach besides public addresses (the SSRF defence). */
  allow: readAllowList(process.env),
  /** Most bytes of an answer read; the connection is closed past them. */
  maxResponseBytes: readInt(process.env, 'OUTBOUND_MAX_RESPONSE_BYTES', 65_536, 0, 16 * 1_048_576),
}));

function readAllowList(env: NodeJS.ProcessEnv): OutboundAllowList {
  try {
    return parseAllowList(env.OUTBOUND_ALLOW ?? '');
  } catch (error) {
    throw new EnvError(`OUTBOUND_ALLOW: ${(error as Error).message}`);
  }
}

/**
 * An operator's webhook URL, checked like any outbound call: an address that is not public must be
 * listed in OUTBOUND_ALLOW (a host name is checked when it is resolved, at each call).
 */
function readOutboundUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const url = readOptionalUrl(env, name, ['http:', 'https:']);
  const verdict = url ? literalVerdict(new URL(url).hostname, readAllowList(env)) : undefined;
  if (verdict && !verdict.allowed) throw new EnvError(`${name} is refused: ${verdict.reason}`);
  return url;
}

/** The Alertmanager receiver (POST /v1/alerts/webhook) and where it forwards alert changes. */
export const alertsConfig = registerAs('alerts', () => ({
  /** Alertmanager sends it as `Authorization: Bearer <secret>`; unset, the receiver refuses every call. */
  webhookSecret: readString(process.env, 'ALERTS_WEBHOOK_SECRET', 16),
  /** A generic JSON webhook that receives every alert that starts firing or resolves. */
  notifyWebhookUrl: readOutboundUrl(process.env, 'ALERTS_NOTIFY_WEBHOOK_URL'),
  /** A Slack-compatible incoming webhook (`{text}`) that receives the same, as readable text. */
  notifySlackUrl: readOutboundUrl(process.env, 'ALERTS_NOTIFY_SLACK_URL'),
}));

/** Prometheus metrics (docs/metrics.md). */
export const metricsConfig = registerAs('metrics', () => ({
  /** Off: no HTTP hook and no query timing (to measure their cost); /metrics still answers. */
  enabled: readBool(process.env, 'METRICS_ENABLED', true),
  /** How often the book gauges (accounts, portfolios, units) are read from the database. */
  refreshMs: readInt(process.env, 'METRICS_REFRESH_MS', 15_000, 10, 3_600_000),
  /** Where `node dist/worker.js` serves its own /metrics (its tasks' metrics); 0: not at all. */
  workerPort: readInt(process.env, 'WORKER_METRICS_PORT', 9464, 0, 65535),
  /**
   * Where the API process serves /metrics on a port of its own (0: none). Set, the public port
   * answers /metrics with 404, and only this port exports money totals.
   */
  port: readInt(process.env, 'METRICS_PORT', 0, 0, 65535),
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
export type AuthConfig = ReturnType<typeof authConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;
export type TasksConfig = ReturnType<typeof tasksConfig>;
export type ImportsConfig = ReturnType<typeof importsConfig>;
export type GrowthConfig = ReturnType<typeof growthConfig>;
export type CacheConfig = ReturnType<typeof cacheConfig>;
export type AccessConfig = ReturnType<typeof accessConfig>;
export type ProjectionsConfig = ReturnType<typeof projectionsConfig>;
export type OutboundConfig = ReturnType<typeof outboundConfig>;
export type AlertsConfig = ReturnType<typeof alertsConfig>;
export type MetricsConfig = ReturnType<typeof metricsConfig>;

/** Evaluated once at boot so that a bad variable stops start-up before anything connects. */
export const allConfigs = [
  appConfig,
  databaseConfig,
  redisConfig,
  authConfig,
  rateLimitConfig,
  tasksConfig,
  outboundConfig,
  importsConfig,
  growthConfig,
  projectionsConfig,
  cacheConfig,
  accessConfig,
  alertsConfig,
  metricsConfig,
];

export function validateConfiguration(): void {
  for (const load of allConfigs) load();
}
