import { splitByWeights, type Cents } from '@app/money';
import type { Allocation } from '../../accounts/domain/templates';
import { assertBalanced, deltasFromLegs } from './postings';
import { OWNER_STATUSES, type Leg, type PlannedTransaction } from './ledger.types';

/**
 * docs/domain.md §2: the initial capital arrives as one DEPOSIT split GEN / REV / COM by the allocation;
 * the remainder cent goes to GEN (the first recipient), and the GEN share is its baseline.
 */
export function planOpeningDeposit(
  id: string,
  portfolioId: string,
  capital: Cents,
  allocation: Allocation,
  accountIds: { GEN: string; REV: string; COM: string },
): PlannedTransaction {
  const [gen, rev, com] = splitByWeights(capital, [allocation.gen, allocation.rev, allocation.com]);
  const legs: Leg[] = [
    { accountId: null, ledger: 'external:bank', amount: -capital },
    { accountId: accountIds.GEN, ledger: 'cash', amount: gen },
    { accountId: accountIds.REV, ledger: 'cash', amount: rev },
    { accountId: accountIds.COM, ledger: 'cash', amount: com },
  ].filter((leg) => leg.amount !== 0n) as Leg[];
  assertBalanced(legs);
  const accounts = deltasFromLegs(legs, (accountId) => ({
    statuses: OWNER_STATUSES,
    baseline: accountId === accountIds.GEN ? gen : 0n,
  }));
  return { id, kind: 'DEPOSIT', portfolioId, memo: 'initial capital', legs, accounts };
}
