import type { Cents } from '@app/money';
import { accountNotFound } from '../../accounts/accounts.errors';
import {
  alreadyReversed,
  comWithdrawalForbidden,
  crossPortfolioTransfer,
  effectiveAtBeforeAccount,
  effectiveAtInFuture,
  sameAccountTransfer,
  toAccountIdOnlyForTransfer,
  toAccountIdRequired,
  transactionNotReversible,
} from '../transactions.errors';
import { assertBalanced, deltasFromLegs, negateLegs } from './postings';
import {
  AccountDelta,
  AccountFactsLite,
  ExternalLedger,
  Leg,
  MARKET_STATUSES,
  MovementKind,
  OWNER_STATUSES,
  PlannedTransaction,
  TransactionKind,
} from './ledger.types';

export interface MovementInput {
  kind: MovementKind;
  accountId: string;
  toAccountId?: string;
  amount: Cents;
  effectiveAt?: Date;
  memo?: string;
}

/** Where the other side of a single-account movement lives, and which way the money goes. */
const SINGLE_ACCOUNT: Record<Exclude<MovementKind, 'TRANSFER'>, { external: ExternalLedger; credit: boolean }> = {
  DEPOSIT: { external: 'external:bank', credit: true },
  WITHDRAWAL: { external: 'external:bank', credit: false },
  PREMIUM: { external: 'external:market', credit: true },
  TRADING_LOSS: { external: 'external:market', credit: false },
  FEE: { external: 'external:fees', credit: false },
};

/**
 * docs/domain.md §3: turns a requested movement into balanced legs plus the per-account deltas and
 * guards that ledger_post checks under lock (src/database/functions/ledger_post.sql). Rules that
 * depend only on immutable facts (type, portfolio, creation time) are decided here; balances and
 * status are checked by the database.
 */
export function planMovement(
  id: string,
  input: MovementInput,
  facts: ReadonlyMap<string, AccountFactsLite>,
  now: Date,
): PlannedTransaction {
  const account = facts.get(input.accountId);
  if (!account) throw accountNotFound(input.accountId);
  assertEffectiveAt(input.effectiveAt, [account], now);

  if (input.kind === 'TRANSFER') return planTransfer(id, input, account, facts, now);
  if (input.toAccountId !== undefined) throw toAccountIdOnlyForTransfer();
  if (input.kind === 'WITHDRAWAL' && account.type === 'COM') throw comWithdrawalForbidden('withdrawn from');

  const rule = SINGLE_ACCOUNT[input.kind];
  const signed = rule.credit ? input.amount : -input.amount;
  const legs: Leg[] = [
    { accountId: account.id, ledger: 'cash', amount: signed },
    { accountId: null, ledger: rule.external, amount: -signed },
  ];
  // Capital flows move a GEN baseline; performance flows (premium, loss, fee) do not.
  const movesBaseline = account.type === 'GEN' && (input.kind === 'DEPOSIT' || input.kind === 'WITHDRAWAL');
  const accounts = deltasFromLegs(legs, () => ({
    statuses: input.kind === 'DEPOSIT' || input.kind === 'WITHDRAWAL' ? OWNER_STATUSES : MARKET_STATUSES,
    availableDebit: input.kind === 'WITHDRAWAL' ? input.amount : undefined,
    baseline: movesBaseline ? signed : 0n,
  }));
  return finish(id, input.kind, account.portfolioId, legs, accounts, input);
}

function planTransfer(
  id: string,
  input: MovementInput,
  from: AccountFactsLite,
  facts: ReadonlyMap<string, AccountFactsLite>,
  now: Date,
): PlannedTransaction {
  if (!input.toAccountId) throw toAccountIdRequired();
  const to = facts.get(input.toAccountId);
  if (!to) throw accountNotFound(input.toAccountId);
  if (to.id === from.id) throw sameAccountTransfer();
  if (to.portfolioId !== from.portfolioId) throw crossPortfolioTransfer();
  if (from.type === 'COM') throw comWithdrawalForbidden('transferred out of');
  assertEffectiveAt(input.effectiveAt, [to], now);

  const legs: Leg[] = [
    { accountId: from.id, ledger: 'cash', amount: -input.amount },
    { accountId: to.id, ledger: 'cash', amount: input.amount },
  ];
  const accounts = deltasFromLegs(legs, (accountId) => {
    const isFrom = accountId === from.id;
    const type = isFrom ? from.type : to.type;
    return {
      statuses: OWNER_STATUSES,
      availableDebit: isFrom ? input.amount : undefined,
      baseline: type === 'GEN' ? (isFrom ? -input.amount : input.amount) : 0n,
    };
  });
  return finish(id, 'TRANSFER', from.portfolioId, legs, accounts, input);
}

/** A stored transaction as far as reversing it is concerned. */
export interface ReversibleTransaction {
  id: string;
  kind: TransactionKind;
  portfolioId: string;
  legs: Leg[];
  baselineChanges: { id: string; baseline: Cents }[];
  reversedById: string | null;
}

const REVERSIBLE = new Set<TransactionKind>(['DEPOSIT', 'WITHDRAWAL', 'PREMIUM', 'TRADING_LOSS', 'FEE', 'TRANSFER']);

/** docs/domain.md §3: a reversal posts the negation of the original; each transaction is reversed once. */
export function planReversal(
  id: string,
  original: ReversibleTransaction,
  options: { effectiveAt?: Date; memo?: string },
): PlannedTransaction {
  if (!REVERSIBLE.has(original.kind)) throw transactionNotReversible(original.kind);
  if (original.reversedById) throw alreadyReversed(original.id);
  const legs = negateLegs(original.legs);
  const baselineOf = new Map(original.baselineChanges.map((b) => [b.id, -b.baseline]));
  const accounts = deltasFromLegs(legs, (accountId) => ({
    statuses: MARKET_STATUSES,
    baseline: baselineOf.get(accountId) ?? 0n,
  }));
  return {
    id,
    kind: 'REVERSAL',
    portfolioId: original.portfolioId,
    effectiveAt: options.effectiveAt,
    memo: options.memo,
    reversesId: original.id,
    legs,
    accounts,
  };
}

function finish(
  id: string,
  kind: TransactionKind,
  portfolioId: string,
  legs: Leg[],
  accounts: AccountDelta[],
  input: { effectiveAt?: Date; memo?: string },
): PlannedTransaction {
  assertBalanced(legs);
  return { id, kind, portfolioId, effectiveAt: input.effectiveAt, memo: input.memo, legs, accounts };
}

/** A backdated movement may not be in the future, nor before any account it touches existed. */
export function assertEffectiveAt(effectiveAt: Date | undefined, accounts: AccountFactsLite[], now: Date): void {
  if (!effectiveAt) return;
  if (effectiveAt.getTime() > now.getTime()) throw effectiveAtInFuture();
  for (const account of accounts) {
    if (effectiveAt.getTime() < account.createdAt.getTime())
      throw effectiveAtBeforeAccount(account.id, account.createdAt);
  }
}

/** The baseline changes a plan carries, stored with the transaction so a reversal can undo them. */
export function baselineChanges(plan: PlannedTransaction): { id: string; baseline: string }[] {
  return plan.accounts.filter((a) => a.baseline !== 0n).map((a) => ({ id: a.id, baseline: a.baseline.toString() }));
}
