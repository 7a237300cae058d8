import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users and keys, portfolios and accounts, the double-entry ledger, idempotency keys and the
 * append-only audit log, plus `ledger_post`, the single-round-trip write path of the ledger.
 */
export class InitialSchema1764400000000 implements MigrationInterface {
  name = 'InitialSchema1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('admin', 'manager', 'operator', 'viewer', 'auditor')),
        created_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id),
        key_hash text NOT NULL UNIQUE,
        prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);

      CREATE TABLE portfolios (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id),
        name text NOT NULL,
        template text NOT NULL CHECK (template IN ('moderate', 'conservative', 'aggressive', 'custom')),
        gen_pct smallint NOT NULL,
        rev_pct smallint NOT NULL,
        com_pct smallint NOT NULL,
        buffer_bp integer NOT NULL CHECK (buffer_bp BETWEEN 0 AND 2000),
        fork_threshold bigint NOT NULL CHECK (fork_threshold > 0),
        merge_threshold bigint NOT NULL,
        merge_mode text NOT NULL CHECK (merge_mode IN ('auto', 'confirm')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (gen_pct + rev_pct + com_pct = 100),
        CHECK (merge_threshold > fork_threshold)
      );
      CREATE INDEX portfolios_owner_id_idx ON portfolios (owner_id, created_at);

      CREATE TABLE portfolio_grants (
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        user_id uuid NOT NULL REFERENCES users (id),
        role text NOT NULL CHECK (role IN ('operator', 'viewer')),
        granted_by uuid NOT NULL REFERENCES users (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (portfolio_id, user_id)
      );
      CREATE INDEX portfolio_grants_user_id_idx ON portfolio_grants (user_id);

      CREATE TABLE accounts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        type text NOT NULL CHECK (type IN ('GEN', 'REV', 'COM')),
        status text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED', 'CLOSED', 'MERGED')),
        unit_id uuid,
        parent_account_id uuid REFERENCES accounts (id),
        baseline bigint NOT NULL DEFAULT 0 CHECK (baseline >= 0),
        cash bigint NOT NULL DEFAULT 0 CHECK (cash >= 0),
        contracts bigint NOT NULL DEFAULT 0 CHECK (contracts >= 0),
        leaps bigint NOT NULL DEFAULT 0 CHECK (leaps >= 0),
        buffer_bp integer NOT NULL CHECK (buffer_bp BETWEEN 0 AND 2000),
        config jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX accounts_portfolio_id_idx ON accounts (portfolio_id, created_at, id);

      CREATE TABLE transactions (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        portfolio_id uuid NOT NULL REFERENCES portfolios (id),
        kind text NOT NULL CHECK (kind IN ('DEPOSIT', 'WITHDRAWAL', 'PREMIUM', 'TRADING_LOSS', 'FEE', 'TRANSFER',
          'REINVESTMENT', 'POSITION_CLOSE', 'FORK', 'MERGE', 'REVERSAL')),
        effective_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        memo text,
        actor_id uuid REFERENCES users (id),
        correlation_id text,
        reverses_id uuid UNIQUE REFERENCES transactions (id),
        baseline_changes jsonb NOT NULL DEFAULT '[]'
      );
      CREATE INDEX transactions_portfolio_idx ON transactions (portfolio_id, effective_at, seq);

      -- One row per leg; amount is signed (credit to the pocket > 0). Account pockets carry the
      -- account id; the external ledgers (bank, market, fees) carry none.
      CREATE TABLE postings (
        tx_seq bigint NOT NULL REFERENCES transactions (seq),
        idx smallint NOT NULL,
        account_id uuid REFERENCES accounts (id),
        ledger text NOT NULL CHECK (ledger IN ('cash', 'contracts', 'leaps',
          'external:bank', 'external:market', 'external:fees')),
        amount bigint NOT NULL CHECK (amount <> 0),
        effective_at timestamptz NOT NULL,
        PRIMARY KEY (tx_seq, idx),
        CHECK ((account_id IS NULL) = (ledger LIKE 'external:%'))
      );
      CREATE INDEX postings_account_idx ON postings (account_id, effective_at, tx_seq) WHERE account_id IS NOT NULL;

      CREATE TABLE idempotency_keys (
        owner_id uuid NOT NULL REFERENCES users (id),
        key text NOT NULL,
        request_hash text NOT NULL,
        transaction_ids uuid[],
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, key)
      );

      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id text,
        portfolio_id uuid,
        details jsonb NOT NULL DEFAULT '{}',
        ip text,
        correlation_id text
      );
      CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
      CREATE INDEX audit_log_portfolio_idx ON audit_log (portfolio_id, id DESC) WHERE portfolio_id IS NOT NULL;

      -- Ledger and audit history are append-only: corrections are new rows, never edits.
      CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'P0002';
      END;
      $fn$;
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION forbid_change();
      CREATE TRIGGER transactions_append_only BEFORE UPDATE OR DELETE ON transactions
        FOR EACH ROW EXECUTE FUNCTION forbid_change();
      CREATE TRIGGER postings_append_only BEFORE UPDATE OR DELETE ON postings
        FOR EACH ROW EXECUTE FUNCTION forbid_change();
    `);
    await q.query(LEDGER_POST_FUNCTION);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION ledger_post(jsonb);
      DROP TABLE audit_log, idempotency_keys, postings, transactions, accounts, portfolio_grants,
        portfolios, api_keys, users;
      DROP FUNCTION forbid_change();
    `);
  }
}

/**
 * Applies a planned ledger request in one call (one network round trip):
 *  1. claims the idempotency key (a concurrent duplicate waits on the unique index, then replays);
 *  2. locks every touched account in ascending id order (no deadlocks between writers);
 *  3. applies each transaction's per-account deltas in order, each UPDATE guarded by the
 *     account's allowed statuses, non-negative pockets and the available-cash limit;
 *  4. inserts the transactions, their postings and one audit row.
 * The plan (legs, deltas, guards) is built by the pure ledger rules in TypeScript; a refusal
 * raises SQLSTATE P0001 with the error code as message and JSON details, aborting everything.
 */
const LEDGER_POST_FUNCTION = `
CREATE FUNCTION ledger_post(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
  v_actor uuid := (p->>'actorId')::uuid;
  v_key text := p->>'idempotencyKey';
  v_existing record;
  v_tx jsonb;
  v_acc jsonb;
  v_row record;
  v_ids uuid[];
  v_result jsonb;
BEGIN
  IF v_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (owner_id, key, request_hash)
      VALUES (v_actor, v_key, p->>'requestHash') ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
      SELECT request_hash, transaction_ids INTO v_existing
        FROM idempotency_keys WHERE owner_id = v_actor AND key = v_key;
      IF v_existing.request_hash <> p->>'requestHash' THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'IDEMPOTENCY_KEY_REUSED',
          DETAIL = jsonb_build_object('key', v_key)::text;
      END IF;
      RETURN jsonb_build_object('replayed', true, 'transactionIds', to_jsonb(v_existing.transaction_ids));
    END IF;
  END IF;

  SELECT array_agg(DISTINCT (a->>'id')::uuid) INTO v_ids
    FROM jsonb_array_elements(p->'transactions') t, jsonb_array_elements(t->'accounts') a;
  PERFORM 1 FROM accounts WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE;

  FOR v_tx IN SELECT value FROM jsonb_array_elements(p->'transactions') LOOP
    FOR v_acc IN SELECT value FROM jsonb_array_elements(v_tx->'accounts') LOOP
      UPDATE accounts SET
          cash = cash + (v_acc->>'cash')::bigint,
          contracts = contracts + (v_acc->>'contracts')::bigint,
          leaps = leaps + (v_acc->>'leaps')::bigint,
          baseline = greatest(0, baseline + (v_acc->>'baseline')::bigint),
          updated_at = now()
        WHERE id = (v_acc->>'id')::uuid
          AND status IN (SELECT jsonb_array_elements_text(v_acc->'statuses'))
          AND cash + (v_acc->>'cash')::bigint >= 0
          AND contracts + (v_acc->>'contracts')::bigint >= 0
          AND leaps + (v_acc->>'leaps')::bigint >= 0
          AND (v_acc->>'availableDebit' IS NULL OR
               cash - (cash + contracts + leaps) * buffer_bp / 10000
                 - CASE WHEN (cash + contracts + leaps) * buffer_bp % 10000 > 0 THEN 1 ELSE 0 END
                 >= (v_acc->>'availableDebit')::bigint);
      IF NOT FOUND THEN
        SELECT id, status, cash, contracts, leaps, buffer_bp INTO v_row
          FROM accounts WHERE id = (v_acc->>'id')::uuid;
        IF v_row.id IS NULL THEN
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'ACCOUNT_NOT_FOUND',
            DETAIL = jsonb_build_object('accountId', v_acc->>'id')::text;
        ELSIF NOT (v_acc->'statuses' ? v_row.status) THEN
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'ACCOUNT_NOT_ACTIVE',
            DETAIL = jsonb_build_object('accountId', v_row.id, 'status', v_row.status)::text;
        ELSE
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'INSUFFICIENT_FUNDS',
            DETAIL = jsonb_build_object('accountId', v_row.id, 'cash', v_row.cash::text,
              'contracts', v_row.contracts::text, 'leaps', v_row.leaps::text,
              'bufferBp', v_row.buffer_bp, 'requested', v_acc)::text;
        END IF;
      END IF;
    END LOOP;
  END LOOP;

  WITH tx AS (
    INSERT INTO transactions (id, portfolio_id, kind, effective_at, memo, actor_id, correlation_id,
                              reverses_id, baseline_changes)
    SELECT (t->>'id')::uuid, (t->>'portfolioId')::uuid, t->>'kind',
           coalesce((t->>'effectiveAt')::timestamptz, now()), t->>'memo', v_actor,
           p->>'correlationId', (t->>'reversesId')::uuid, coalesce(t->'baselineChanges', '[]')
      FROM jsonb_array_elements(p->'transactions') WITH ORDINALITY AS x (t, ord)
     ORDER BY ord
    RETURNING id, seq, effective_at, created_at
  ), legs AS (
    INSERT INTO postings (tx_seq, idx, account_id, ledger, amount, effective_at)
    SELECT tx.seq, l.ord, (l.leg->>'accountId')::uuid, l.leg->>'ledger', (l.leg->>'amount')::bigint, tx.effective_at
      FROM jsonb_array_elements(p->'transactions') t
      JOIN tx ON tx.id = (t->>'id')::uuid
      CROSS JOIN LATERAL jsonb_array_elements(t->'legs') WITH ORDINALITY AS l (leg, ord)
  )
  SELECT jsonb_agg(jsonb_build_object('id', id, 'seq', seq::text, 'effectiveAt', effective_at,
                                      'createdAt', created_at) ORDER BY seq)
    INTO v_result FROM tx;

  INSERT INTO audit_log (actor_id, action, entity_type, entity_id, portfolio_id, details, ip, correlation_id)
  VALUES (v_actor, p->>'action', 'transaction', v_result->0->>'id',
          (p->'transactions'->0->>'portfolioId')::uuid,
          jsonb_build_object('count', jsonb_array_length(v_result),
                             'transactionIds', (SELECT jsonb_agg(e->'id') FROM jsonb_array_elements(v_result) e),
                             'idempotencyKey', v_key),
          p->>'ip', p->>'correlationId');

  IF v_key IS NOT NULL THEN
    UPDATE idempotency_keys
       SET transaction_ids = (SELECT array_agg((e->>'id')::uuid) FROM jsonb_array_elements(v_result) e)
     WHERE owner_id = v_actor AND key = v_key;
  END IF;

  RETURN jsonb_build_object('replayed', false, 'transactions', v_result);
END;
$fn$;
`;
