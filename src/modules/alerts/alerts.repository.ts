import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ReceivedAlert } from './domain/alertmanager-webhook';

/** A recorded alert: what was received, with its id and when it was first and last recorded. */
export type AlertRow = ReceivedAlert & { id: string; receivedAt: Date; updatedAt: Date };

const ALERT_COLUMNS = `id::text, fingerprint, name, status, severity, labels, annotations, starts_at AS "startsAt",
  ends_at AS "endsAt", generator_url AS "generatorUrl", received_at AS "receivedAt", updated_at AS "updatedAt"`;

@Injectable()
export class AlertsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records every alert of one webhook call in one statement, and returns those whose forwarding
   * is owed: new firing ones, and firing ones now resolved (compared with the state last queued
   * for forwarding, so a call whose forwarding failed owes it again when Alertmanager retries).
   * A resolved occurrence stays resolved: a late retry of an older "firing" call cannot reopen it.
   */
  async upsert(alerts: ReceivedAlert[]): Promise<AlertRow[]> {
    const input = alerts.map((a) => ({
      fingerprint: a.fingerprint,
      name: a.name,
      status: a.status,
      severity: a.severity,
      labels: a.labels,
      annotations: a.annotations,
      starts_at: a.startsAt.toISOString(),
      ends_at: a.endsAt?.toISOString() ?? null,
      generator_url: a.generatorUrl,
    }));
    return this.db.query(
      `WITH input AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(
           fingerprint text, name text, status text, severity text, labels jsonb, annotations jsonb,
           starts_at timestamptz, ends_at timestamptz, generator_url text)
       ), saved AS (
         INSERT INTO alerts AS a (fingerprint, name, status, severity, labels, annotations, starts_at, ends_at, generator_url)
         SELECT fingerprint, name, status, severity, labels, annotations, starts_at, ends_at, generator_url FROM input
         ON CONFLICT (fingerprint, starts_at) DO UPDATE SET
           status = CASE WHEN a.status = 'resolved' THEN 'resolved' ELSE excluded.status END,
           ends_at = CASE WHEN a.status = 'resolved' THEN a.ends_at ELSE excluded.ends_at END,
           name = excluded.name,
           severity = excluded.severity,
           labels = excluded.labels,
           annotations = excluded.annotations,
           generator_url = excluded.generator_url,
           updated_at = now()
         RETURNING a.*
       )
       SELECT ${ALERT_COLUMNS}
         FROM saved
        WHERE (status = 'firing' AND forwarded_status IS NULL)
           OR (status = 'resolved' AND forwarded_status = 'firing')
        ORDER BY saved.id`,
      [JSON.stringify(input)],
    );
  }

  /** Remembers that these occurrences' current status was queued for forwarding. */
  async markForwarded(rows: Pick<AlertRow, 'id' | 'status'>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `UPDATE alerts a SET forwarded_status = x.status
         FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, status text)
        WHERE a.id = x.id`,
      [JSON.stringify(rows.map((r) => ({ id: r.id, status: r.status })))],
    );
  }

  /** Newest first, paged by id (alerts_status_idx, or the primary key without a status). */
  list(q: { status?: string; beforeId?: string; limit: number }): Promise<AlertRow[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (q.status) where.push(`status = $${params.push(q.status)}`);
    if (q.beforeId) where.push(`id < $${params.push(q.beforeId)}`);
    return this.db.query(
      `SELECT ${ALERT_COLUMNS}
         FROM alerts ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
        ORDER BY alerts.id DESC LIMIT $${params.push(q.limit)}`,
      params,
    );
  }
}
