import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts received from Alertmanager (docs/alerting.md). One row per alert occurrence: an alert is
 * identified by its fingerprint (a hash of its labels) and when it started firing, so a webhook
 * call repeated by Alertmanager updates the same row.
 */
export class Alerts1764700000000 implements MigrationInterface {
  name = 'Alerts1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        fingerprint text NOT NULL,
        name text NOT NULL,
        status text NOT NULL CHECK (status IN ('firing', 'resolved')),
        severity text,
        labels jsonb NOT NULL,
        annotations jsonb NOT NULL,
        starts_at timestamptz NOT NULL,
        -- null while firing (Alertmanager sends its zero time, or when it would time out).
        ends_at timestamptz,
        generator_url text,
        -- The status last queued for forwarding to people (null: none yet); what is owed is the difference.
        forwarded_status text CHECK (forwarded_status IN ('firing', 'resolved')),
        received_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT alerts_occurrence_key UNIQUE (fingerprint, starts_at)
      );
      -- GET /v1/alerts?status=...: newest first, by status.
      CREATE INDEX alerts_status_idx ON alerts (status, id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE alerts');
  }
}
