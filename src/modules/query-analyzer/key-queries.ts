import { randomBytes } from 'node:crypto';
import {
  portfolioAccountsQuery,
  portfolioPageQuery,
  RECENTLY_ACTIVE_PORTFOLIOS_SQL,
} from '../accounts/accounts.repository';
import { PORTFOLIO_INCOME_SQL, WEEKLY_POSTINGS_SQL } from '../analytics/analytics.repository';
import { WEEKS_PER_YEAR } from '../accounts/domain/account-types';
import { TIMED_KINDS } from '../analytics/domain/classification';
import { WEEK_MS } from '../analytics/domain/weekly-series';
import { auditPageQuery } from '../audit/audit.repository';
import { PRINCIPAL_BY_KEY_HASH_SQL, userPageQuery } from '../auth/auth.repository';
import { FORK_CANDIDATES_SQL, portfolioUnitsQuery } from '../fork-merge/fork-merge.repository';
import { INCOME_KINDS } from '../transactions/domain/ledger.types';
import { accountPageQuery, IDEMPOTENCY_KEY_SQL } from '../transactions/ledger.repository';

/**
 * Values to run the key queries with, read from the database (the newest row of each kind), or a
 * random uuid when there is none: a plan for an id that exists, not for an empty table.
 */
export interface SampleValues {
  /** An account with ledger postings (the newest posting's). */
  accountId: string;
  /** The portfolio of that account. */
  portfolioId: string;
  /** A portfolio that has forked units, and one of them. */
  unitsPortfolioId: string;
  unitId: string;
  /** A user (the newest). */
  userId: string;
  /** A portfolio with audit entries. */
  auditPortfolioId: string;
  /** An Idempotency-Key row. */
  idempotencyOwnerId: string;
  idempotencyKey: string;
}

export interface KeyQuery {
  name: string;
  description: string;
  /** The repository method that runs this statement. */
  source: string;
  /** The indexes that serve it on a large table (what EXPLAIN should show). */
  servedBy: string[];
  /** Large tables it reads whole on purpose (why is in `description`); none for a query on the request path. */
  acceptedSeqScans: string[];
  /** The statement, with the same text the repository runs, and sample parameters. */
  build(samples: SampleValues, now: Date): { sql: string; params: unknown[] };
}

/**
 * The service's important read queries, by name. The SQL is imported from the repositories that
 * run it (never copied), so what is explained is what runs.
 */
export const KEY_QUERIES: readonly KeyQuery[] = [
  {
    name: 'account-ledger-page',
    description: "A page of an account's transactions, newest first (GET /v1/accounts/:id/transactions)",
    source: 'LedgerRepository.listForAccount',
    servedBy: ['postings_account_idx'],
    acceptedSeqScans: [],
    build: (s) => accountPageQuery({ accountId: s.accountId, limit: 50 }),
  },
  {
    name: 'idempotency-key',
    description: 'The transactions an Idempotency-Key already wrote (replay check before planning)',
    source: 'LedgerRepository.replayOf',
    servedBy: ['idempotency_keys_pkey'],
    acceptedSeqScans: [],
    build: (s) => ({ sql: IDEMPOTENCY_KEY_SQL, params: [s.idempotencyOwnerId, s.idempotencyKey] }),
  },
  {
    name: 'portfolio-accounts',
    description: "A page of a portfolio's accounts after a cursor (GET /v1/portfolios/:id/accounts)",
    source: 'AccountsRepository.listAccounts',
    servedBy: ['accounts_portfolio_id_idx'],
    acceptedSeqScans: [],
    build: (s) => portfolioAccountsQuery(s.portfolioId, { after: s.accountId, limit: 100 }),
  },
  {
    name: 'account-analytics',
    description: "The analytics aggregate: an account's postings by week, pocket and kind over a year",
    source: 'AnalyticsRepository.weeklyPostings',
    servedBy: ['postings_account_idx'],
    acceptedSeqScans: [],
    build: (s, now) => ({
      sql: WEEKLY_POSTINGS_SQL,
      params: [s.accountId, new Date(now.getTime() - WEEKS_PER_YEAR * WEEK_MS), now, TIMED_KINDS],
    }),
  },
  {
    name: 'portfolio-income',
    description: "A portfolio's income by week, month, quarter and year over a year",
    source: 'AnalyticsRepository.portfolioIncome',
    servedBy: ['accounts_portfolio_id_idx', 'postings_account_idx'],
    acceptedSeqScans: [],
    build: (s, now) => ({
      sql: PORTFOLIO_INCOME_SQL,
      params: [s.portfolioId, new Date(now.getTime() - WEEKS_PER_YEAR * WEEK_MS), now, INCOME_KINDS],
    }),
  },
  {
    name: 'growth-fork-candidates',
    description: 'The growth scan: active GEN accounts whose surplus reached the fork threshold',
    source: 'ForkMergeRepository.eligibleGenAccounts',
    servedBy: ['accounts_active_gen_idx'],
    acceptedSeqScans: [],
    build: () => ({ sql: FORK_CANDIDATES_SQL, params: [] }),
  },
  {
    name: 'api-key-lookup',
    description: 'The caller behind an API key, by its hash (every authenticated request)',
    source: 'AuthRepository.findPrincipalByKeyHash',
    servedBy: ['api_keys_key_hash_key'],
    acceptedSeqScans: [],
    // Any hash plans the same (a unique index lookup): a random one keeps real hashes out of the answer.
    build: () => ({ sql: PRINCIPAL_BY_KEY_HASH_SQL, params: [randomBytes(32).toString('hex')] }),
  },
  {
    name: 'portfolio-units',
    description:
      "A page of a portfolio's forked units with their accounts, after a cursor (GET /v1/portfolios/:id/units)",
    source: 'ForkMergeRepository.listUnits',
    servedBy: ['units_portfolio_idx'],
    acceptedSeqScans: [],
    build: (s) => portfolioUnitsQuery(s.unitsPortfolioId, { after: s.unitId, limit: 100 }),
  },
  {
    name: 'portfolios-page',
    description: 'A page of every portfolio after a cursor (GET /v1/portfolios as an admin or auditor)',
    source: 'AccountsRepository.listPortfolios',
    servedBy: ['portfolios_created_at_idx'],
    acceptedSeqScans: [],
    build: (s) => portfolioPageQuery({ all: true }, { after: s.portfolioId, limit: 100 }),
  },
  {
    name: 'users-page',
    description: 'A page of users after a cursor (GET /v1/users)',
    source: 'AuthRepository.listUsers',
    servedBy: ['users_created_at_idx'],
    acceptedSeqScans: [],
    build: (s) => userPageQuery({ after: s.userId, limit: 100 }),
  },
  {
    name: 'portfolio-audit-page',
    description: "A page of a portfolio's audit entries, newest first (GET /v1/audit?portfolioId=)",
    source: 'AuditRepository.list',
    servedBy: ['audit_log_portfolio_idx'],
    acceptedSeqScans: [],
    build: (s) => auditPageQuery({ portfolioId: s.auditPortfolioId, limit: 100 }),
  },
  {
    name: 'recent-portfolios',
    description:
      'The most recently active portfolios, whose views are loaded into the cache at start. Reads accounts ' +
      'whole, once per start and off the request path: an index on accounts.updated_at would serve it, but every ' +
      'ledger write updates that column, and indexing it would cost the hottest path its HOT updates',
    source: 'AccountsRepository.recentlyActivePortfolios',
    servedBy: [],
    acceptedSeqScans: ['accounts'],
    build: () => ({ sql: RECENTLY_ACTIVE_PORTFOLIOS_SQL, params: [50] }),
  },
];

export function findKeyQuery(name: string): KeyQuery | undefined {
  return KEY_QUERIES.find((q) => q.name === name);
}
