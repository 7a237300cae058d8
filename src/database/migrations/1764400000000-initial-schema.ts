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
        -- No foreign keys to portfolios or users here: ledger_post derives both from the locked
        -- accounts and the authenticated caller, and FK checks would share-lock one hot portfolio or
        -- user row from every concurrent writer (MultiXact contention on the hottest path).
        portfolio_id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('DEPOSIT', 'WITHDRAWAL', 'PREMIUM', 'TRADING_LOSS', 'FEE', 'TRANSFER',
          'REINVESTMENT', 'POSITION_CLOSE', 'FORK', 'MERGE', 'REVERSAL')),
        effective_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        memo text,
        actor_id uuid,
        correlation_id text,
        reverses_id uuid REFERENCES transactions (id),
        baseline_changes jsonb NOT NULL DEFAULT '[]'
      );
      -- Partial: most transactions reverse nothing, and need no entry in this index.
      CREATE UNIQUE INDEX transactions_reverses_id_key ON transactions (reverses_id) WHERE reverses_id IS NOT NULL;

      -- One row per leg; amount is signed (credit to the pocket > 0). Account pockets carry the
      -- account id; the external ledgers (bank, market, fees) carry none.
      -- No foreign keys on purpose: ledger_post is the only writer. It inserts each posting in the
      -- same statement as its transaction, and checks every account exists under its row lock;
      -- it inserts postings before taking those locks, which an FK check (a share lock on the
      -- account row) would make wait for every other writer of the account, and per-row FK checks
      -- were the largest cost of a 1,000-movement batch. The test suite checks the references.
      CREATE TABLE postings (
        tx_seq bigint NOT NULL,
        idx smallint NOT NULL,
        account_id uuid,
        ledger text NOT NULL CHECK (ledger IN ('cash', 'contracts', 'leaps',
          'external:bank', 'external:market', 'external:fees')),
        amount bigint NOT NULL CHECK (amount <> 0),
        effective_at timestamptz NOT NULL,
        PRIMARY KEY (tx_seq, idx),
        CHECK ((account_id IS NULL) = (ledger LIKE 'external:%'))
      );
      CREATE INDEX postings_account_idx ON postings (account_id, effective_at, tx_seq) WHERE account_id IS NOT NULL;

      CREATE TABLE idempotency_keys (
        owner_id uuid NOT NULL, -- the caller's user id (no FK, as for transactions.actor_id)
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
 * `ledger_post` as this migration first created it, kept as it was: a migration recreates what it
 * created then. Its current source, and what it does, are in src/database/functions/ledger_post.sql.
 */
export const LEDGER_POST_FUNCTION = `
CREATE FUNCTION ledger_post(p jsonb) RETURNS jsonb LANGUAGE plpgsql
-- Custom plans would re-plan every statement on every call: the jsonb argument tells the planner
-- nothing about row counts, so the cached generic plans are as good and much cheaper.
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_actor uuid := (p->>'actorId')::uuid;
  v_key text := p->>'idempotencyKey';
  v_existing record;
  v_bad record;
  v_result jsonb;
  v_ids uuid[];
BEGIN
  IF v_key IS NOT NULL THEN
    INSERT INTO idempotency_keys (owner_id, key, request_hash, transaction_ids)
    VALUES (v_actor, v_key, p->>'requestHash',
            ARRAY(SELECT (t->>'id')::uuid FROM jsonb_array_elements(p->'transactions') t))
    ON CONFLICT DO NOTHING;
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

  WITH x AS (
    SELECT t, ord FROM jsonb_array_elements(p->'transactions') WITH ORDINALITY AS e (t, ord)
  ), tx AS (
    INSERT INTO transactions (id, portfolio_id, kind, effective_at, memo, actor_id, correlation_id,
                              reverses_id, baseline_changes)
    SELECT (t->>'id')::uuid, (t->>'portfolioId')::uuid, t->>'kind',
           coalesce((t->>'effectiveAt')::timestamptz, now()), t->>'memo', (t->>'actorId')::uuid,
           t->>'correlationId', (t->>'reversesId')::uuid, coalesce(t->'baselineChanges', '[]')
      FROM x ORDER BY ord
    RETURNING id, seq, effective_at, created_at
  ), legs AS (
    INSERT INTO postings (tx_seq, idx, account_id, ledger, amount, effective_at)
    SELECT tx.seq, l.ord, (l.leg->>'accountId')::uuid, l.leg->>'ledger', (l.leg->>'amount')::bigint, tx.effective_at
      FROM x JOIN tx ON tx.id = (x.t->>'id')::uuid
      CROSS JOIN LATERAL jsonb_array_elements(x.t->'legs') WITH ORDINALITY AS l (leg, ord)
  ), audit AS (
    INSERT INTO audit_log (actor_id, action, entity_type, entity_id, portfolio_id, details, ip, correlation_id)
    SELECT (a->>'actorId')::uuid, a->>'action', 'transaction', a->'transactionIds'->>0, (a->>'portfolioId')::uuid,
           jsonb_build_object('count', jsonb_array_length(a->'transactionIds'), 'transactionIds', a->'transactionIds',
                              'idempotencyKey', a->>'idempotencyKey'),
           a->>'ip', a->>'correlationId'
      FROM jsonb_array_elements(p->'audits') a
  )
  SELECT jsonb_agg(jsonb_build_object('id', id, 'seq', seq::text, 'effectiveAt', effective_at,
                                      'createdAt', created_at) ORDER BY seq)
    INTO v_result FROM tx;

  -- An array, not a subquery: the planner cannot see how few rows a jsonb expansion yields and
  -- would scan the whole accounts table; id = ANY(array) is an index scan.
  v_ids := ARRAY(SELECT DISTINCT (a->>'id')::uuid
                   FROM jsonb_array_elements(p->'transactions') t, jsonb_array_elements(t->'accounts') a);
  PERFORM 1 FROM accounts WHERE id = ANY (v_ids) ORDER BY id FOR UPDATE;

  WITH d AS (
    SELECT x.ord, (a->>'id')::uuid AS id, (a->>'cash')::bigint AS dc, (a->>'contracts')::bigint AS dk,
           (a->>'leaps')::bigint AS dl, (a->>'baseline')::bigint AS db, (a->>'availableDebit')::bigint AS avail,
           a->'statuses' AS statuses
      FROM jsonb_array_elements(p->'transactions') WITH ORDINALITY AS x (t, ord),
           jsonb_array_elements(x.t->'accounts') a
  ), steps AS (
    SELECT d.*, acc.id IS NOT NULL AS known, acc.status, acc.buffer_bp, acc.baseline,
           -- sum(bigint) is numeric: cast back so the buffer division stays integer arithmetic.
           acc.cash + (sum(d.dc) OVER w)::bigint - d.dc AS cash0,
           acc.contracts + (sum(d.dk) OVER w)::bigint - d.dk AS contracts0,
           acc.leaps + (sum(d.dl) OVER w)::bigint - d.dl AS leaps0,
           (sum(d.db) OVER w)::bigint AS base_prefix
      FROM d LEFT JOIN (SELECT * FROM accounts WHERE id = ANY (v_ids)) acc ON acc.id = d.id
    WINDOW w AS (PARTITION BY d.id ORDER BY d.ord)
  ), bad AS (
    SELECT ord, id, known, status, cash0::text AS cash, contracts0::text AS contracts, leaps0::text AS leaps,
           buffer_bp, avail::text AS avail,
           CASE WHEN NOT known THEN 'ACCOUNT_NOT_FOUND'
                WHEN NOT (statuses ? status) THEN 'ACCOUNT_NOT_ACTIVE'
                ELSE 'INSUFFICIENT_FUNDS' END AS code
      FROM steps
     WHERE NOT known OR NOT (statuses ? status)
        OR cash0 + dc < 0 OR contracts0 + dk < 0 OR leaps0 + dl < 0
        OR (avail IS NOT NULL AND
            cash0 - ((cash0 + contracts0 + leaps0) * buffer_bp + 9999) / 10000 < avail)
     ORDER BY ord LIMIT 1
  ), net AS (
    SELECT id, sum(dc)::bigint AS dc, sum(dk)::bigint AS dk, sum(dl)::bigint AS dl,
           greatest(min(baseline) + sum(db), sum(db) - least(min(base_prefix), 0))::bigint AS new_baseline,
           bool_or(db <> 0) AS moves_baseline
      FROM steps GROUP BY id
  ), applied AS (
    UPDATE accounts acc
       SET cash = acc.cash + net.dc, contracts = acc.contracts + net.dk, leaps = acc.leaps + net.dl,
           baseline = CASE WHEN net.moves_baseline THEN net.new_baseline ELSE acc.baseline END,
           updated_at = now()
      FROM net
     WHERE acc.id = ANY (v_ids) AND acc.id = net.id AND NOT EXISTS (SELECT 1 FROM bad)
  )
  SELECT * INTO v_bad FROM bad;

  IF v_bad.code IS NOT NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = v_bad.code,
      DETAIL = jsonb_build_object('accountId', v_bad.id, 'itemIndex', v_bad.ord - 1, 'status', v_bad.status,
        'cash', v_bad.cash, 'contracts', v_bad.contracts, 'leaps', v_bad.leaps, 'bufferBp', v_bad.buffer_bp,
        'availableDebit', v_bad.avail)::text;
  END IF;

  RETURN jsonb_build_object('replayed', false, 'transactions', v_result);
END;
$fn$;
`;
