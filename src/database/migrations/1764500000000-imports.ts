import { MigrationInterface, QueryRunner } from 'typeorm';

/** Bulk imports: the uploaded file, and the key of every line applied (so no line applies twice). */
export class Imports1764500000000 implements MigrationInterface {
  name = 'Imports1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imports (
        id uuid PRIMARY KEY,
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        owner_id uuid NOT NULL REFERENCES users (id),
        format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
        content text NOT NULL,
        line_count integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );

      -- A line's key is claimed in the same database transaction that applies it.
      CREATE TABLE import_line_keys (
        portfolio_id uuid NOT NULL,
        key text NOT NULL,
        transaction_id uuid NOT NULL,
        PRIMARY KEY (portfolio_id, key)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE import_line_keys, imports');
  }
}
