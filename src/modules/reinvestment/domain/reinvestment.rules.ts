import { splitByWeights, type Cents } from '@app/money';
import type { AccountType } from '../../accounts/domain/account-types';
import { percentToBasisPoints } from '../../accounts/domain/percent';
import {
  isIncomeKind,
  OWNER_STATUSES,
  type Leg,
  type PlannedTransaction,
  type TransactionKind,
} from '../../transactions/domain/ledger.types';
import { assertBalanced, deltasFromLegs } from '../../transactions/domain/postings';
import { nothingToClose, reinvestmentNotAllowed } from '../reinvestment.errors';

/** The sum of an account's cash postings of one kind (and, for a REVERSAL, the kind it reversed). */
export interface IncomeEntry {
  kind: TransactionKind;
  reversedKind: TransactionKind | null;
  /** Signed, as posted: a premium is > 0, a loss or fee < 0, a reversal the negation of what it reversed. */
  amount: Cents;
}

/**
 * PREMIUM − TRADING_LOSS − FEE. The postings carry their sign, so this is their sum; a REVERSAL
 * counts as the kind it reverses, negated (its postings are already the negation); every other
 * kind (deposits, transfers, forks, reinvestments …) is not income.
 */
export function netTradingIncome(entries: readonly IncomeEntry[]): Cents {
  let total = 0n;
  for (const e of entries) {
    const kind = e.kind === 'REVERSAL' ? e.reversedKind : e.kind;
    if (kind && isIncomeKind(kind)) total += e.amount;
  }
  return total;
}

export interface ReinvestmentInputs {
  /** Net trading income since the last reinvestment. */
  netIncome: Cents;
  /** 0–100, at most two decimals. */
  reinvestRatePct: number;
  /** Cash above the buffer (accountFigures().available). */
  available: Cents;
  /** minReinvestment; 0 means no minimum. */
  minimum: Cents;
}

export type SkipReason = 'NO_INCOME' | 'NO_AVAILABLE_CASH' | 'BELOW_MINIMUM';

export type ReinvestmentDecision =
  | { reinvest: true; amount: Cents; share: Cents }
  | { reinvest: false; reason: SkipReason; amount: Cents; share: Cents };

/**
 * docs/domain.md §7: share = net income × reinvestRatePct, rounded DOWN to the cent (never reinvest a
 * fraction of a cent that was not earned); amount = share capped at the available cash. Nothing
 * happens when the share is not positive, when nothing is available, or when the amount is below
 * the minimum.
 */
export function reinvestmentAmount(inputs: ReinvestmentInputs): ReinvestmentDecision {
  const rateBp = percentToBasisPoints(inputs.reinvestRatePct);
  if (rateBp === undefined || rateBp > 10_000) throw new RangeError(`bad reinvestRatePct ${inputs.reinvestRatePct}`);
  const share = inputs.netIncome > 0n ? (inputs.netIncome * BigInt(rateBp)) / 10_000n : 0n;
  const available = inputs.available > 0n ? inputs.available : 0n;
  const amount = share < available ? share : available;
  if (share <= 0n) return { reinvest: false, reason: 'NO_INCOME', amount: 0n, share };
  if (amount <= 0n) return { reinvest: false, reason: 'NO_AVAILABLE_CASH', amount, share };
  if (amount < inputs.minimum) return { reinvest: false, reason: 'BELOW_MINIMUM', amount, share };
  return { reinvest: true, amount, share };
}

/** contractsPct to contracts, the rest to LEAPS; the remainder cent goes to contracts (docs/domain.md §2). */
export function splitReinvestment(amount: Cents, contractsPct: number): { contracts: Cents; leaps: Cents } {
  const [contracts, leaps] = splitByWeights(amount, [contractsPct, 100 - contractsPct]);
  return { contracts, leaps };
}

export interface PocketAccount {
  id: string;
  portfolioId: string;
  type: AccountType;
}

/**
 * A REINVESTMENT: account.cash → account.contracts + account.leaps. REV and COM only. The account
 * must be ACTIVE (a suspended account takes no new positions, whoever asks), and the whole amount
 * must be available above the cash buffer: the ledger checks both under the row lock.
 */
export function planReinvestment(
  id: string,
  account: PocketAccount,
  amount: Cents,
  contractsPct: number,
  memo?: string,
): PlannedTransaction {
  if (account.type !== 'REV' && account.type !== 'COM') throw reinvestmentNotAllowed(account.type);
  if (amount <= 0n) throw new RangeError('a reinvestment moves a positive amount');
  const { contracts, leaps } = splitReinvestment(amount, contractsPct);
  const legs = [
    { accountId: account.id, ledger: 'cash', amount: -amount },
    { accountId: account.id, ledger: 'contracts', amount: contracts },
    { accountId: account.id, ledger: 'leaps', amount: leaps },
  ].filter((leg) => leg.amount !== 0n) as Leg[];
  assertBalanced(legs);
  const accounts = deltasFromLegs(legs, () => ({ statuses: OWNER_STATUSES, availableDebit: amount }));
  return { id, kind: 'REINVESTMENT', portfolioId: account.portfolioId, memo, legs, accounts };
}

/**
 * What a close brings back to cash: everything held when nothing is named; otherwise exactly the
 * pockets named (an amount left out closes nothing of that pocket).
 */
export function closeAmounts(
  requested: { contracts?: Cents; leaps?: Cents },
  held: { contracts: Cents; leaps: Cents },
): { contracts: Cents; leaps: Cents } {
  if (requested.contracts === undefined && requested.leaps === undefined) return { ...held };
  return { contracts: requested.contracts ?? 0n, leaps: requested.leaps ?? 0n };
}

/**
 * A POSITION_CLOSE: account.contracts + account.leaps → account.cash (any account type; a GEN
 * account holds no positions). ACTIVE accounts only, like every movement a user asks for; the
 * ledger refuses to take a pocket below zero (INSUFFICIENT_FUNDS).
 */
export function planPositionClose(
  id: string,
  account: PocketAccount,
  amounts: { contracts: Cents; leaps: Cents },
  memo?: string,
): PlannedTransaction {
  if (amounts.contracts < 0n || amounts.leaps < 0n) throw new RangeError('close amounts are not negative');
  const total = amounts.contracts + amounts.leaps;
  if (total === 0n) throw nothingToClose(account.id);
  const legs = [
    { accountId: account.id, ledger: 'contracts', amount: -amounts.contracts },
    { accountId: account.id, ledger: 'leaps', amount: -amounts.leaps },
    { accountId: account.id, ledger: 'cash', amount: total },
  ].filter((leg) => leg.amount !== 0n) as Leg[];
  assertBalanced(legs);
  const accounts = deltasFromLegs(legs, () => ({ statuses: OWNER_STATUSES }));
  return { id, kind: 'POSITION_CLOSE', portfolioId: account.portfolioId, memo, legs, accounts };
}

/** How much a stored REINVESTMENT or POSITION_CLOSE moved, per pocket of its account (from its legs). */
export function pocketMoves(legs: readonly Leg[], accountId: string): { contracts: Cents; leaps: Cents } {
  const sum = (ledger: string) =>
    legs.filter((l) => l.accountId === accountId && l.ledger === ledger).reduce((acc, l) => acc + l.amount, 0n);
  return { contracts: sum('contracts'), leaps: sum('leaps') };
}
