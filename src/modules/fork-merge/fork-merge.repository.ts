import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PageRequest } from '../../common/pagination';
import { transactionWithRetry } from '../../database/conflict-retry';
import type { AccountRow } from '../accounts/accounts.repository';
import type { AccountStatus, AccountType } from '../accounts/domain/account-types';
import type { GrowthTrigger } from '../async-tasks/queues';

export type ForkRow = Pick<
  AccountRow,
  | 'id'
  | 'portfolio_id'
  | 'type'
  | 'status'
  | 'unit_id'
  | 'baseline'
  | 'cash'
  | 'contracts'
  | 'leaps'
  | 'buffer_bp'
  | 'config'
> & { fork_threshold: string };

export interface UnitRow {
  id: string;
  seq: string;
  portfolio_id: string;
  parent_account_id: string;
  parent_unit_id: string | null;
  gen_account_id: string;
  com_account_id: string;
  status: 'ACTIVE' | 'MERGED';
  amount: string;
  trigger: GrowthTrigger;
  created_by: string | null;
  fork_transaction_id: string;
  merge_transaction_id: string | null;
  created_at: Date;
  merged_at: Date | null;
  merge_threshold: string;
  merge_mode: 'auto' | 'confirm';
  /** Per account of the unit: GEN first, then COM. */
  accounts: {
    id: string;
    type: AccountType;
    status: AccountStatus;
    baseline: string;
    cash: string;
    contracts: string;
    leaps: string;
  }[];
}

export interface ProposalRow {
  id: string;
  portfolio_id: string;
  unit_id: string;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED' | 'SUPERSEDED';
  value: string;
  created_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  note: string | null;
}

export interface NewUnit {
  id: string;
  portfolioId: string;
  parentAccountId: string;
  parentUnitId: string | null;
  genAccountId: string;
  comAccountId: string;
  amount: bigint;
  trigger: GrowthTrigger;
  createdBy: string | null;
  forkTransactionId: string;
  createdAt: Date;
}

/** A unit with its portfolio's merge settings and its two accounts (GEN, then COM) as JSON. */
const UNIT_SELECT = `
  SELECT u.id, u.seq::text, u.portfolio_id, u.parent_account_id, u.parent_unit_id, u.gen_account_id,
         u.com_account_id, u.status, u.amount::text, u.trigger, u.created_by, u.fork_transaction_id,
         u.merge_transaction_id, u.created_at, u.merged_at, p.merge_threshold::text, p.merge_mode,
         (SELECT json_agg(json_build_object('id', a.id, 'type', a.type, 'status', a.status,
                  'baseline', a.baseline::text, 'cash', a.cash::text, 'contracts', a.contracts::text,
                  'leaps', a.leaps::text) ORDER BY a.type = 'COM', a.id)
            FROM accounts a WHERE a.id IN (u.gen_account_id, u.com_account_id)) AS accounts
    FROM units u JOIN portfolios p ON p.id = u.portfolio_id`;

/**
 * A portfolio's units in creation order, all of them or one page (units_portfolio_idx; the cursor's
 * position is read within the same portfolio). Exported for the query analyzer.
 */
export function portfolioUnitsQuery(portfolioId: string, page?: PageRequest): { sql: string; params: unknown[] } {
  const params: unknown[] = [portfolioId];
  let where = 'u.portfolio_id = $1';
  if (page?.after) {
    params.push(page.after);
    where += ' AND u.seq > (SELECT c.seq FROM units c WHERE c.id = $2 AND c.portfolio_id = $1)';
  }
  let sql = `${UNIT_SELECT} WHERE ${where} ORDER BY u.seq`;
  if (page) {
    params.push(page.limit);
    sql += ` LIMIT $${params.length}`;
  }
  return { sql, params };
}

/** The growth scan's fork candidates: active GEN accounts whose surplus reached the fork threshold. */
export const FORK_CANDIDATES_SQL = `SELECT a.id FROM accounts a JOIN portfolios p ON p.id = a.portfolio_id
        WHERE a.type = 'GEN' AND a.status = 'ACTIVE'
          AND a.cash + a.contracts + a.leaps - a.baseline >= p.fork_threshold`;

const PROPOSAL_COLUMNS = 'id, portfolio_id, unit_id, status, value::text, created_at, decided_at, decided_by, note';

/** Units, merge proposals and the locks of the growth engine. */
@Injectable()
export class ForkMergeRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One database transaction, run again as a whole when PostgreSQL aborted it (deadlock, serialization). */

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return transactionWithRetry(this.db, work);
  }

  /** Serialises fork and merge work within one portfolio's tree until the transaction ends. */
  async lockPortfolio(m: EntityManager, portfolioId: string): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [portfolioId]);
  }

  /** A GEN account with its portfolio's fork threshold; locked when read inside `m`. */
  async forkCandidate(accountId: string, m?: EntityManager): Promise<ForkRow | undefined> {
    const rows: ForkRow[] = await (m ?? this.db).query(
      `SELECT a.id, a.portfolio_id, a.type, a.status, a.unit_id, a.baseline::text, a.cash::text,
              a.contracts::text, a.leaps::text, a.buffer_bp, a.config, p.fork_threshold::text
         FROM accounts a JOIN portfolios p ON p.id = a.portfolio_id
        WHERE a.id = $1${m ? ' FOR UPDATE OF a' : ''}`,
      [accountId],
    );
    return rows[0];
  }

  async rootAccountId(m: EntityManager, portfolioId: string, type: AccountType): Promise<string> {
    const rows: { id: string }[] = await m.query(
      'SELECT id FROM accounts WHERE portfolio_id = $1 AND type = $2 AND unit_id IS NULL',
      [portfolioId, type],
    );
    return rows[0].id;
  }

  async insertUnit(m: EntityManager, unit: NewUnit): Promise<void> {
    await m.query(
      `INSERT INTO units (id, portfolio_id, parent_account_id, parent_unit_id, gen_account_id, com_account_id,
                          amount, trigger, created_by, fork_transaction_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        unit.id,
        unit.portfolioId,
        unit.parentAccountId,
        unit.parentUnitId,
        unit.genAccountId,
        unit.comAccountId,
        unit.amount.toString(),
        unit.trigger,
        unit.createdBy,
        unit.forkTransactionId,
        unit.createdAt,
      ],
    );
  }

  /**
   * A unit. Inside `m`, every account a merge of it writes is locked first: its GEN and COM and
   * the portfolio's root COM, all in one statement in ascending id order, as ledger_post locks.
   * Taking the root COM later (when the merge posts) would invert that order against a transfer
   * from the unit into the root COM, and the two would deadlock.
   */
  async findUnit(id: string, m?: EntityManager): Promise<UnitRow | undefined> {
    if (m) {
      await m.query(
        `SELECT 1 FROM accounts
          WHERE id IN (SELECT gen_account_id FROM units WHERE id = $1
                       UNION ALL SELECT com_account_id FROM units WHERE id = $1
                       UNION ALL SELECT r.id FROM units u JOIN accounts r ON r.portfolio_id = u.portfolio_id
                                  WHERE u.id = $1 AND r.type = 'COM' AND r.unit_id IS NULL)
          ORDER BY id FOR UPDATE`,
        [id],
      );
    }
    const rows: UnitRow[] = await (m ?? this.db).query(`${UNIT_SELECT} WHERE u.id = $1`, [id]);
    return rows[0];
  }

  async findUnitBy(column: 'fork_transaction_id' | 'merge_transaction_id', transactionId: string, m: EntityManager) {
    const rows: UnitRow[] = await m.query(`${UNIT_SELECT} WHERE u.${column} = $1`, [transactionId]);
    return rows[0];
  }

  /** A portfolio's units: one page, or all of them (the tree). */
  async listUnits(portfolioId: string, page?: PageRequest): Promise<UnitRow[]> {
    const { sql, params } = portfolioUnitsQuery(portfolioId, page);
    return this.db.query(sql, params);
  }

  async childUnitIds(genAccountId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      'SELECT id FROM units WHERE parent_account_id = $1 ORDER BY seq',
      [genAccountId],
    );
    return rows.map((r) => r.id);
  }

  async markMerged(m: EntityManager, unitId: string, transactionId: string, at: Date): Promise<void> {
    await m.query(
      `WITH u AS (UPDATE units SET status = 'MERGED', merge_transaction_id = $2, merged_at = $3 WHERE id = $1
                  RETURNING gen_account_id, com_account_id)
       UPDATE accounts SET status = 'MERGED', updated_at = now()
        WHERE id IN (SELECT gen_account_id FROM u UNION ALL SELECT com_account_id FROM u)`,
      [unitId, transactionId, at],
    );
  }

  /** Opens a proposal unless one is already open for the unit; returns it when created. */
  async insertProposal(
    m: EntityManager,
    p: { id: string; portfolioId: string; unitId: string; value: bigint; at: Date },
  ): Promise<ProposalRow | undefined> {
    const rows: ProposalRow[] = await m.query(
      `INSERT INTO merge_proposals (id, portfolio_id, unit_id, value, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (unit_id) WHERE status = 'PENDING' DO NOTHING RETURNING ${PROPOSAL_COLUMNS}`,
      [p.id, p.portfolioId, p.unitId, p.value.toString(), p.at],
    );
    return rows[0];
  }

  /** Whether the unit has an open proposal, and when one was last rejected. */
  async proposalState(m: EntityManager, unitId: string): Promise<{ open: boolean; lastRejectedAt?: Date }> {
    const rows: { open: boolean; last_rejected_at: Date | null }[] = await m.query(
      `SELECT bool_or(status = 'PENDING') AS open, max(decided_at) FILTER (WHERE status = 'REJECTED') AS last_rejected_at
         FROM merge_proposals WHERE unit_id = $1`,
      [unitId],
    );
    return { open: rows[0]?.open ?? false, lastRejectedAt: rows[0]?.last_rejected_at ?? undefined };
  }

  async findProposal(id: string, m?: EntityManager): Promise<ProposalRow | undefined> {
    const rows: ProposalRow[] = await (m ?? this.db).query(
      `SELECT ${PROPOSAL_COLUMNS} FROM merge_proposals WHERE id = $1${m ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  async listProposals(portfolioId: string, status?: ProposalRow['status']): Promise<ProposalRow[]> {
    return this.db.query(
      `SELECT ${PROPOSAL_COLUMNS} FROM merge_proposals
        WHERE portfolio_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, id`,
      [portfolioId, status ?? null],
    );
  }

  /** Closes the unit's open proposal (or the given one) with a decision. */
  async decideProposals(
    m: EntityManager,
    unitId: string,
    decision: { status: 'CONFIRMED' | 'REJECTED' | 'SUPERSEDED'; by: string | null; at: Date; note?: string },
    proposalId?: string,
  ): Promise<void> {
    await m.query(
      `UPDATE merge_proposals SET status = $2, decided_by = $3, decided_at = $4, note = $5
        WHERE unit_id = $1 AND status = 'PENDING' AND ($6::uuid IS NULL OR id = $6)`,
      [unitId, decision.status, decision.by, decision.at, decision.note ?? null, proposalId ?? null],
    );
  }

  /** Every active GEN account whose surplus has reached its portfolio's fork threshold. */
  async eligibleGenAccounts(): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(FORK_CANDIDATES_SQL);
    return rows.map((r) => r.id);
  }

  /** Every active unit whose value has reached its portfolio's merge threshold. */
  async eligibleUnits(): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT u.id FROM units u JOIN portfolios p ON p.id = u.portfolio_id
         JOIN accounts g ON g.id = u.gen_account_id JOIN accounts c ON c.id = u.com_account_id
        WHERE u.status = 'ACTIVE'
          -- numeric: each account's total fits a bigint (ledger_post sees to it), two together may not.
          AND (g.cash + g.contracts + g.leaps)::numeric + (c.cash + c.contracts + c.leaps) >= p.merge_threshold`,
    );
    return rows.map((r) => r.id);
  }

  /** The three root accounts with their values, for the tree. */
  async rootAccounts(portfolioId: string) {
    const rows: { id: string; type: AccountType; status: AccountStatus; value: string }[] = await this.db.query(
      `SELECT id, type, status, (cash + contracts + leaps)::text AS value FROM accounts
        WHERE portfolio_id = $1 AND unit_id IS NULL ORDER BY array_position(ARRAY['GEN', 'REV', 'COM'], type)`,
      [portfolioId],
    );
    return rows;
  }
}
