import { registerAs } from '@nestjs/config';
import { readBool, readEnum, readInt, readString, readUrl } from './env';
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
}));

export const redisConfig = registerAs('redis', () => ({
  url: readUrl(process.env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
  keyPrefix: process.env.REDIS_KEY_PREFIX || 'alluse:',
}));

export const rateLimitConfig = registerAs('rateLimit', () => ({
  limit: readInt(process.env, 'RATE_LIMIT_LIMIT', 600, 1, 10_000_000),
  windowMs: readInt(process.env, 'RATE_LIMIT_WINDOW_MS', 60_000, 100, 86_400_000),
}));

export type AppConfig = ReturnType<typeof appConfig>;
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type RateLimitConfig = ReturnType<typeof rateLimitConfig>;

/** Evaluated once at boot so that a bad variable stops start-up before anything connects. */
export const allConfigs = [appConfig, databaseConfig, redisConfig, rateLimitConfig];

export function validateConfiguration(): void {
  for (const load of allConfigs) load();
}
