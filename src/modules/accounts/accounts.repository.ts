import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PageRequest } from '../../common/pagination';
import { transactionWithRetry } from '../../database/conflict-retry';
import type { AccountConfig } from './domain/account-config';
import type { AccountStatus, AccountType } from './domain/account-types';
import type { Allocation, Template } from './domain/templates';

export interface PortfolioRow {
  id: string;
  owner_id: string;
  name: string;
  template: Template;
  gen_pct: number;
  rev_pct: number;
  com_pct: number;
  buffer_bp: number;
  fork_threshold: string;
  merge_threshold: string;
  merge_mode: 'auto' | 'confirm';
  created_at: Date;
  updated_at: Date;
}

export interface AccountRow {
  id: string;
  portfolio_id: string;
  type: AccountType;
  status: AccountStatus;
  unit_id: string | null;
  parent_account_id: string | null;
  baseline: string;
  cash: string;
  contracts: string;
  leaps: string;
  buffer_bp: number;
  config: AccountConfig;
  created_at: Date;
  updated_at: Date;
}

/** Facts about an account that never change once it exists: safe to cache indefinitely. */
export interface AccountFacts {
  id: string;
  portfolioId: string;
  ownerId: string;
  type: AccountType;
  /** The forked unit the account belongs to; null for the three root accounts. */
  unitId: string | null;
  createdAt: Date;
}

export interface NewPortfolio {
  ownerId: string;
  name: string;
  template: Template;
  allocation: Allocation;
  forkThreshold: bigint;
  mergeThreshold: bigint;
  mergeMode: 'auto' | 'confirm';
}

export interface NewAccount {
  type: AccountType;
  bufferBp: number;
  config: AccountConfig;
  /** For the accounts of a forked unit. */
  unitId?: string;
  parentAccountId?: string;
}

export interface TypeTotals {
  type: AccountType;
  accounts: number;
  cash: string;
  contracts: string;
  leaps: string;
}

const ACCOUNT_COLUMNS = `id, portfolio_id, type, status, unit_id, parent_account_id, baseline::text, cash::text,
  contracts::text, leaps::text, buffer_bp, config, created_at, updated_at`;
const portfolioColumns = (p = '') => `${p}id, ${p}owner_id, ${p}name, ${p}template, ${p}gen_pct, ${p}rev_pct,
  ${p}com_pct, ${p}buffer_bp, ${p}fork_threshold::text, ${p}merge_threshold::text, ${p}merge_mode, ${p}created_at,
  ${p}updated_at`;
const PORTFOLIO_COLUMNS = portfolioColumns();

export type PortfolioScope = { all: true } | { ownerId: string } | { granteeId: string };

/** The portfolios a scope sees, as a FROM clause and conditions on alias `a` ($1: the user, if any). */
function scopedPortfolios(scope: PortfolioScope, a: string): { from: string; where: string[] } {
  if ('ownerId' in scope) return { from: `portfolios ${a}`, where: [`${a}.owner_id = $1`] };
  if ('granteeId' in scope) {
    const grant = `${a}_grant`;
    return {
      from: `portfolios ${a} JOIN portfolio_grants ${grant} ON ${grant}.portfolio_id = ${a}.id`,
      where: [`${grant}.user_id = $1`],
    };
  }
  return { from: `portfolios ${a}`, where: [] };
}

/**
 * A page of the portfolios a scope sees, oldest first: every portfolio (portfolios_created_at_idx),
 * a manager's (portfolios_owner_id_idx) or a user's grants (portfolio_grants_user_id_idx). The
 * cursor's position is read within the same scope: a cursor from outside it gives an empty page,
 * and tells nothing about the portfolio it names. Exported for the query analyzer.
 */
export function portfolioPageQuery(scope: PortfolioScope, page: PageRequest): { sql: string; params: unknown[] } {
  const params: unknown[] = 'all' in scope ? [] : ['ownerId' in scope ? scope.ownerId : scope.granteeId];
  const { from, where } = scopedPortfolios(scope, 'p');
  if (page.after) {
    params.push(page.after);
    const cursor = scopedPortfolios(scope, 'c');
    const at = [...cursor.where, `c.id = $${params.length}`].join(' AND ');
    where.push(`(p.created_at, p.id) > (SELECT c.created_at, c.id FROM ${cursor.from} WHERE ${at})`);
  }
  params.push(page.limit);
  const sql = `SELECT ${portfolioColumns('p.')} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY p.created_at, p.id LIMIT $${params.length}`;
  return { sql, params };
}

/** Accounts in the order a portfolio lists them: by creation, the root accounts GEN, REV, COM. */
const accountOrder = (a = '') => `${a}created_at, array_position(ARRAY['GEN', 'REV', 'COM'], ${a}type), ${a}id`;

/**
 * A portfolio's accounts, root accounts first, all of them or one page (accounts_portfolio_id_idx:
 * the cursor bounds its created_at, and only accounts created together are sorted). Exported for
 * the query analyzer.
 */
export function portfolioAccountsQuery(portfolioId: string, page?: PageRequest): { sql: string; params: unknown[] } {
  const params: unknown[] = [portfolioId];
  let where = 'portfolio_id = $1';
  if (page?.after) {
    params.push(page.after);
    where += ` AND (${accountOrder()}) > (SELECT ${accountOrder('c.')} FROM accounts c
                                           WHERE c.id = $2 AND c.portfolio_id = $1)`;
  }
  let sql = `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE ${where} ORDER BY ${accountOrder()}`;
  if (page) {
    params.push(page.limit);
    sql += ` LIMIT $${params.length}`;
  }
  return { sql, params };
}

/** The portfolios whose accounts changed last (cache warming at start-up). */
export const RECENTLY_ACTIVE_PORTFOLIOS_SQL =
  'SELECT portfolio_id FROM accounts GROUP BY portfolio_id ORDER BY max(updated_at) DESC LIMIT $1';

@Injectable()
export class AccountsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One database transaction, run again as a whole when PostgreSQL aborted it (deadlock, serialization). */

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return transactionWithRetry(this.db, work);
  }

  async insertPortfolio(m: EntityManager, p: NewPortfolio): Promise<PortfolioRow> {
    const rows: PortfolioRow[] = await m.query(
      `INSERT INTO portfolios (owner_id, name, template, gen_pct, rev_pct, com_pct, buffer_bp,
                               fork_threshold, merge_threshold, merge_mode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${PORTFOLIO_COLUMNS}`,
      [
        p.ownerId,
        p.name,
        p.template,
        p.allocation.gen,
        p.allocation.rev,
        p.allocation.com,
        p.allocation.bufferBp,
        p.forkThreshold.toString(),
        p.mergeThreshold.toString(),
        p.mergeMode,
      ],
    );
    return rows[0];
  }

  /** Inserts accounts in the given order in one statement; returns them in that order. */
  async insertAccounts(m: EntityManager, portfolioId: string, accounts: NewAccount[]): Promise<AccountRow[]> {
    return m.query(
      `INSERT INTO accounts (portfolio_id, type, buffer_bp, config, unit_id, parent_account_id)
       SELECT $1, a.type, a.buffer_bp, a.config, a.unit_id, a.parent_account_id
         FROM jsonb_to_recordset($2::jsonb)
           AS a (type text, buffer_bp int, config jsonb, unit_id uuid, parent_account_id uuid, ord int)
        ORDER BY ord
       RETURNING ${ACCOUNT_COLUMNS}`,
      [
        portfolioId,
        JSON.stringify(
          accounts.map((a, ord) => ({
            type: a.type,
            buffer_bp: a.bufferBp,
            config: a.config,
            unit_id: a.unitId,
            parent_account_id: a.parentAccountId,
            ord,
          })),
        ),
      ],
    );
  }

  async findPortfolio(id: string): Promise<PortfolioRow | undefined> {
    const rows: PortfolioRow[] = await this.db.query(`SELECT ${PORTFOLIO_COLUMNS} FROM portfolios WHERE id = $1`, [id]);
    return rows[0];
  }

  /** A page of every portfolio (scope 'all'), those a user owns, or those granted to a user. */
  async listPortfolios(scope: PortfolioScope, page: PageRequest): Promise<PortfolioRow[]> {
    const { sql, params } = portfolioPageQuery(scope, page);
    return this.db.query(sql, params);
  }

  async totalsByType(portfolioId: string): Promise<TypeTotals[]> {
    return this.db.query(
      `SELECT type, count(*)::int AS accounts, sum(cash)::text AS cash, sum(contracts)::text AS contracts,
              sum(leaps)::text AS leaps
         FROM accounts WHERE portfolio_id = $1 GROUP BY type`,
      [portfolioId],
    );
  }

  async findAccount(id: string, m?: EntityManager, lock = false): Promise<AccountRow | undefined> {
    const rows: AccountRow[] = await (m ?? this.db).query(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** A portfolio's accounts: one page, or all of them (a new portfolio's three). */
  async listAccounts(portfolioId: string, page?: PageRequest): Promise<AccountRow[]> {
    const { sql, params } = portfolioAccountsQuery(portfolioId, page);
    return this.db.query(sql, params);
  }

  async accountFacts(ids: string[]): Promise<AccountFacts[]> {
    const rows: {
      id: string;
      portfolio_id: string;
      owner_id: string;
      type: AccountType;
      unit_id: string | null;
      created_at: Date;
    }[] = await this.db.query(
      `SELECT a.id, a.portfolio_id, p.owner_id, a.type, a.unit_id, a.created_at
           FROM accounts a JOIN portfolios p ON p.id = a.portfolio_id WHERE a.id = ANY ($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => ({
      id: r.id,
      portfolioId: r.portfolio_id,
      ownerId: r.owner_id,
      type: r.type,
      unitId: r.unit_id,
      createdAt: r.created_at,
    }));
  }

  /** The portfolio of a forked unit, from its accounts (accounts_unit_id_idx; they commit with the unit). */
  async unitPortfolio(unitId: string): Promise<string | undefined> {
    const rows: { portfolio_id: string }[] = await this.db.query(
      'SELECT portfolio_id FROM accounts WHERE unit_id = $1 LIMIT 1',
      [unitId],
    );
    return rows[0]?.portfolio_id;
  }

  async updateAccount(
    m: EntityManager,
    id: string,
    change: { status: AccountStatus; bufferBp: number; config: AccountConfig },
  ): Promise<AccountRow> {
    const [rows] = await m.query(
      `UPDATE accounts SET status = $2, buffer_bp = $3, config = $4, updated_at = now()
        WHERE id = $1 RETURNING ${ACCOUNT_COLUMNS}`,
      [id, change.status, change.bufferBp, JSON.stringify(change.config)],
    );
    return rows[0];
  }

  async findGrant(portfolioId: string, userId: string): Promise<'operator' | 'viewer' | undefined> {
    const rows: { role: 'operator' | 'viewer' }[] = await this.db.query(
      'SELECT role FROM portfolio_grants WHERE portfolio_id = $1 AND user_id = $2',
      [portfolioId, userId],
    );
    return rows[0]?.role;
  }

  async upsertGrant(m: EntityManager, portfolioId: string, userId: string, role: string, grantedBy: string) {
    await m.query(
      `INSERT INTO portfolio_grants (portfolio_id, user_id, role, granted_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (portfolio_id, user_id) DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by`,
      [portfolioId, userId, role, grantedBy],
    );
  }

  async deleteGrant(m: EntityManager, portfolioId: string, userId: string): Promise<boolean> {
    const [, count] = await m.query('DELETE FROM portfolio_grants WHERE portfolio_id = $1 AND user_id = $2', [
      portfolioId,
      userId,
    ]);
    return count > 0;
  }

  async listGrants(portfolioId: string) {
    const rows: { user_id: string; role: string; granted_by: string; created_at: Date }[] = await this.db.query(
      'SELECT user_id, role, granted_by, created_at FROM portfolio_grants WHERE portfolio_id = $1 ORDER BY created_at',
      [portfolioId],
    );
    return rows;
  }

  /** The portfolios whose accounts changed last (every ledger write touches accounts.updated_at). */
  async recentlyActivePortfolios(limit: number): Promise<string[]> {
    const rows: { portfolio_id: string }[] = await this.db.query(RECENTLY_ACTIVE_PORTFOLIOS_SQL, [limit]);
    return rows.map((r) => r.portfolio_id);
  }

  async findUserRole(userId: string): Promise<string | undefined> {
    const rows: { role: string }[] = await this.db.query('SELECT role FROM users WHERE id = $1', [userId]);
    return rows[0]?.role;
  }
}
