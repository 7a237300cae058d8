/**
 * Every queue, in one place: its name, what a job of it carries, and its default settings
 * (each overridable by TASKS_<QUEUE>_CONCURRENCY / _ATTEMPTS / _BACKOFF_MS / _MAX_WAITING).
 */
export const QUEUES = {
  /** Outbound notifications (webhooks), behind a circuit breaker per destination. */
  notifications: { concurrency: 8, attempts: 6, backoffMs: 2_000, maxWaiting: 50_000 },
  /** Bulk imports of movements into a portfolio's ledger. */
  imports: { concurrency: 2, attempts: 5, backoffMs: 2_000, maxWaiting: 1_000 },
  /** Growth engine: fork and merge checks, and the weekly scan. */
  growth: { concurrency: 8, attempts: 5, backoffMs: 1_000, maxWaiting: 1_000_000 },
  /** Quarterly reinvestment of REV and COM accounts. */
  reinvestments: { concurrency: 2, attempts: 5, backoffMs: 5_000, maxWaiting: 1_000 },
  /** Projections too long to answer within a request. */
  projections: { concurrency: 1, attempts: 2, backoffMs: 2_000, maxWaiting: 100 },
  /** The ledger's own upkeep: the nightly verification of its invariants. */
  ledger: { concurrency: 1, attempts: 3, backoffMs: 60_000, maxWaiting: 100 },
  /** Synthetic tasks that exercise the platform itself: throughput probes and drills. */
  diagnostics: { concurrency: 16, attempts: 3, backoffMs: 500, maxWaiting: 200_000 },
} as const;

export type QueueName = keyof typeof QUEUES;
export const QUEUE_NAMES = Object.keys(QUEUES) as QueueName[];

/** The payload of each kind of job, by queue. */
export interface NotificationPayload {
  /** Generic JSON webhook, or a Slack-compatible incoming webhook (`{text}`). */
  channel: 'webhook' | 'slack';
  url: string;
  event: string;
  data: Record<string, unknown>;
  /** What a Slack message says instead of the event and its data as JSON (alerts use it). */
  text?: string;
}

export interface DiagnosticPayload {
  /** noop finishes at once; wait runs for durationMs, checking for cancellation as it goes. */
  mode: 'noop' | 'wait';
  durationMs?: number;
}

/** Runs an import; or the hourly housekeeping of imports (purging old files, settling orphans). */
export type ImportPayload = { importId: string } | { job: 'housekeeping' };

/** Who or what started a growth operation (kept on the unit it creates). */
export const GROWTH_TRIGGERS = ['automatic', 'scan', 'user'] as const;
export type GrowthTrigger = (typeof GROWTH_TRIGGERS)[number];

export type GrowthPayload =
  /** Forks the GEN account if its surplus reached the threshold (after a raising transaction, or a scan). */
  | { job: 'fork-check'; accountId: string; trigger: 'automatic' | 'scan' }
  /** Merges the unit, or proposes to, if its value reached the merge threshold. */
  | { job: 'merge-check'; unitId: string; trigger: 'automatic' | 'scan' }
  /** The scheduled scan: checks every active GEN account and forked unit. */
  | { job: 'scan' };

/** Reinvests every REV and COM account for a quarter ('2026-Q4'; by default the one the clock is in). */
export interface ReinvestmentPayload {
  quarter?: string;
}

/** A projection request as the API received it, plus the portfolio it starts from, if any. */
export interface ProjectionPayload {
  input: Record<string, unknown>;
  portfolioId?: string;
  format?: 'json' | 'csv' | 'svg';
}

/** The nightly ledger verification takes nothing: it checks the whole ledger. */
export type LedgerPayload = Record<string, never>;

export interface QueuePayloads {
  imports: ImportPayload;
  notifications: NotificationPayload;
  growth: GrowthPayload;
  reinvestments: ReinvestmentPayload;
  projections: ProjectionPayload;
  ledger: LedgerPayload;
  diagnostics: DiagnosticPayload;
}

/** Who asked for a task, kept with it so that only they (or an admin) can see or cancel it. */
export interface TaskMeta {
  ownerId?: string;
  correlationId?: string;
}

export type TaskData<Q extends QueueName> = QueuePayloads[Q] & { meta: TaskMeta };
