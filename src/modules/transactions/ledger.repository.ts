import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { escapeLiteral, type Pool } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { retryOnConflict } from '../../database/conflict-retry';
import type { LockedAccount } from './domain/ledger-screen';
import { baselineChanges } from './domain/movements';
import { assertStorable } from './domain/postings';
import type { LedgerName, PlannedTransaction, Pocket, TransactionKind } from './domain/ledger.types';
import { alreadyReversed, idempotencyKeyReused, ledgerRefusal } from './transactions.errors';

export interface LedgerRequest {
  action: string;
  /** The user who asked; null for the service's own operations (scheduled and automatic ones). */
  actorId: string | null;
  correlationId?: string;
  ip?: string;
  idempotencyKey?: string;
  requestHash?: string;
  transactions: PlannedTransaction[];
}

export interface TransactionRow {
  id: string;
  seq: string;
  portfolio_id: string;
  kind: TransactionKind;
  effective_at: Date;
  created_at: Date;
  memo: string | null;
  actor_id: string | null;
  correlation_id: string | null;
  reverses_id: string | null;
  reversed_by_id: string | null;
  baseline_changes: { id: string; baseline: string }[];
  postings: { accountId: string | null; ledger: LedgerName; amount: string }[];
}

export interface ListQuery {
  accountId: string;
  kind?: TransactionKind;
  from?: Date;
  to?: Date;
  beforeSeq?: string;
  limit: number;
}

const TRANSACTION_SELECT = `
  SELECT t.id, t.seq::text, t.portfolio_id, t.kind, t.effective_at, t.created_at, t.memo, t.actor_id,
         t.correlation_id, t.reverses_id, r.id AS reversed_by_id, t.baseline_changes,
         (SELECT json_agg(json_build_object('accountId', p.account_id, 'ledger', p.ledger, 'amount', p.amount::text)
                          ORDER BY p.idx)
            FROM postings p WHERE p.tx_seq = t.seq) AS postings
    FROM transactions t LEFT JOIN transactions r ON r.reverses_id = t.id`;

/** An Idempotency-Key of one caller (primary key of idempotency_keys). */
export const IDEMPOTENCY_KEY_SQL =
  'SELECT request_hash, transaction_ids FROM idempotency_keys WHERE owner_id = $1 AND key = $2';

/**
 * A page of an account's transactions, newest first by effective time, then by sequence: served
 * by postings_account_idx. Exported with its parameters so the query analyzer explains the very
 * statement this repository runs.
 */
export function accountPageQuery(q: ListQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [q.accountId];
  const where = ['p.account_id = $1'];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  if (q.from) add((n) => `p.effective_at >= $${n}`, q.from);
  if (q.to) add((n) => `p.effective_at < $${n}`, q.to);
  if (q.beforeSeq) {
    add(
      (n) => `(p.effective_at, p.tx_seq) < (SELECT c.effective_at, c.seq FROM transactions c WHERE c.seq = $${n})`,
      q.beforeSeq,
    );
  }
  if (q.kind) add((n) => `EXISTS (SELECT 1 FROM transactions k WHERE k.seq = p.tx_seq AND k.kind = $${n})`, q.kind);
  params.push(q.limit);
  const sql = `WITH page AS (
         SELECT p.effective_at, p.tx_seq FROM postings p
          WHERE ${where.join(' AND ')}
          GROUP BY p.effective_at, p.tx_seq
          ORDER BY p.effective_at DESC, p.tx_seq DESC
          LIMIT $${params.length})
       ${TRANSACTION_SELECT} JOIN page ON page.tx_seq = t.seq
       ORDER BY page.effective_at DESC, page.tx_seq DESC`;
  return { sql, params };
}

/** Above this size, escaping costs more than the extra protocol messages of a bound parameter. */
const SIMPLE_QUERY_MAX_CHARS = 16_384;

/** What the database assigned to one written transaction. */
export interface StoredTransaction {
  id: string;
  seq: string;
  effectiveAt: string;
  createdAt: string;
}

export type LedgerResult =
  { replayed: false; transactions: StoredTransaction[] } | { replayed: true; transactionIds: string[] };

/**
 * The JSON ledger_post reads: the transactions of every request in order, each with its actor and
 * correlation id; one audit entry per request; amounts as decimal strings of cents.
 */
function toPayload(requests: LedgerRequest[]) {
  for (const r of requests) for (const t of r.transactions) assertStorable(t.legs);
  const [first] = requests;
  return {
    actorId: first.actorId,
    idempotencyKey: first.idempotencyKey,
    requestHash: first.requestHash,
    transactions: requests.flatMap((r) =>
      r.transactions.map((t) => ({
        id: t.id,
        kind: t.kind,
        portfolioId: t.portfolioId,
        effectiveAt: t.effectiveAt,
        memo: t.memo,
        reversesId: t.reversesId,
        actorId: r.actorId,
        correlationId: r.correlationId,
        legs: t.legs.map((l) => ({ accountId: l.accountId, ledger: l.ledger, amount: l.amount.toString() })),
        accounts: t.accounts.map((a) => ({
          id: a.id,
          cash: a.cash.toString(),
          contracts: a.contracts.toString(),
          leaps: a.leaps.toString(),
          baseline: a.baseline.toString(),
          statuses: a.statuses,
          availableDebit: a.availableDebit?.toString(),
        })),
        baselineChanges: baselineChanges(t),
      })),
    ),
    audits: requests.map((r) => ({
      actorId: r.actorId,
      action: r.action,
      ip: r.ip,
      correlationId: r.correlationId,
      portfolioId: r.transactions[0].portfolioId,
      transactionIds: r.transactions.map((t) => t.id),
      idempotencyKey: r.idempotencyKey,
    })),
  };
}

/** The ledger's storage: one round trip per write through ledger_post, and the read queries. */
@Injectable()
export class LedgerRepository {
  private readonly pool: Pool;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    // The hot write path talks to the pool directly: no query-runner bookkeeping per call.
    this.pool = (db.driver as PostgresDriver).master as Pool;
  }

  /**
   * Applies a planned request atomically. Inside `manager`, it joins that transaction, and a
   * deadlock or serialization failure is for whoever runs that transaction to retry (as
   * transactionWithRetry does).
   */
  async post(request: LedgerRequest, manager?: EntityManager): Promise<LedgerResult> {
    if (!manager) return this.postTogether([request]);
    const payload = JSON.stringify(toPayload([request]));
    try {
      const rows: { r: LedgerResult }[] = await manager.query('SELECT ledger_post($1::jsonb) AS r', [payload]);
      return rows[0].r;
    } catch (error) {
      throw this.translate(error, [request]);
    }
  }

  /**
   * Applies several requests in one database transaction: all of them, or none. The result lists
   * every request's transactions in order. Only a lone request may carry an idempotency key.
   */
  async postTogether(requests: LedgerRequest[]): Promise<LedgerResult> {
    if (requests.length > 1 && requests.some((r) => r.idempotencyKey)) {
      throw new Error('requests with an idempotency key are written alone');
    }
    const payload = JSON.stringify(toPayload(requests));
    try {
      // A small payload goes as an escaped literal: the simple query protocol is one message each
      // way, where a bound parameter takes five (parse, bind, describe, execute, sync).
      // One statement outside any transaction is a transaction of its own: it may simply run again.
      const { rows } = await retryOnConflict(() =>
        payload.length <= SIMPLE_QUERY_MAX_CHARS
          ? this.pool.query<{ r: LedgerResult }>(`SELECT ledger_post(${escapeLiteral(payload)}::jsonb) AS r`)
          : this.pool.query<{ r: LedgerResult }>('SELECT ledger_post($1::jsonb) AS r', [payload]),
      );
      return rows[0].r;
    } catch (error) {
      throw this.translate(error, requests);
    }
  }

  /**
   * Locks accounts as ledger_post does (ascending id order) and reads what its guards check, for a
   * writer that screens many transactions before posting them in the same database transaction.
   */
  async lockAccounts(m: EntityManager, ids: string[]): Promise<Map<string, LockedAccount>> {
    if (ids.length === 0) return new Map();
    const rows: (Omit<LockedAccount, Pocket> & Record<Pocket, string>)[] = await m.query(
      `SELECT id, status, cash::text, contracts::text, leaps::text, buffer_bp AS "bufferBp"
           FROM accounts WHERE id = ANY ($1::uuid[]) ORDER BY id FOR UPDATE`,
      [[...new Set(ids)]],
    );
    return new Map(
      rows.map((r) => [r.id, { ...r, cash: BigInt(r.cash), contracts: BigInt(r.contracts), leaps: BigInt(r.leaps) }]),
    );
  }

  private translate(error: unknown, requests: LedgerRequest[]): unknown {
    const pg = error as { code?: string; message?: string; detail?: string; constraint?: string };
    if (pg.code === 'P0001' && pg.message) return ledgerRefusal(pg.message, pg.detail) ?? error;
    if (pg.code === '23505' && pg.constraint === 'transactions_reverses_id_key') {
      const reversed = requests.flatMap((r) => r.transactions).find((t) => t.reversesId);
      return alreadyReversed(reversed?.reversesId ?? '');
    }
    return error;
  }

  /**
   * The transactions an Idempotency-Key of this caller already wrote, if any; the key used with a
   * different request (another hash) is refused. For writers that must answer a replay before
   * planning (their plan depends on state the first request changed).
   */
  async replayOf(ownerId: string, key: string, hash: string, manager?: EntityManager): Promise<string[] | undefined> {
    const rows: { request_hash: string; transaction_ids: string[] }[] = await (manager ?? this.db).query(
      IDEMPOTENCY_KEY_SQL,
      [ownerId, key],
    );
    if (!rows[0]) return undefined;
    if (rows[0].request_hash !== hash) throw idempotencyKeyReused(key);
    return rows[0].transaction_ids;
  }

  async findTransactions(ids: string[], manager?: EntityManager): Promise<TransactionRow[]> {
    return (manager ?? this.db).query(`${TRANSACTION_SELECT} WHERE t.id = ANY ($1::uuid[]) ORDER BY t.seq`, [ids]);
  }

  /** Newest first by effective time, then by sequence; served by postings_account_idx. */
  async listForAccount(q: ListQuery): Promise<TransactionRow[]> {
    const { sql, params } = accountPageQuery(q);
    return this.db.query(sql, params);
  }

  /** Pocket balances as of `at`: the sum of postings effective up to then. */
  async balancesAt(accountId: string, at: Date): Promise<{ ledger: LedgerName; amount: string }[]> {
    return this.db.query(
      `SELECT ledger, sum(amount)::text AS amount FROM postings
        WHERE account_id = $1 AND effective_at <= $2 GROUP BY ledger`,
      [accountId, at],
    );
  }
}
