import type { DataSource, EntityManager } from 'typeorm';
import { dbConflictRetries } from '../modules/monitoring/metrics';
import { writeConflict } from './database.errors';

/**
 * SQLSTATEs after which PostgreSQL has rolled the transaction back and running it again may well
 * succeed: another transaction won a serialization conflict, or the deadlock detector chose this
 * one as the victim.
 */
const RETRYABLE: Record<string, string> = { '40001': 'serialization_failure', '40P01': 'deadlock' };

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** The n-th retry waits a random time up to min(maxDelayMs, baseDelayMs × 2ⁿ⁻¹) ("full jitter"). */
  baseDelayMs: number;
  maxDelayMs: number;
}

// Exported at 0 for each reason from the start, so a rate over it is defined before the first retry.
for (const reason of Object.values(RETRYABLE)) dbConflictRetries.inc({ reason }, 0);

/** At most 5 tries within about half a second: enough for the loser of a lock cycle to get through. */
export const CONFLICT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 20, maxDelayMs: 250 };

/** Why a failed statement may be retried (`deadlock`, `serialization_failure`), if it may. */
export function conflictReason(error: unknown): string | undefined {
  // TypeORM's QueryFailedError copies the driver error's fields; the pg pool's error is the driver error.
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? RETRYABLE[code] : undefined;
}

/**
 * Runs `work` — a whole database transaction, nothing less — again when PostgreSQL aborted it with
 * a serialization failure or a deadlock, after a random pause, at most `policy.attempts` times.
 * When every try collided it is refused with 503 WRITE_CONFLICT (retry later), never a 500.
 */
export async function retryOnConflict<T>(work: () => Promise<T>, policy: RetryPolicy = CONFLICT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const reason = conflictReason(error);
      if (!reason) throw error;
      if (attempt >= policy.attempts) throw writeConflict();
      dbConflictRetries.inc({ reason });
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}

/** `dataSource.transaction(work)`, run again as a whole when it collided (see retryOnConflict). */
export function transactionWithRetry<T>(db: DataSource, work: (m: EntityManager) => Promise<T>): Promise<T> {
  return retryOnConflict(() => db.transaction(work));
}
