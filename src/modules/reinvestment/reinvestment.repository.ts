import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { transactionWithRetry } from '../../database/conflict-retry';
import type { AccountRow } from '../accounts/accounts.repository';
import type { TransactionKind } from '../transactions/domain/ledger.types';

export type LockedAccount = Pick<
  AccountRow,
  'id' | 'portfolio_id' | 'type' | 'status' | 'cash' | 'contracts' | 'leaps' | 'buffer_bp' | 'config'
>;

export interface IncomeWindow {
  /** The account already has a reinvestment for the quarter asked about. */
  done: boolean;
  /** Cash postings of the account after its last REINVESTMENT, summed per kind (and reversed kind). */
  income: { kind: TransactionKind; reversed_kind: TransactionKind | null; amount: string }[];
}

/** The storage side of reinvestments: account locks, the income window, the reinvestments table. */
@Injectable()
export class ReinvestmentRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One database transaction, run again as a whole when PostgreSQL aborted it (deadlock, serialization). */

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return transactionWithRetry(this.db, work);
  }

  /**
   * Locks the account row for the rest of the transaction: a second reinvestment or close of the
   * same account waits here, then reads the first one's result (read committed: each later
   * statement sees what committed before it started).
   */
  async lockAccount(m: EntityManager, id: string): Promise<LockedAccount | undefined> {
    const rows: LockedAccount[] = await m.query(
      `SELECT id, portfolio_id, type, status, cash::text, contracts::text, leaps::text, buffer_bp, config
         FROM accounts WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0];
  }

  /**
   * One query: whether the account was already reinvested for `quarter`, and its trading income
   * since its last REINVESTMENT (by ledger sequence: a transaction posted after the reinvestment
   * counts in the next window whatever its effective time, so nothing is counted twice or lost).
   * Served by postings_account_idx and the unique index on transactions.seq.
   */
  async incomeWindow(m: EntityManager, accountId: string, quarter: string | null): Promise<IncomeWindow> {
    const rows: IncomeWindow[] = await m.query(
      `WITH mine AS (
         SELECT p.tx_seq, p.ledger, p.amount, t.kind, t.reverses_id
           FROM postings p
           -- OFFSET 0 keeps this a lookup by seq per posting: joined, the planner would hash the
           -- whole transactions table for an account's few postings.
           CROSS JOIN LATERAL (SELECT kind, reverses_id FROM transactions WHERE seq = p.tx_seq OFFSET 0) t
          WHERE p.account_id = $1
       ), since AS (
         SELECT coalesce(max(tx_seq), 0) AS seq FROM mine WHERE kind = 'REINVESTMENT'
       )
       SELECT EXISTS (SELECT 1 FROM reinvestments WHERE account_id = $1 AND quarter = $2) AS done,
              coalesce((
                SELECT json_agg(i) FROM (
                  SELECT mine.kind, o.kind AS reversed_kind, sum(mine.amount)::text AS amount
                    FROM mine CROSS JOIN since LEFT JOIN transactions o ON o.id = mine.reverses_id
                   WHERE mine.ledger = 'cash' AND mine.tx_seq > since.seq
                     AND mine.kind IN ('PREMIUM', 'TRADING_LOSS', 'FEE', 'REVERSAL')
                   GROUP BY mine.kind, o.kind) i), '[]'::json) AS income`,
      [accountId, quarter],
    );
    return rows[0];
  }

  /**
   * Records a reinvestment. For a quarter, the unique index (account, quarter) makes the insert a
   * no-op when that quarter's reinvestment exists (or a racing worker is inserting it: this
   * waits for it to commit): returns false then.
   */
  async record(
    m: EntityManager,
    r: { transactionId: string; accountId: string; quarter: string | null; amount: bigint; at: Date },
  ): Promise<boolean> {
    const rows: unknown[] = await m.query(
      `INSERT INTO reinvestments (transaction_id, account_id, quarter, amount, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING transaction_id`,
      [r.transactionId, r.accountId, r.quarter, r.amount.toString(), r.at],
    );
    return rows.length === 1;
  }

  /** ACTIVE REV and COM accounts of every portfolio (root and forked), in id order, a page at a time. */
  async reinvestingAccounts(afterId: string | null, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM accounts
        WHERE type IN ('REV', 'COM') AND status = 'ACTIVE' AND ($1::uuid IS NULL OR id > $1)
        ORDER BY id LIMIT $2`,
      [afterId, limit],
    );
    return rows.map((r) => r.id);
  }

  async countReinvestingAccounts(): Promise<number> {
    const rows: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM accounts WHERE type IN ('REV', 'COM') AND status = 'ACTIVE'`,
    );
    return rows[0].n;
  }
}
