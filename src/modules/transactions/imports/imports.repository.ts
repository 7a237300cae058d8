import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { transactionWithRetry } from '../../../database/conflict-retry';
import type { ImportFormat } from '../domain/import-lines';

/** See the migration (1764800000000-import-pipeline.ts) for what each state means. */
export type ImportState = 'pending' | 'queued' | 'running' | 'finished' | 'failed' | 'refused';

/** What an import task reports: every line is accepted, a duplicate, or rejected (the first 1,000 listed). */
export interface ImportReport {
  importId: string;
  lines: number;
  accepted: number;
  duplicates: number;
  rejectedCount: number;
  rejected: { line: number; code: string; reason: string }[];
}

export interface NewImport {
  id: string;
  portfolioId: string;
  ownerId: string;
  keyId: string;
  format: ImportFormat;
  byteSize: number;
  idempotencyKey?: string;
  requestHash?: string;
}

export interface ImportRow {
  id: string;
  portfolioId: string;
  ownerId: string;
  keyId: string | null;
  format: ImportFormat;
  byteSize: number;
  state: ImportState;
  requestHash: string | null;
  lineCount: number | null;
  linesDone: number;
  report: ImportReport | null;
}

const IMPORT_COLUMNS = `id, portfolio_id AS "portfolioId", owner_id AS "ownerId", key_id AS "keyId", format,
  byte_size::int AS "byteSize", state, request_hash AS "requestHash", line_count AS "lineCount",
  lines_done AS "linesDone", report`;

/** Imports still to settle: a run of any of these states may start (or go on). */
const RUNNABLE = "state IN ('pending', 'queued', 'running', 'failed')";
const UNFINISHED = "state IN ('pending', 'queued', 'running')";
/** Purged per statement, so one housekeeping run never deletes an unbounded amount at once. */
const PURGE_BATCH = 100;

@Injectable()
export class ImportsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One database transaction, run once: the upload reads the request's stream, which cannot be read twice. */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** One database transaction, run again as a whole when PostgreSQL aborted it (deadlock, serialization). */
  transactionWithRetry<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return transactionWithRetry(this.db, work);
  }

  async insertChunk(m: EntityManager, importId: string, seq: number, data: Buffer): Promise<void> {
    await m.query('INSERT INTO import_chunks (import_id, seq, data) VALUES ($1, $2, $3)', [importId, seq, data]);
  }

  /** The stored file, piece by piece in order (one piece in memory at a time). */
  async *pieces(importId: string): AsyncGenerator<Buffer> {
    for (let seq = 0; ; seq++) {
      const rows: { data: Buffer }[] = await this.db.query(
        'SELECT data FROM import_chunks WHERE import_id = $1 AND seq = $2',
        [importId, seq],
      );
      if (!rows[0]) return;
      yield rows[0].data;
    }
  }

  /** Inserts the import; false when the caller's Idempotency-Key already names another one. */
  async insert(m: EntityManager, row: NewImport): Promise<boolean> {
    const inserted: unknown[] = await m.query(
      `INSERT INTO imports (id, portfolio_id, owner_id, key_id, format, byte_size, idempotency_key, request_hash)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (owner_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id`,
      [
        row.id,
        row.portfolioId,
        row.ownerId,
        row.keyId,
        row.format,
        row.byteSize,
        row.idempotencyKey ?? null,
        row.requestHash ?? null,
      ],
    );
    return inserted.length > 0;
  }

  async find(id: string): Promise<ImportRow | undefined> {
    const rows: ImportRow[] = await this.db.query(`SELECT ${IMPORT_COLUMNS} FROM imports WHERE id = $1`, [id]);
    return rows[0];
  }

  async findByIdempotencyKey(m: EntityManager, ownerId: string, key: string): Promise<ImportRow | undefined> {
    const rows: ImportRow[] = await m.query(
      `SELECT ${IMPORT_COLUMNS} FROM imports WHERE owner_id = $1 AND idempotency_key = $2`,
      [ownerId, key],
    );
    return rows[0];
  }

  /** Its task was added (unless a worker already took it further). */
  async markQueued(id: string): Promise<void> {
    await this.db.query("UPDATE imports SET state = 'queued', updated_at = now() WHERE id = $1 AND state = 'pending'", [
      id,
    ]);
  }

  /** Its task could not be queued: it will never run. False when its task started after all. */
  async refuse(id: string, code: string, error: string): Promise<boolean> {
    return this.update(`state = 'refused', error_code = $2, error = $3, finished_at = now()`, "state = 'pending'", [
      id,
      code,
      error,
    ]);
  }

  /** A retry with the same Idempotency-Key queues again an import that was refused (or not yet queued). */
  async requeue(id: string): Promise<boolean> {
    return this.update(
      "state = 'pending', error_code = NULL, error = NULL, finished_at = NULL",
      "state IN ('pending', 'refused') AND content_purged_at IS NULL",
      [id],
    );
  }

  /** Starts (or resumes) a run; undefined when the import may not run: finished, refused or purged. */
  async start(id: string): Promise<ImportRow | undefined> {
    const [rows] = await this.db.query<[ImportRow[], number]>(
      `UPDATE imports SET state = 'running', error_code = NULL, error = NULL, finished_at = NULL, updated_at = now()
        WHERE id = $1 AND ${RUNNABLE} AND content_purged_at IS NULL
        RETURNING ${IMPORT_COLUMNS}`,
      [id],
    );
    return rows[0];
  }

  async setLineCount(id: string, lines: number): Promise<void> {
    await this.db.query('UPDATE imports SET line_count = $2 WHERE id = $1', [id, lines]);
  }

  /** Locks the import's progress for the transaction that moves it on; returns the lines settled. */
  async lockProgress(m: EntityManager, id: string): Promise<number> {
    const rows: { linesDone: number }[] = await m.query(
      'SELECT lines_done AS "linesDone" FROM imports WHERE id = $1 FOR UPDATE',
      [id],
    );
    return rows[0].linesDone;
  }

  async saveProgress(m: EntityManager, id: string, linesDone: number, report: ImportReport): Promise<void> {
    await m.query('UPDATE imports SET lines_done = $2, report = $3, updated_at = now() WHERE id = $1', [
      id,
      linesDone,
      JSON.stringify(report),
    ]);
  }

  async finish(id: string, report: ImportReport): Promise<void> {
    await this.update("state = 'finished', report = $2, finished_at = now()", "state = 'running'", [
      id,
      JSON.stringify(report),
    ]);
  }

  /** Fails an unfinished import for good; false when it was not unfinished (already failed, say). */
  async fail(id: string, code: string, error: string): Promise<boolean> {
    return this.update(`state = 'failed', error_code = $2, error = $3, finished_at = now()`, UNFINISHED, [
      id,
      code,
      error,
    ]);
  }

  /** Claims line keys; returns those that were free (the others were applied before). */
  async claimKeys(m: EntityManager, portfolioId: string, claims: { key: string; transactionId: string }[]) {
    if (claims.length === 0) return new Set<string>();
    const rows: { key: string }[] = await m.query(
      `INSERT INTO import_line_keys (portfolio_id, key, transaction_id)
       SELECT $1, c.key, c.transaction_id FROM jsonb_to_recordset($2::jsonb) AS c (key text, transaction_id uuid)
       ON CONFLICT DO NOTHING RETURNING key`,
      [portfolioId, JSON.stringify(claims.map((c) => ({ key: c.key, transaction_id: c.transactionId })))],
    );
    return new Set(rows.map((r) => r.key));
  }

  /** Gives back keys claimed in this transaction by lines the ledger refused. */
  async releaseKeys(m: EntityManager, portfolioId: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await m.query('DELETE FROM import_line_keys WHERE portfolio_id = $1 AND key = ANY ($2::text[])', [
      portfolioId,
      keys,
    ]);
  }

  /**
   * Deletes the stored file of imports that finished (or failed, or were refused) more than
   * `days` ago; their rows, reports and line keys stay. Returns how many were purged.
   */
  async purgeContent(days: number): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: { n: number }[] = await this.db.query(
        `WITH purged AS (
           UPDATE imports SET content_purged_at = now()
            WHERE id IN (SELECT id FROM imports
                          WHERE finished_at < now() - make_interval(days => $1) AND content_purged_at IS NULL
                          ORDER BY finished_at LIMIT ${PURGE_BATCH})
           RETURNING id
         ), deleted AS (
           DELETE FROM import_chunks c USING purged WHERE c.import_id = purged.id
         )
         SELECT count(*)::int AS n FROM purged`,
        [days],
      );
      total += rows[0].n;
      if (rows[0].n < PURGE_BATCH) return total;
    }
  }

  /** Imports waiting for their task (pending or queued) and unchanged for `minutes`. */
  async waitingSince(minutes: number): Promise<{ id: string; state: 'pending' | 'queued' }[]> {
    return this.db.query(
      `SELECT id, state FROM imports
        WHERE state IN ('pending', 'queued') AND updated_at < now() - make_interval(mins => $1)
        ORDER BY updated_at LIMIT 1000`,
      [minutes],
    );
  }

  /**
   * Settles an import whose task is not in the queue: never queued (its API instance stopped
   * before adding it) is refused; queued, then removed before it ran (cancelled), has failed.
   */
  async settleOrphan(id: string, state: 'pending' | 'queued', minutes: number): Promise<boolean> {
    const [to, code] = state === 'pending' ? ['refused', 'QUEUE_UNAVAILABLE'] : ['failed', 'TASK_MISSING'];
    return this.update(
      `state = '${to}', error_code = '${code}', error = $3, finished_at = now()`,
      `state = $2 AND updated_at < now() - make_interval(mins => $4)`,
      [id, state, `${code}: its task is not in the queue`, minutes],
    );
  }

  /** Changes an import in state `where`; whether it did. `$1` is the import's id. */
  private async update(set: string, where: string, params: unknown[]): Promise<boolean> {
    const [, affected] = await this.db.query<[unknown, number]>(
      `UPDATE imports SET ${set}, updated_at = now() WHERE id = $1 AND ${where}`,
      params,
    );
    return affected > 0;
  }
}
