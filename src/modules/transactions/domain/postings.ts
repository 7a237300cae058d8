import { MAX_BALANCE_CENTS, type Cents } from '@app/money';
import { balanceLimitExceeded } from '../transactions.errors';
import type { AccountDelta, Leg } from './ledger.types';

/** Double entry: a transaction has at least two legs, none zero, summing to exactly zero. */
export function assertBalanced(legs: readonly Leg[]): void {
  if (legs.length < 2) throw new Error('a transaction needs at least two legs');
  if (legs.some((leg) => leg.amount === 0n)) throw new Error('a leg of zero is not a posting');
  const sum = legs.reduce((acc, leg) => acc + leg.amount, 0n);
  if (sum !== 0n) throw new Error(`postings must sum to zero, got ${sum}`);
}

/**
 * A leg beyond what an account can hold could never be stored (postings are bigint), and would
 * take its account past that limit anyway: refused as BALANCE_LIMIT_EXCEEDED, like ledger_post
 * (src/database/functions/ledger_post.sql) refuses a movement that would take an account there.
 * Only a merge of a vast unit can come close.
 */
export function assertStorable(legs: readonly Leg[]): void {
  const leg = legs.find((l) => l.amount > MAX_BALANCE_CENTS || -l.amount > MAX_BALANCE_CENTS);
  if (leg) throw balanceLimitExceeded(leg.accountId);
}

/**
 * Sums the legs per account and pocket into the deltas ledger_post applies, with the guards it
 * checks under the row locks (src/database/functions/ledger_post.sql).
 */
export function deltasFromLegs(
  legs: readonly Leg[],
  options: (accountId: string) => Pick<AccountDelta, 'statuses' | 'availableDebit'> & { baseline?: Cents },
): AccountDelta[] {
  const byAccount = new Map<string, AccountDelta>();
  for (const leg of legs) {
    if (!leg.accountId) continue;
    let delta = byAccount.get(leg.accountId);
    if (!delta) {
      const { baseline = 0n, ...rest } = options(leg.accountId);
      delta = { id: leg.accountId, cash: 0n, contracts: 0n, leaps: 0n, baseline, ...rest };
      byAccount.set(leg.accountId, delta);
    }
    if (leg.ledger === 'cash' || leg.ledger === 'contracts' || leg.ledger === 'leaps') {
      delta[leg.ledger] += leg.amount;
    } else {
      throw new Error(`an account leg must name a pocket, got ${leg.ledger}`);
    }
  }
  return [...byAccount.values()];
}

export const negateLegs = (legs: readonly Leg[]): Leg[] => legs.map((leg) => ({ ...leg, amount: -leg.amount }));

export function sumLegs(legs: readonly Leg[], accountId: string): Cents {
  return legs.filter((l) => l.accountId === accountId).reduce((acc, l) => acc + l.amount, 0n);
}
