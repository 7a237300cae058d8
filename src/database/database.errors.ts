import { AppError } from '@app/errors';

/** How long a client is asked to wait before retrying while the database is away (a restart takes seconds). */
const RETRY_AFTER_SECONDS = 2;

export const databaseUnavailable = () =>
  new AppError('unavailable', 'DATABASE_UNAVAILABLE', 'the database is not reachable right now; retry later', {
    retryAfterSeconds: RETRY_AFTER_SECONDS,
  });

export const writeConflict = () =>
  new AppError('unavailable', 'WRITE_CONFLICT', 'the write kept colliding with concurrent writes; retry it', {
    retryAfterSeconds: 1,
  });

/**
 * SQLSTATEs that say the server went or is not there yet, not that the statement was wrong:
 * admin_shutdown (a restart, or pg_terminate_backend), crash_shutdown, cannot_connect_now
 * (starting up or shutting down), too_many_connections. Class 08 (connection exception) too.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a connection to the server that failed or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** What node-postgres says, without a code, when a connection ends or cannot be had. */
const PG_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
];

/**
 * True when `error` (or the driver error TypeORM wraps in it) means the database could not be
 * reached or dropped the connection: a request that met it may be retried with its
 * Idempotency-Key, so it answers 503 with Retry-After rather than 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message, driverError, cause } = e as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (typeof code === 'string' && (UNAVAILABLE_STATES.has(code) || code.startsWith('08') || SOCKET_CODES.has(code)))
      return true;
    if (typeof message === 'string' && PG_MESSAGES.some((m) => m.test(message))) return true;
    e = driverError ?? cause;
  }
  return false;
}
