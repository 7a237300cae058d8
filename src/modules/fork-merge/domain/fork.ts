import { type Cents, formatCents, splitByWeights } from '@app/money';
import type { AccountStatus, AccountType } from '../../accounts/domain/account-types';
import type { PlannedTransaction } from '../../transactions/domain/ledger.types';

/** What the fork rule needs to know about a GEN account, read under its row lock. */
export interface ForkCandidate {
  id: string;
  portfolioId: string;
  type: AccountType;
  status: AccountStatus;
  baseline: Cents;
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
}

export type ForkRefusal = 'NOT_GEN' | 'NOT_ACTIVE' | 'BELOW_THRESHOLD' | 'SURPLUS_NOT_IN_CASH';

export type ForkDecision =
  | { eligible: true; surplus: Cents; genShare: Cents; comShare: Cents }
  | { eligible: false; reason: ForkRefusal; message: string; surplus: Cents };

/**
 * docs/domain.md §5: a GEN account forks when its surplus (total value − baseline) reaches the fork
 * threshold. The whole surplus leaves it, in cash; the new GEN gets half (the remainder cent goes
 * to it) as its baseline, the new COM the other half.
 */
export function decideFork(account: ForkCandidate, threshold: Cents): ForkDecision {
  const surplus = account.cash + account.contracts + account.leaps - account.baseline;
  const refuse = (reason: ForkRefusal, message: string): ForkDecision => ({
    eligible: false,
    reason,
    message,
    surplus,
  });
  if (account.type !== 'GEN') return refuse('NOT_GEN', `only GEN accounts fork; this is a ${account.type} account`);
  if (account.status !== 'ACTIVE') return refuse('NOT_ACTIVE', `the account is ${account.status}`);
  if (surplus < threshold) {
    return refuse(
      'BELOW_THRESHOLD',
      `the surplus ${formatCents(surplus)} is below the fork threshold ${formatCents(threshold)}`,
    );
  }
  if (account.cash < surplus) {
    return refuse(
      'SURPLUS_NOT_IN_CASH',
      `the surplus ${formatCents(surplus)} is not all in cash (cash ${formatCents(account.cash)})`,
    );
  }
  const [genShare, comShare] = splitByWeights(surplus, [1, 1], 2);
  return { eligible: true, surplus, genShare, comShare };
}

/** The FORK transaction: parent GEN cash → new GEN cash + new COM cash; the new GEN's baseline is its share. */
export function planFork(
  id: string,
  parent: { id: string; portfolioId: string },
  unit: { genAccountId: string; comAccountId: string },
  fork: { surplus: Cents; genShare: Cents; comShare: Cents },
  effectiveAt: Date,
): PlannedTransaction {
  const active: AccountStatus[] = ['ACTIVE'];
  return {
    id,
    kind: 'FORK',
    portfolioId: parent.portfolioId,
    effectiveAt,
    legs: [
      { accountId: parent.id, ledger: 'cash', amount: -fork.surplus },
      { accountId: unit.genAccountId, ledger: 'cash', amount: fork.genShare },
      { accountId: unit.comAccountId, ledger: 'cash', amount: fork.comShare },
    ],
    accounts: [
      { id: parent.id, cash: -fork.surplus, contracts: 0n, leaps: 0n, baseline: 0n, statuses: active },
      {
        id: unit.genAccountId,
        cash: fork.genShare,
        contracts: 0n,
        leaps: 0n,
        baseline: fork.genShare,
        statuses: active,
      },
      { id: unit.comAccountId, cash: fork.comShare, contracts: 0n, leaps: 0n, baseline: 0n, statuses: active },
    ],
  };
}

export const fmt = (cents: Cents) => {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
};
