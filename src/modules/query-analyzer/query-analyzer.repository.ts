import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SampleValues } from './key-queries';

export type StatementOrder = 'total' | 'mean' | 'calls';

/** Whitelisted sort columns: the order is never built from input. */
const ORDER_COLUMNS: Record<StatementOrder, string> = {
  total: 'total_exec_time',
  mean: 'mean_exec_time',
  calls: 'calls',
};

export interface StatementRow {
  queryid: string;
  query: string;
  calls: string;
  total_ms: number;
  mean_ms: number;
  rows: string;
}

/** SQLSTATE 55000 (object_not_in_prerequisite_state): pg_stat_statements read without the library preloaded. */
const NOT_PRELOADED = '55000';

export class StatisticsNotLoadedError extends Error {
  override name = 'StatisticsNotLoadedError';
}

/** PostgreSQL's own statistics and plans: pg_stat_statements, EXPLAIN, and sample values. */
@Injectable()
export class QueryAnalyzerRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Where pg_stat_statements is installed in this database (its schema), if it is. */
  async statementsSchema(): Promise<string | undefined> {
    const rows: { schema: string }[] = await this.db.query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_stat_statements'`,
    );
    return rows[0]?.schema;
  }

  /** Whether the server has the extension's files (the contrib package), installed here or not. */
  async statementsPackaged(): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
    );
    return rows.length > 0;
  }

  /**
   * The heaviest statements of this database. Throws StatisticsNotLoadedError when the extension is
   * installed but its library was not preloaded (the view cannot be read then).
   */
  async topStatements(schema: string, orderBy: StatementOrder, limit: number): Promise<StatementRow[]> {
    const view = `"${schema.replace(/"/g, '""')}".pg_stat_statements`;
    try {
      return await this.db.query(
        `SELECT queryid::text, query, calls::text, total_exec_time AS total_ms, mean_exec_time AS mean_ms,
                rows::text
           FROM ${view}
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY ${ORDER_COLUMNS[orderBy]} DESC, queryid
          LIMIT $1`,
        [limit],
      );
    } catch (error) {
      if ((error as { code?: string }).code === NOT_PRELOADED) throw new StatisticsNotLoadedError();
      throw error;
    }
  }

  /**
   * The plan PostgreSQL would choose: EXPLAIN without ANALYZE (nothing is executed), inside a
   * read-only transaction that is rolled back.
   */
  async explain(sql: string, params: unknown[]): Promise<unknown> {
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      await runner.query('BEGIN READ ONLY');
      try {
        const rows: { 'QUERY PLAN': unknown }[] = await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
        return rows[0]['QUERY PLAN'];
      } finally {
        await runner.query('ROLLBACK');
      }
    } finally {
      await runner.release();
    }
  }

  /** The newest row of each kind the key queries look up (each read through an index). */
  async sampleValues(): Promise<SampleValues> {
    const [row]: Partial<Record<string, string | null>>[] = await this.db.query(
      `SELECT a.account_id, (SELECT portfolio_id FROM accounts WHERE id = a.account_id) AS portfolio_id,
              u.portfolio_id AS units_portfolio_id, u.id AS unit_id,
              (SELECT id FROM users ORDER BY created_at DESC, id DESC LIMIT 1) AS user_id,
              (SELECT portfolio_id FROM audit_log WHERE portfolio_id IS NOT NULL ORDER BY id DESC LIMIT 1)
                AS audit_portfolio_id,
              i.owner_id AS idempotency_owner_id, i.key AS idempotency_key
         FROM (SELECT account_id FROM postings WHERE account_id IS NOT NULL ORDER BY tx_seq DESC LIMIT 1) a
         FULL JOIN (SELECT owner_id, key FROM idempotency_keys LIMIT 1) i ON true
         FULL JOIN (SELECT id, portfolio_id FROM units ORDER BY seq DESC LIMIT 1) u ON true`,
    );
    const some = (value: string | null | undefined) => value ?? randomUUID();
    return {
      accountId: some(row?.account_id),
      portfolioId: some(row?.portfolio_id),
      unitsPortfolioId: some(row?.units_portfolio_id),
      unitId: some(row?.unit_id),
      userId: some(row?.user_id),
      auditPortfolioId: some(row?.audit_portfolio_id),
      idempotencyOwnerId: some(row?.idempotency_owner_id),
      idempotencyKey: some(row?.idempotency_key),
    };
  }
}
