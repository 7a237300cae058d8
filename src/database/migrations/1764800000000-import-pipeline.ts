import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The import pipeline (docs/tasks.md#bulk-import): the file is stored in pieces as it streams in
 * and read back piece by piece by the task; each import has a state, its progress (lines settled
 * and the report so far, committed with the lines they describe), the API key that submitted it
 * (checked again when the task runs) and an optional Idempotency-Key. Lines without a key are
 * applied once per import by that progress, so only keyed lines claim a row in import_line_keys.
 *
 * Upgrade with the imports queue drained: the imports from before are marked finished (their
 * files move into import_chunks, and are purged with the others once past retention).
 */
export class ImportPipeline1764800000000 implements MigrationInterface {
  name = 'ImportPipeline1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- The file, in pieces of up to 1 MiB in order. The reference is checked at commit: the pieces
      -- are written while the file arrives, the import row once it is complete.
      CREATE TABLE import_chunks (
        import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        seq integer NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (import_id, seq)
      );
      INSERT INTO import_chunks (import_id, seq, data) SELECT id, 0, convert_to(content, 'UTF8') FROM imports;

      ALTER TABLE imports
        ADD COLUMN byte_size bigint,
        ADD COLUMN key_id uuid REFERENCES api_keys (id),
        ADD COLUMN idempotency_key text,
        ADD COLUMN request_hash text,
        -- pending: stored, its task being queued; queued; running; finished (report final);
        -- failed (error_code says why); refused: its task never reached the queue (503), so it never runs.
        ADD COLUMN state text NOT NULL DEFAULT 'pending'
          CHECK (state IN ('pending', 'queued', 'running', 'finished', 'failed', 'refused')),
        ADD COLUMN error_code text,
        ADD COLUMN error text,
        -- Data lines settled (applied, duplicate or rejected), and the report of those lines.
        ADD COLUMN lines_done integer NOT NULL DEFAULT 0,
        ADD COLUMN report jsonb,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN finished_at timestamptz,
        ADD COLUMN content_purged_at timestamptz,
        ALTER COLUMN line_count DROP NOT NULL;
      UPDATE imports SET byte_size = octet_length(content), state = 'finished', finished_at = created_at,
                         lines_done = line_count;
      ALTER TABLE imports ALTER COLUMN byte_size SET NOT NULL, DROP COLUMN content;

      -- One import per caller and Idempotency-Key (claimed with the row).
      CREATE UNIQUE INDEX imports_idempotency_key ON imports (owner_id, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      -- Housekeeping: finished imports whose file is still stored, and imports waiting for their task.
      CREATE INDEX imports_retained_idx ON imports (finished_at)
        WHERE finished_at IS NOT NULL AND content_purged_at IS NULL;
      CREATE INDEX imports_waiting_idx ON imports (updated_at) WHERE state IN ('pending', 'queued');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE imports ADD COLUMN content text;
      UPDATE imports i SET content = coalesce(
        (SELECT convert_from(string_agg(c.data, ''::bytea ORDER BY c.seq), 'UTF8')
           FROM import_chunks c WHERE c.import_id = i.id), '');
      UPDATE imports SET line_count = coalesce(line_count, 0);
      ALTER TABLE imports
        ALTER COLUMN content SET NOT NULL,
        ALTER COLUMN line_count SET NOT NULL,
        DROP COLUMN byte_size, DROP COLUMN key_id, DROP COLUMN idempotency_key, DROP COLUMN request_hash,
        DROP COLUMN state, DROP COLUMN error_code, DROP COLUMN error, DROP COLUMN lines_done,
        DROP COLUMN report, DROP COLUMN updated_at, DROP COLUMN finished_at, DROP COLUMN content_purged_at;
      DROP TABLE import_chunks;
    `);
  }
}
