import type { Cents } from '@app/money';
import type { AccountStatus, AccountType } from '../../accounts/domain/account-types';

export const MOVEMENT_KINDS = ['DEPOSIT', 'WITHDRAWAL', 'PREMIUM', 'TRADING_LOSS', 'FEE', 'TRANSFER'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

export const TRANSACTION_KINDS = [
  ...MOVEMENT_KINDS,
  'REINVESTMENT',
  'POSITION_CLOSE',
  'FORK',
  'MERGE',
  'REVERSAL',
] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** The kinds whose postings are an account's trading income (docs/domain.md §7, §8): PREMIUM − TRADING_LOSS − FEE. */
export const INCOME_KINDS = ['PREMIUM', 'TRADING_LOSS', 'FEE'] as const;
export type IncomeKind = (typeof INCOME_KINDS)[number];

export function isIncomeKind(kind: TransactionKind): kind is IncomeKind {
  return (INCOME_KINDS as readonly string[]).includes(kind);
}

export const POCKETS = ['cash', 'contracts', 'leaps'] as const;
export type Pocket = (typeof POCKETS)[number];
export const EXTERNAL_LEDGERS = ['external:bank', 'external:market', 'external:fees'] as const;
export type ExternalLedger = (typeof EXTERNAL_LEDGERS)[number];
export type LedgerName = Pocket | ExternalLedger;

/** One side of a posting: a credit (> 0) or debit (< 0) to an account's pocket or an external ledger. */
export interface Leg {
  accountId: string | null;
  ledger: LedgerName;
  amount: Cents;
}

/** What a transaction does to one account, and the conditions the database must check under lock. */
export interface AccountDelta {
  id: string;
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
  baseline: Cents;
  /** The account must be in one of these statuses. */
  statuses: AccountStatus[];
  /** When set, this much cash must be available (cash − buffer) before the transaction. */
  availableDebit?: Cents;
}

export interface PlannedTransaction {
  id: string;
  kind: TransactionKind;
  portfolioId: string;
  effectiveAt?: Date;
  memo?: string;
  reversesId?: string;
  legs: Leg[];
  accounts: AccountDelta[];
}

/** The immutable facts the rules need about an account. */
export interface AccountFactsLite {
  id: string;
  portfolioId: string;
  type: AccountType;
  createdAt: Date;
}

/** Owner-initiated movements need an ACTIVE account; market events also reach SUSPENDED ones. */
export const OWNER_STATUSES: AccountStatus[] = ['ACTIVE'];
export const MARKET_STATUSES: AccountStatus[] = ['ACTIVE', 'SUSPENDED'];
