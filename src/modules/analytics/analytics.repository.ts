import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AccountRow } from '../accounts/accounts.repository';
import type { AccountStatus, AccountType } from '../accounts/domain/account-types';
import type { Pocket, TransactionKind } from '../transactions/domain/ledger.types';

/** An account as it is now, with its portfolio's thresholds and, for a forked unit, the unit's value. */
export type AccountStateRow = Pick<
  AccountRow,
  'id' | 'portfolio_id' | 'type' | 'status' | 'unit_id' | 'baseline' | 'cash' | 'contracts' | 'leaps' | 'buffer_bp'
> & {
  weekly_target_pct: number;
  fork_threshold: string;
  merge_threshold: string;
  unit_status: 'ACTIVE' | 'MERGED' | null;
  unit_value: string | null;
};

/**
 * The account's postings summed by week, pocket and kind. The opening rows (week null, kind null)
 * sum everything effective before the period, by pocket.
 */
export interface WeeklyPostingsRow {
  week: Date | null;
  ledger: Pocket;
  kind: TransactionKind | null;
  reversed_kind: TransactionKind | null;
  amount: string;
  moment: string;
}

export interface PortfolioAccountRow {
  id: string;
  type: AccountType;
  status: AccountStatus;
  unit_id: string | null;
  cash: string;
  contracts: string;
  leaps: string;
}

export interface UnitRow {
  id: string;
  seq: string;
  status: 'ACTIVE' | 'MERGED';
  parent_account_id: string;
  parent_unit_id: string | null;
  gen_account_id: string;
  com_account_id: string;
  amount: string;
  trigger: 'automatic' | 'scan' | 'user';
  created_by: string | null;
  fork_transaction_id: string;
  merge_transaction_id: string | null;
  created_at: Date;
  merged_at: Date | null;
  merged_amount: string | null;
}

export interface PeriodIncomeRow {
  period: 'week' | 'month' | 'quarter' | 'year';
  start: Date;
  income: string;
}

/**
 * An account's postings up to $3 in one pass: the opening pockets before $2, then [$2, $3) summed
 * by (UTC week, pocket, kind); $4 lists the kinds whose Σ amount × time is computed. Served by
 * postings_account_idx (see weeklyPostings).
 */
export const WEEKLY_POSTINGS_SQL = `SELECT NULL::timestamptz AS week, p.ledger, NULL::text AS kind, NULL::text AS reversed_kind,
              sum(p.amount)::text AS amount, '0' AS moment
         FROM postings p
        WHERE p.account_id = $1 AND p.effective_at < $2
        GROUP BY p.ledger
       UNION ALL
       SELECT g.week, g.ledger, g.kind, (SELECT r.kind FROM transactions r WHERE r.id = g.reverses_id),
              g.amount::text, g.moment::text
         FROM (SELECT date_trunc('week', p.effective_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS week,
                      p.ledger, t.kind, t.reverses_id, sum(p.amount) AS amount,
                      coalesce(sum(p.amount * extract(epoch FROM p.effective_at))
                                 FILTER (WHERE t.kind = ANY ($4::text[])), 0) AS moment
                 FROM postings p JOIN transactions t ON t.seq = p.tx_seq
                WHERE p.account_id = $1 AND p.effective_at >= $2 AND p.effective_at < $3
                GROUP BY 1, 2, 3, 4) g`;

/** Income of a portfolio's accounts in [$2, $3) by period, for the kinds $4 (see portfolioIncome). */
export const PORTFOLIO_INCOME_SQL = `WITH x AS MATERIALIZED (
         SELECT p.effective_at AT TIME ZONE 'UTC' AS at, p.amount
           FROM postings p JOIN transactions t ON t.seq = p.tx_seq
          WHERE p.account_id = ANY (ARRAY(SELECT id FROM accounts WHERE portfolio_id = $1))
            AND p.effective_at >= $2 AND p.effective_at < $3
            AND (t.kind = ANY ($4::text[])
                 OR (t.kind = 'REVERSAL'
                     AND (SELECT r.kind FROM transactions r WHERE r.id = t.reverses_id) = ANY ($4::text[])))
       )
       SELECT g.period, g.start AT TIME ZONE 'UTC' AS start, g.income::text
         FROM (SELECT 'week' AS period, date_trunc('week', at) AS start, sum(amount) AS income FROM x GROUP BY 2
               UNION ALL
               SELECT 'month', date_trunc('month', at), sum(amount) FROM x GROUP BY 2
               UNION ALL
               SELECT 'quarter', date_trunc('quarter', at), sum(amount) FROM x GROUP BY 2
               UNION ALL
               SELECT 'year', date_trunc('year', at), sum(amount) FROM x GROUP BY 2) g
        ORDER BY g.period, g.start`;

/**
 * The reads behind analytics. Each request is answered by one or two aggregate queries that
 * scan an account's postings through postings_account_idx; the arithmetic happens in domain/.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async accountState(accountId: string): Promise<AccountStateRow | undefined> {
    const rows: AccountStateRow[] = await this.db.query(
      `SELECT a.id, a.portfolio_id, a.type, a.status, a.unit_id, a.baseline::text, a.cash::text,
              a.contracts::text, a.leaps::text, a.buffer_bp, (a.config->>'weeklyTargetPct')::float8 AS weekly_target_pct,
              pf.fork_threshold::text, pf.merge_threshold::text, u.status AS unit_status,
              -- numeric: each account's total fits a bigint (ledger_post sees to it), two together may not.
              ((g.cash + g.contracts + g.leaps)::numeric + (c.cash + c.contracts + c.leaps))::text AS unit_value
         FROM accounts a
         JOIN portfolios pf ON pf.id = a.portfolio_id
         LEFT JOIN units u ON u.id = a.unit_id
         LEFT JOIN accounts g ON g.id = u.gen_account_id
         LEFT JOIN accounts c ON c.id = u.com_account_id
        WHERE a.id = $1`,
      [accountId],
    );
    return rows[0];
  }

  /**
   * One pass over the account's postings up to `end` (index range scan of postings_account_idx
   * when the account is a small part of the table): the opening pockets before `start`, then the
   * period summed by (week, pocket, kind). Reversals are grouped by the transaction they reverse
   * first, so the kind they reverse is looked up once per group, not per posting. Σ amount ×
   * epoch seconds (exact numeric, only for `timedKinds`: flows and reversals) lets the domain
   * time-weight flows.
   */
  async weeklyPostings(
    accountId: string,
    start: Date,
    end: Date,
    timedKinds: readonly string[],
  ): Promise<WeeklyPostingsRow[]> {
    return this.withoutJit((m) => m.query(WEEKLY_POSTINGS_SQL, [accountId, start, end, timedKinds]));
  }

  async portfolioCreatedAt(portfolioId: string): Promise<Date | undefined> {
    const rows: { created_at: Date }[] = await this.db.query('SELECT created_at FROM portfolios WHERE id = $1', [
      portfolioId,
    ]);
    return rows[0]?.created_at;
  }

  async portfolioAccounts(portfolioId: string): Promise<PortfolioAccountRow[]> {
    return this.db.query(
      `SELECT id, type, status, unit_id, cash::text, contracts::text, leaps::text
         FROM accounts WHERE portfolio_id = $1 ORDER BY created_at, id`,
      [portfolioId],
    );
  }

  /** Every unit in creation order; for a merged one, what its merge moved out of the unit. */
  async units(portfolioId: string): Promise<UnitRow[]> {
    return this.db.query(
      `SELECT u.id, u.seq::text, u.status, u.parent_account_id, u.parent_unit_id, u.gen_account_id,
              u.com_account_id, u.amount::text, u.trigger, u.created_by, u.fork_transaction_id,
              u.merge_transaction_id, u.created_at, u.merged_at,
              (SELECT sum(p.amount) FROM transactions mt JOIN postings p ON p.tx_seq = mt.seq
                WHERE mt.id = u.merge_transaction_id AND p.amount > 0 AND p.account_id IS NOT NULL
                  AND p.account_id NOT IN (u.gen_account_id, u.com_account_id))::text AS merged_amount
         FROM units u WHERE u.portfolio_id = $1 ORDER BY u.seq`,
      [portfolioId],
    );
  }

  /**
   * Income of every account of the portfolio in [start, end), by UTC week, month, quarter and
   * year: the sum of the account postings of the income kinds and of their reversals (which are
   * already negated). Served by postings_account_idx, one range per account.
   */
  async portfolioIncome(
    portfolioId: string,
    start: Date,
    end: Date,
    incomeKinds: readonly string[],
  ): Promise<PeriodIncomeRow[]> {
    return this.withoutJit((m) => m.query(PORTFOLIO_INCOME_SQL, [portfolioId, start, end, incomeKinds]));
  }

  /**
   * Runs an aggregate over many postings with JIT compilation off (this transaction only): its
   * plans cost enough to trigger JIT, which measured ~300 ms of compilation per call — more than
   * the query itself (~200 ms on 100,000 postings).
   */
  private withoutJit<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (m) => {
      await m.query('SET LOCAL jit = off');
      return work(m);
    });
  }
}
