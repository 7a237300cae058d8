import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { transactionWithRetry } from '../../../database/conflict-retry';
import type { ImportFormat } from '../domain/import-lines';

export interface ImportRow {
  id: string;
  portfolio_id: string;
  owner_id: string;
  format: ImportFormat;
  content: string;
  line_count: number;
}

@Injectable()
export class ImportsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(row: ImportRow): Promise<void> {
    await this.db.query(
      'INSERT INTO imports (id, portfolio_id, owner_id, format, content, line_count) VALUES ($1, $2, $3, $4, $5, $6)',
      [row.id, row.portfolio_id, row.owner_id, row.format, row.content, row.line_count],
    );
  }

  async find(id: string): Promise<ImportRow | undefined> {
    const rows: ImportRow[] = await this.db.query(
      'SELECT id, portfolio_id, owner_id, format, content, line_count FROM imports WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /** Claims line keys; returns those that were free (the others were applied before). */
  async claimKeys(m: EntityManager, portfolioId: string, claims: { key: string; transactionId: string }[]) {
    const rows: { key: string }[] = await m.query(
      `INSERT INTO import_line_keys (portfolio_id, key, transaction_id)
       SELECT $1, c.key, c.transaction_id FROM jsonb_to_recordset($2::jsonb) AS c (key text, transaction_id uuid)
       ON CONFLICT DO NOTHING RETURNING key`,
      [portfolioId, JSON.stringify(claims.map((c) => ({ key: c.key, transaction_id: c.transactionId })))],
    );
    return new Set(rows.map((r) => r.key));
  }

  /** One database transaction, run again as a whole when PostgreSQL aborted it (deadlock, serialization). */

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return transactionWithRetry(this.db, work);
  }
}
