-- ledger_post(p jsonb): the ledger's only writer. This file is the function's current source;
-- the latest migration that replaces the function loads it (see ./sql-function.ts), and the
-- TypeScript that plans its input and maps its refusals points here:
--   src/modules/transactions/domain/movements.ts, postings.ts, ledger-screen.ts (the plan, the
--   guards screened in advance) and transactions.errors.ts (its refusals as problem codes).
--
-- It applies planned ledger requests in one call (one network round trip), with a fixed number
-- of set-based statements whatever the number of transactions in it. The payload holds the
-- transactions of one or more requests in order (each carrying its actor and correlation id) and
-- one audit entry per request; an idempotency key is only given for a single request:
--  1. claims the idempotency key (a concurrent duplicate waits on the unique index, then replays);
--  2. inserts the transactions, their postings and the audit rows: none of this locks an account,
--     so it is done before the account locks are taken, not while other writers wait for them;
--  3. locks every touched account in ascending id order (no deadlocks between writers);
--  4. computes every account's state before and after each transaction in request order with
--     window sums, finds the first transaction that breaks a guard, and otherwise applies the net
--     deltas in one UPDATE. The guards (docs/domain.md §3): the account exists, its status is
--     one the plan allows, no pocket goes below 0, the cash available above the buffer covers
--     `availableDebit`, and the account's total value and GEN baseline fit a bigint.
-- Every figure of the guards is numeric, so none overflows; only the UPDATE stores bigints again,
-- once the guards have checked they fit. An account's total value therefore always fits a bigint.
-- A GEN baseline never goes below 0 at any step: the clamped running sum has the closed form
-- max(b + P_n, P_n - min_k P_k) over the prefix sums P_k of the baseline changes.
-- A refusal raises SQLSTATE P0001 with the error code as message (IDEMPOTENCY_KEY_REUSED,
-- ACCOUNT_NOT_FOUND, ACCOUNT_NOT_ACTIVE, INSUFFICIENT_FUNDS, BALANCE_LIMIT_EXCEEDED) and JSON
-- details (the account, the index of the refused transaction, its state), aborting everything.
CREATE OR REPLACE FUNCTION ledger_post(p jsonb) RETURNS jsonb LANGUAGE plpgsql
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

  -- Every figure below is numeric: deltas, running sums, totals and the buffer product may pass
  -- bigint's range. Only the UPDATE stores bigints again, once the guards have checked they fit.
  WITH d AS (
    SELECT x.ord, (a->>'id')::uuid AS id, (a->>'cash')::numeric AS dc, (a->>'contracts')::numeric AS dk,
           (a->>'leaps')::numeric AS dl, (a->>'baseline')::numeric AS db, (a->>'availableDebit')::numeric AS avail,
           a->'statuses' AS statuses
      FROM jsonb_array_elements(p->'transactions') WITH ORDINALITY AS x (t, ord),
           jsonb_array_elements(x.t->'accounts') a
  ), steps AS (
    SELECT d.*, acc.id IS NOT NULL AS known, acc.status, acc.buffer_bp, acc.baseline,
           acc.cash + sum(d.dc) OVER w - d.dc AS cash0,
           acc.contracts + sum(d.dk) OVER w - d.dk AS contracts0,
           acc.leaps + sum(d.dl) OVER w - d.dl AS leaps0,
           sum(d.db) OVER w AS base_prefix
      FROM d LEFT JOIN (SELECT * FROM accounts WHERE id = ANY (v_ids)) acc ON acc.id = d.id
    WINDOW w AS (PARTITION BY d.id ORDER BY d.ord)
  ), net AS (
    SELECT id, sum(dc) AS dc, sum(dk) AS dk, sum(dl) AS dl,
           greatest(min(baseline) + sum(db), sum(db) - least(min(base_prefix), 0)) AS new_baseline,
           bool_or(db <> 0) AS moves_baseline, max(ord) AS last_ord
      FROM steps GROUP BY id
  ), bad AS (
    SELECT ord, id, status, cash0::text AS cash, contracts0::text AS contracts, leaps0::text AS leaps,
           buffer_bp, avail::text AS avail,
           CASE WHEN NOT known THEN 'ACCOUNT_NOT_FOUND'
                WHEN NOT (statuses ? status) THEN 'ACCOUNT_NOT_ACTIVE'
                WHEN cash0 + dc < 0 OR contracts0 + dk < 0 OR leaps0 + dl < 0 THEN 'INSUFFICIENT_FUNDS'
                WHEN cash0 + dc + contracts0 + dk + leaps0 + dl > 9223372036854775807 THEN 'BALANCE_LIMIT_EXCEEDED'
                ELSE 'INSUFFICIENT_FUNDS' END AS code
      FROM steps
     WHERE NOT known OR NOT (statuses ? status)
        OR cash0 + dc < 0 OR contracts0 + dk < 0 OR leaps0 + dl < 0
        OR cash0 + dc + contracts0 + dk + leaps0 + dl > 9223372036854775807
        OR (avail IS NOT NULL AND
            cash0 - div((cash0 + contracts0 + leaps0) * buffer_bp + 9999, 10000) < avail)
    UNION ALL
    -- The clamped baseline is only known per account (net); the last transaction that moved it is at fault.
    SELECT last_ord, id, NULL, NULL, NULL, NULL, NULL, NULL, 'BALANCE_LIMIT_EXCEEDED'
      FROM net WHERE moves_baseline AND new_baseline > 9223372036854775807
     ORDER BY ord LIMIT 1
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
