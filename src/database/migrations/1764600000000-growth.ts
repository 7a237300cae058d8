import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The growth engine (docs/domain.md §5–§7): forked units, merge proposals, reinvestments, and the
 * reinvestment settings every account's configuration now carries.
 */
export class Growth1764600000000 implements MigrationInterface {
  name = 'Growth1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- A forked unit: one GEN and one COM account grown from a GEN account's surplus. seq is the
      -- creation order, which the projection and the tree follow.
      CREATE TABLE units (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        parent_account_id uuid NOT NULL REFERENCES accounts (id),
        -- The unit of the parent GEN account; null when a root GEN account forked.
        parent_unit_id uuid REFERENCES units (id),
        gen_account_id uuid NOT NULL UNIQUE REFERENCES accounts (id),
        com_account_id uuid NOT NULL UNIQUE REFERENCES accounts (id),
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'MERGED')),
        amount bigint NOT NULL CHECK (amount > 0),
        trigger text NOT NULL CHECK (trigger IN ('automatic', 'scan', 'user')),
        created_by uuid REFERENCES users (id),
        fork_transaction_id uuid NOT NULL UNIQUE,
        merge_transaction_id uuid UNIQUE,
        created_at timestamptz NOT NULL,
        merged_at timestamptz,
        CHECK ((status = 'MERGED') = (merge_transaction_id IS NOT NULL))
      );
      CREATE INDEX units_portfolio_idx ON units (portfolio_id, seq);
      CREATE INDEX units_parent_account_idx ON units (parent_account_id);

      -- A unit's accounts are inserted before the unit row, in the same transaction.
      ALTER TABLE accounts ADD CONSTRAINT accounts_unit_id_fkey
        FOREIGN KEY (unit_id) REFERENCES units (id) DEFERRABLE INITIALLY DEFERRED;
      CREATE INDEX accounts_unit_id_idx ON accounts (unit_id) WHERE unit_id IS NOT NULL;
      -- The fork scan reads every active GEN account.
      CREATE INDEX accounts_active_gen_idx ON accounts (portfolio_id) WHERE type = 'GEN' AND status = 'ACTIVE';

      CREATE TABLE merge_proposals (
        id uuid PRIMARY KEY,
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        unit_id uuid NOT NULL REFERENCES units (id),
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'CONFIRMED', 'REJECTED', 'SUPERSEDED')),
        value bigint NOT NULL,
        created_at timestamptz NOT NULL,
        decided_at timestamptz,
        decided_by uuid REFERENCES users (id),
        note text
      );
      -- At most one open proposal per unit, however many checks race.
      CREATE UNIQUE INDEX merge_proposals_pending_key ON merge_proposals (unit_id) WHERE status = 'PENDING';
      CREATE INDEX merge_proposals_portfolio_idx ON merge_proposals (portfolio_id, created_at DESC);
      CREATE INDEX merge_proposals_unit_idx ON merge_proposals (unit_id, created_at DESC);

      -- quarter is set for the scheduled reinvestment ('2026-Q4'), null for one a user asked for:
      -- the unique index makes the scheduled one happen at most once per account and quarter.
      CREATE TABLE reinvestments (
        transaction_id uuid PRIMARY KEY,
        account_id uuid NOT NULL REFERENCES accounts (id),
        quarter text CHECK (quarter ~ '^[0-9]{4}-Q[1-4]$'),
        amount bigint NOT NULL CHECK (amount > 0),
        created_at timestamptz NOT NULL
      );
      CREATE UNIQUE INDEX reinvestments_quarter_key ON reinvestments (account_id, quarter) WHERE quarter IS NOT NULL;
      CREATE INDEX reinvestments_account_idx ON reinvestments (account_id, created_at DESC);

      -- docs/domain.md §1 defaults: reinvest 100 % of the quarter's net income, nothing below 100.00.
      UPDATE accounts SET config = config || '{"reinvestRatePct": 100, "minReinvestment": "100.00"}'::jsonb;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE accounts SET config = config - 'reinvestRatePct' - 'minReinvestment';
      DROP TABLE reinvestments, merge_proposals;
      DROP INDEX accounts_active_gen_idx, accounts_unit_id_idx;
      ALTER TABLE accounts DROP CONSTRAINT accounts_unit_id_fkey;
      DROP TABLE units;
    `);
  }
}
