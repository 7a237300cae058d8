import { type Cents, formatCents } from '@app/money';
import type { AccountStatus } from '../../accounts/domain/account-types';
import {
  MARKET_STATUSES,
  POCKETS,
  type AccountDelta,
  type Leg,
  type PlannedTransaction,
  type Pocket,
} from '../../transactions/domain/ledger.types';

/** A forked unit is active until it merges (the CHECK on units.status). */
export const UNIT_STATUSES = ['ACTIVE', 'MERGED'] as const;
export type UnitStatus = (typeof UNIT_STATUSES)[number];

export interface UnitAccount {
  id: string;
  status: AccountStatus;
  baseline: Cents;
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
}

/** A forked unit as the merge rule sees it, read under its accounts' row locks. */
export interface MergeCandidate {
  id: string;
  portfolioId: string;
  status: UnitStatus;
  gen: UnitAccount;
  com: UnitAccount;
}

export type MergeRefusal = 'ALREADY_MERGED' | 'BELOW_THRESHOLD';

export type MergeDecision =
  { eligible: true; value: Cents } | { eligible: false; reason: MergeRefusal; message: string; value: Cents };

export const accountValue = (a: Pick<UnitAccount, Pocket>): Cents => a.cash + a.contracts + a.leaps;

export const unitValue = (unit: Pick<MergeCandidate, 'gen' | 'com'>): Cents =>
  accountValue(unit.gen) + accountValue(unit.com);

/**
 * docs/domain.md §6: a forked unit merges when its total value (GEN + COM, all pockets) reaches the
 * merge threshold.
 */
export function decideMerge(unit: MergeCandidate, threshold: Cents): MergeDecision {
  const value = unitValue(unit);
  if (unit.status !== 'ACTIVE') {
    return { eligible: false, reason: 'ALREADY_MERGED', message: 'the unit has already merged', value };
  }
  if (value < threshold) {
    return {
      eligible: false,
      reason: 'BELOW_THRESHOLD',
      message: `the unit's value ${formatCents(value)} is below the merge threshold ${formatCents(threshold)}`,
      value,
    };
  }
  return { eligible: true, value };
}

/**
 * The MERGE transaction: every pocket of the unit's two accounts is emptied (positions are closed
 * as part of it) into the portfolio's root COM cash. The unit's GEN baseline goes to 0 with its value.
 */
export function planMerge(id: string, unit: MergeCandidate, rootComId: string, effectiveAt: Date): PlannedTransaction {
  const legs: Leg[] = [];
  const accounts: AccountDelta[] = [];
  for (const account of [unit.gen, unit.com]) {
    for (const ledger of POCKETS) {
      if (account[ledger] !== 0n) legs.push({ accountId: account.id, ledger, amount: -account[ledger] });
    }
    accounts.push({
      id: account.id,
      cash: -account.cash,
      contracts: -account.contracts,
      leaps: -account.leaps,
      baseline: -account.baseline,
      statuses: MARKET_STATUSES,
    });
  }
  const value = unitValue(unit);
  legs.push({ accountId: rootComId, ledger: 'cash', amount: value });
  accounts.push({ id: rootComId, cash: value, contracts: 0n, leaps: 0n, baseline: 0n, statuses: MARKET_STATUSES });
  return { id, kind: 'MERGE', portfolioId: unit.portfolioId, effectiveAt, legs, accounts };
}

/**
 * In `confirm` mode a check proposes instead of merging: unless a proposal is already open, or
 * one was rejected less than `reproposeAfterDays` ago (a rejection is not asked again every week).
 */
export function shouldPropose(
  open: boolean,
  lastRejectedAt: Date | undefined,
  now: Date,
  reproposeAfterDays: number,
): boolean {
  if (open) return false;
  if (!lastRejectedAt) return true;
  return now.getTime() - lastRejectedAt.getTime() >= reproposeAfterDays * 86_400_000;
}
