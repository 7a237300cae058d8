/**
 * The ledger's invariants (docs/domain.md §3, and the records the growth engine keeps beside the
 * ledger), each as one query that lists what breaks it. The one definition of "a sound ledger":
 * the admin endpoint, the nightly job, `npm run ledger:verify` and the tests' `ledgerViolations`
 * all run these. No framework here: the caller brings a way to run SQL on one connection.
 *
 * Each query yields rows of `subject` (what is wrong: an account, a transaction, a record) and
 * `detail` (a JSON object saying how).
 */
export const LEDGER_CHECKS = [
  {
    name: 'unbalanced_transactions',
    description: "a transaction's postings do not sum to zero",
    sql: `SELECT coalesce(t.id::text, 'seq ' || s.tx_seq) AS subject,
                 jsonb_build_object('seq', s.tx_seq::text, 'sum', s.total::text) AS detail
            FROM (SELECT tx_seq, sum(amount) AS total FROM postings GROUP BY tx_seq HAVING sum(amount) <> 0) s
            LEFT JOIN transactions t ON t.seq = s.tx_seq`,
  },
  {
    name: 'pocket_drift',
    description: "an account's stored pocket differs from the sum of its postings",
    sql: `WITH sums AS (
            SELECT account_id,
                   coalesce(sum(amount) FILTER (WHERE ledger = 'cash'), 0) AS cash,
                   coalesce(sum(amount) FILTER (WHERE ledger = 'contracts'), 0) AS contracts,
                   coalesce(sum(amount) FILTER (WHERE ledger = 'leaps'), 0) AS leaps
              FROM postings WHERE account_id IS NOT NULL GROUP BY account_id)
          SELECT a.id::text AS subject,
                 jsonb_build_object(
                   'stored', jsonb_build_object('cash', a.cash::text, 'contracts', a.contracts::text, 'leaps', a.leaps::text),
                   'postings', jsonb_build_object('cash', coalesce(s.cash, 0)::text,
                                                  'contracts', coalesce(s.contracts, 0)::text,
                                                  'leaps', coalesce(s.leaps, 0)::text)) AS detail
            FROM accounts a LEFT JOIN sums s ON s.account_id = a.id
           WHERE a.cash <> coalesce(s.cash, 0) OR a.contracts <> coalesce(s.contracts, 0)
              OR a.leaps <> coalesce(s.leaps, 0)`,
  },
  {
    name: 'negative_balances',
    description: 'an account has a negative pocket or baseline',
    sql: `SELECT id::text AS subject,
                 jsonb_build_object('cash', cash::text, 'contracts', contracts::text, 'leaps', leaps::text,
                                    'baseline', baseline::text) AS detail
            FROM accounts WHERE cash < 0 OR contracts < 0 OR leaps < 0 OR baseline < 0`,
  },
  {
    name: 'orphan_postings',
    description: 'a posting refers to a transaction or an account that does not exist',
    sql: `SELECT 'seq ' || p.tx_seq || ' leg ' || p.idx AS subject,
                 jsonb_build_object('seq', p.tx_seq::text, 'leg', p.idx, 'accountId', p.account_id,
                                    'missing', CASE WHEN t.seq IS NULL THEN 'transaction' ELSE 'account' END) AS detail
            FROM postings p LEFT JOIN transactions t ON t.seq = p.tx_seq
           WHERE t.seq IS NULL
              OR (p.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id))`,
  },
  {
    name: 'transactions_without_postings',
    description: 'a transaction has no postings',
    sql: `SELECT t.id::text AS subject, jsonb_build_object('seq', t.seq::text, 'kind', t.kind) AS detail
            FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.tx_seq = t.seq)`,
  },
  {
    name: 'dangling_idempotency_keys',
    description: 'an Idempotency-Key record names no transaction, or one that does not exist',
    sql: `SELECT k.owner_id || '/' || k.key AS subject,
                 jsonb_build_object('ownerId', k.owner_id, 'key', k.key,
                                    'missingTransactionIds', coalesce(to_jsonb(m.ids), '[]')) AS detail
            FROM idempotency_keys k
            LEFT JOIN LATERAL (SELECT array_agg(u.id) AS ids FROM unnest(k.transaction_ids) AS u (id)
                                WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = u.id)) m ON true
           WHERE coalesce(cardinality(k.transaction_ids), 0) = 0 OR m.ids IS NOT NULL`,
  },
  {
    name: 'dangling_import_line_keys',
    description: 'an imported line records a transaction that does not exist',
    sql: `SELECT k.portfolio_id || '/' || k.key AS subject,
                 jsonb_build_object('portfolioId', k.portfolio_id, 'key', k.key, 'transactionId', k.transaction_id) AS detail
            FROM import_line_keys k WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = k.transaction_id)`,
  },
  {
    name: 'fork_records',
    description: 'a unit and its FORK transaction disagree, or a FORK transaction has no unit',
    sql: `SELECT 'unit ' || u.id AS subject,
                 jsonb_build_object('transactionId', u.fork_transaction_id, 'amount', u.amount::text,
                   'problem', CASE WHEN t.id IS NULL THEN 'its FORK transaction does not exist'
                                   WHEN t.kind <> 'FORK' THEN 'its fork transaction is a ' || t.kind
                                   WHEN t.portfolio_id <> u.portfolio_id THEN 'its FORK transaction is of another portfolio'
                                   ELSE 'its FORK transaction took ' || coalesce(-f.taken, 0) || ' from the parent and gave '
                                        || coalesce(f.given, 0) || ' to the unit' END) AS detail
            FROM units u
            LEFT JOIN transactions t ON t.id = u.fork_transaction_id
            LEFT JOIN LATERAL (
              SELECT sum(p.amount) FILTER (WHERE p.account_id = u.parent_account_id) AS taken,
                     sum(p.amount) FILTER (WHERE p.account_id IN (u.gen_account_id, u.com_account_id)) AS given
                FROM postings p WHERE p.tx_seq = t.seq) f ON true
           WHERE t.id IS NULL OR t.kind <> 'FORK' OR t.portfolio_id <> u.portfolio_id
              OR coalesce(-f.taken, 0) <> u.amount OR coalesce(f.given, 0) <> u.amount
          UNION ALL
          SELECT 'transaction ' || t.id, jsonb_build_object('problem', 'no unit records this FORK transaction')
            FROM transactions t
           WHERE t.kind = 'FORK' AND NOT EXISTS (SELECT 1 FROM units u WHERE u.fork_transaction_id = t.id)`,
  },
  {
    name: 'merge_records',
    description: 'a merged unit and its MERGE transaction disagree, or a MERGE transaction has no unit',
    sql: `SELECT 'unit ' || u.id AS subject,
                 jsonb_build_object('transactionId', u.merge_transaction_id,
                   'problem', CASE WHEN t.id IS NULL THEN 'its MERGE transaction does not exist'
                                   WHEN t.kind <> 'MERGE' THEN 'its merge transaction is a ' || t.kind
                                   WHEN t.portfolio_id <> u.portfolio_id THEN 'its MERGE transaction is of another portfolio'
                                   WHEN m.stray THEN 'its MERGE transaction credits an account other than the root COM'
                                   ELSE 'its accounts are not MERGED and empty' END) AS detail
            FROM units u
            LEFT JOIN transactions t ON t.id = u.merge_transaction_id
            LEFT JOIN LATERAL (
              SELECT bool_or(p.amount > 0 AND p.account_id IS DISTINCT FROM
                       (SELECT r.id FROM accounts r WHERE r.portfolio_id = u.portfolio_id AND r.type = 'COM'
                           AND r.unit_id IS NULL)) AS stray
                FROM postings p WHERE p.tx_seq = t.seq) m ON true
           WHERE u.status = 'MERGED'
             AND (t.id IS NULL OR t.kind <> 'MERGE' OR t.portfolio_id <> u.portfolio_id OR m.stray
                  OR EXISTS (SELECT 1 FROM accounts a WHERE a.id IN (u.gen_account_id, u.com_account_id)
                                AND (a.status <> 'MERGED' OR a.cash <> 0 OR a.contracts <> 0 OR a.leaps <> 0)))
          UNION ALL
          SELECT 'transaction ' || t.id, jsonb_build_object('problem', 'no unit records this MERGE transaction')
            FROM transactions t
           WHERE t.kind = 'MERGE' AND NOT EXISTS (SELECT 1 FROM units u WHERE u.merge_transaction_id = t.id)`,
  },
  {
    name: 'reinvestment_records',
    description: 'a reinvestment record and its REINVESTMENT transaction disagree, or the transaction has no record',
    sql: `SELECT 'reinvestment ' || r.transaction_id AS subject,
                 jsonb_build_object('accountId', r.account_id, 'amount', r.amount::text,
                   'problem', CASE WHEN t.id IS NULL THEN 'its REINVESTMENT transaction does not exist'
                                   WHEN t.kind <> 'REINVESTMENT' THEN 'its transaction is a ' || t.kind
                                   ELSE 'its transaction took ' || coalesce(-m.cash, 0) || ' from the account''s cash' END) AS detail
            FROM reinvestments r
            LEFT JOIN transactions t ON t.id = r.transaction_id
            LEFT JOIN LATERAL (SELECT sum(p.amount) AS cash FROM postings p
                                WHERE p.tx_seq = t.seq AND p.account_id = r.account_id AND p.ledger = 'cash') m ON true
           WHERE t.id IS NULL OR t.kind <> 'REINVESTMENT' OR coalesce(-m.cash, 0) <> r.amount
          UNION ALL
          SELECT 'transaction ' || t.id, jsonb_build_object('problem', 'no reinvestment record names this REINVESTMENT')
            FROM transactions t
           WHERE t.kind = 'REINVESTMENT' AND NOT EXISTS (SELECT 1 FROM reinvestments r WHERE r.transaction_id = t.id)`,
  },
] as const;

export type LedgerCheckName = (typeof LEDGER_CHECKS)[number]['name'];
export const LEDGER_CHECK_NAMES: LedgerCheckName[] = LEDGER_CHECKS.map((c) => c.name);

export interface LedgerViolation {
  check: LedgerCheckName;
  subject: string;
  detail: Record<string, unknown>;
}

export interface LedgerVerification {
  /** No check found anything. */
  ok: boolean;
  /** When the checks' snapshot was taken (the database's clock). */
  checkedAt: string;
  /** Every check, in order, with how many violations it found. */
  checks: { name: LedgerCheckName; violations: number }[];
  /** The violations found, check by check, at most `limit` of them. */
  violations: LedgerViolation[];
}

/** Runs SQL on one connection and answers the rows (a pg client, a TypeORM query runner). */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<Record<string, any>[]>;

/**
 * Runs every check through `query`, listing at most `limit` violations in all (the counts are
 * always complete). The caller decides the snapshot: see {@link verifyLedgerInSnapshot}.
 */
export async function verifyLedger(query: SqlQuery, limit = 100): Promise<LedgerVerification> {
  const [{ now }] = await query('SELECT now() AS now');
  const checks: LedgerVerification['checks'] = [];
  const violations: LedgerViolation[] = [];
  for (const check of LEDGER_CHECKS) {
    const rows = await query(
      `SELECT subject, detail, count(*) OVER ()::text AS total FROM (${check.sql}) v ORDER BY subject LIMIT $1`,
      [Math.max(limit - violations.length, 1)],
    );
    checks.push({ name: check.name, violations: rows.length ? Number(rows[0].total) : 0 });
    for (const row of rows.slice(0, limit - violations.length)) {
      violations.push({ check: check.name, subject: String(row.subject), detail: row.detail });
    }
  }
  return {
    ok: checks.every((c) => c.violations === 0),
    checkedAt: new Date(now).toISOString(),
    checks,
    violations,
  };
}

/**
 * {@link verifyLedger} in one read-only, repeatable-read transaction on the connection behind
 * `query`: every check sees the same snapshot, however many writers go on meanwhile.
 * `statementTimeoutMs` replaces the connection's statement timeout for it (0: none), since the
 * checks read whole tables.
 */
export async function verifyLedgerInSnapshot(
  query: SqlQuery,
  options: { limit?: number; statementTimeoutMs?: number } = {},
): Promise<LedgerVerification> {
  await query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    if (options.statementTimeoutMs !== undefined) {
      await query(`SET LOCAL statement_timeout = ${Math.max(0, Math.floor(options.statementTimeoutMs))}`);
    }
    const result = await verifyLedger(query, options.limit);
    await query('COMMIT');
    return result;
  } catch (error) {
    await query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** One line per violation, as the script prints them and the tests compare them. */
export const describeViolation = (v: LedgerViolation) => `${v.check} ${v.subject}: ${JSON.stringify(v.detail)}`;

/** A {@link SqlQuery} over a pg client (or anything with its `query` that answers `{ rows }`). */
export const pgQuery =
  (client: { query(sql: string, params?: unknown[]): Promise<{ rows: Record<string, any>[] }> }): SqlQuery =>
  async (sql, params) =>
    (await client.query(sql, params)).rows;
