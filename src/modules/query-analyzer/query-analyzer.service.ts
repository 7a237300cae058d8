import { Injectable } from '@nestjs/common';
import { summarizePlan } from './domain/plan-summary';
import type { KeyQueryListView, KeyQueryPlanView, StatementsView } from './dto/queries.dto';
import { findKeyQuery, KEY_QUERIES, type KeyQuery } from './key-queries';
import { keyQueryNotFound } from './query-analyzer.errors';
import { QueryAnalyzerRepository, StatisticsNotLoadedError, type StatementOrder } from './query-analyzer.repository';

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export const NOT_PACKAGED_REASON =
  'pg_stat_statements is not available on this PostgreSQL server: install its contrib package ' +
  '(postgresql-contrib), add pg_stat_statements to shared_preload_libraries, restart the server, then run ' +
  'CREATE EXTENSION pg_stat_statements in this database.';
export const NOT_INSTALLED_REASON =
  'pg_stat_statements is not installed in this database: run CREATE EXTENSION pg_stat_statements in it ' +
  '(as a superuser); the server must also list it in shared_preload_libraries (postgresql.conf: ' +
  "shared_preload_libraries = 'pg_stat_statements', then restart).";
export const NOT_LOADED_REASON =
  'pg_stat_statements is installed in this database but not loaded by the server: add it to ' +
  "shared_preload_libraries (postgresql.conf: shared_preload_libraries = 'pg_stat_statements') and restart PostgreSQL.";

/** The heaviest statements (pg_stat_statements) and the plans of the service's key queries. */
@Injectable()
export class QueryAnalyzerService {
  constructor(private readonly repository: QueryAnalyzerRepository) {}

  async topStatements(orderBy: StatementOrder = 'total', limit = 20): Promise<StatementsView> {
    const schema = await this.repository.statementsSchema();
    if (schema === undefined) {
      const packaged = await this.repository.statementsPackaged();
      return { available: false, reason: packaged ? NOT_INSTALLED_REASON : NOT_PACKAGED_REASON };
    }
    try {
      const rows = await this.repository.topStatements(schema, orderBy, limit);
      return {
        available: true,
        orderBy,
        limit,
        statements: rows.map((r) => ({
          queryId: r.queryid,
          query: r.query,
          calls: Number(r.calls),
          totalTimeMs: round(r.total_ms),
          meanTimeMs: round(r.mean_ms),
          rows: Number(r.rows),
        })),
      };
    } catch (error) {
      if (error instanceof StatisticsNotLoadedError) return { available: false, reason: NOT_LOADED_REASON };
      throw error;
    }
  }

  listKeyQueries(): KeyQueryListView {
    return { queries: KEY_QUERIES.map(describe) };
  }

  async explain(name: string): Promise<KeyQueryPlanView> {
    const query = findKeyQuery(name);
    if (!query) throw keyQueryNotFound(name);
    const { sql, params } = query.build(await this.repository.sampleValues(), new Date());
    const plan = await this.repository.explain(sql, params);
    return { ...describe(query), sql, parameters: params, summary: summarizePlan(plan), plan };
  }
}

function describe(q: KeyQuery) {
  return {
    name: q.name,
    description: q.description,
    source: q.source,
    servedBy: q.servedBy,
    acceptedSeqScans: q.acceptedSeqScans,
  };
}
