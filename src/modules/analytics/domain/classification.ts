import type { TransactionKind } from '../../transactions/domain/ledger.types';

/**
 * How a transaction kind affects an account's time-weighted return (docs/domain.md §8):
 * - income: trading results, the only thing a return is made of;
 * - flow: external money entering or leaving the account (capital, not performance);
 * - internal: money moving between the account's own pockets (no effect on its value).
 */
export type KindClass = 'income' | 'flow' | 'internal';

const CLASS_OF: Record<Exclude<TransactionKind, 'REVERSAL'>, KindClass> = {
  PREMIUM: 'income',
  TRADING_LOSS: 'income',
  FEE: 'income',
  DEPOSIT: 'flow',
  WITHDRAWAL: 'flow',
  TRANSFER: 'flow',
  FORK: 'flow',
  MERGE: 'flow',
  REINVESTMENT: 'internal',
  POSITION_CLOSE: 'internal',
};

/**
 * The kind a transaction counts as: a REVERSAL counts as the kind it reverses (its postings are
 * already the negation of the original's, so summing them negates that kind's contribution).
 */
/** The kinds whose postings are external flows (a REVERSAL of one is a flow too). */
export const FLOW_KINDS = (Object.keys(CLASS_OF) as Exclude<TransactionKind, 'REVERSAL'>[]).filter(
  (kind) => CLASS_OF[kind] === 'flow',
);

/** The kinds whose timing matters (flows are time-weighted); a reversal may reverse a flow. */
export const TIMED_KINDS: readonly TransactionKind[] = [...FLOW_KINDS, 'REVERSAL'];

export function effectiveKind(kind: TransactionKind, reversedKind: TransactionKind | null): TransactionKind {
  if (kind !== 'REVERSAL') return kind;
  if (!reversedKind || reversedKind === 'REVERSAL') {
    throw new Error(`a REVERSAL must reverse a non-reversal transaction (got ${reversedKind})`);
  }
  return reversedKind;
}

export function classOf(kind: TransactionKind, reversedKind: TransactionKind | null = null): KindClass {
  return CLASS_OF[effectiveKind(kind, reversedKind) as Exclude<TransactionKind, 'REVERSAL'>];
}
