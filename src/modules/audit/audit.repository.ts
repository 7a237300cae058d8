import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  portfolioId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditContext {
  actorId?: string | null;
  ip?: string | null;
  correlationId?: string | null;
}

export interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  portfolio_id: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  correlation_id: string | null;
}

export interface AuditQuery {
  actorId?: string;
  portfolioId?: string;
  action?: string;
  from?: Date;
  to?: Date;
  beforeId?: string;
  limit: number;
}

/** A page of the audit log with the given filters, newest first; exported for the query analyzer. */
export function auditPageQuery(q: AuditQuery): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.actorId) add('actor_id = ?', q.actorId);
  if (q.portfolioId) add('portfolio_id = ?', q.portfolioId);
  if (q.action) add('action = ?', q.action);
  if (q.from) add('at >= ?', q.from);
  if (q.to) add('at < ?', q.to);
  if (q.beforeId) add('id < ?', q.beforeId);
  params.push(q.limit);
  const sql = `SELECT id::text, at, actor_id, action, entity_type, entity_id, portfolio_id, details, ip, correlation_id
         FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY audit_log.id DESC LIMIT $${params.length}`;
  return { sql, params };
}

@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(m: EntityManager | undefined, entry: AuditEntry, context: AuditContext): Promise<void> {
    await (m ?? this.db).query(
      `INSERT INTO audit_log (actor_id, action, entity_type, entity_id, portfolio_id, details, ip, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        context.actorId ?? null,
        entry.action,
        entry.entityType,
        entry.entityId ?? null,
        entry.portfolioId ?? null,
        JSON.stringify(entry.details ?? {}),
        context.ip ?? null,
        context.correlationId ?? null,
      ],
    );
  }

  /** Newest first, paged by id (the primary key, or audit_log_portfolio_idx for a portfolio). */
  async list(q: AuditQuery): Promise<AuditRow[]> {
    const { sql, params } = auditPageQuery(q);
    return this.db.query(sql, params);
  }
}
