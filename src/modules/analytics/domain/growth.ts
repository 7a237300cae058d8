import Decimal from 'decimal.js';
import type { Cents } from '@app/money';

/** Enough digits that powers over centuries of weeks stay exact to far below a cent. */
const D = Decimal.clone({ precision: 60 });

/** A GEN account's fork position (docs/domain.md §5, §8). */
export interface ForkOutlook {
  surplus: Cents;
  /** max(surplus, 0) / fork threshold, as a fraction (≥ 1 means eligible now). */
  progress: Decimal;
  /** Whole weeks of growth at the target rate until surplus ≥ threshold; 0 when eligible; null if never. */
  weeksToFork: number | null;
}

/**
 * Weeks until a GEN account's surplus reaches the fork threshold, growing as in the projection
 * model (docs/domain.md §9): each week value += value × (1 − buffer) × weekly target, compounding,
 * with the baseline unchanged. The smallest n with value × (1 + g)^n − baseline ≥ threshold;
 * null when the value cannot grow (value ≤ 0 or g ≤ 0).
 */
export function forkOutlook(input: {
  value: Cents;
  baseline: Cents;
  forkThreshold: Cents;
  bufferBp: number;
  weeklyTargetPct: number;
}): ForkOutlook {
  const surplus = input.value - input.baseline;
  const progress = new D((surplus > 0n ? surplus : 0n).toString()).div(input.forkThreshold.toString());
  if (surplus >= input.forkThreshold) return { surplus, progress, weeksToFork: 0 };
  const growth = new D(1)
    .minus(new D(input.bufferBp).div(10_000))
    .times(new D(input.weeklyTargetPct.toString()).div(100));
  const value = new D(input.value.toString());
  if (value.lte(0) || growth.lte(0)) return { surplus, progress, weeksToFork: null };
  const goal = new D((input.baseline + input.forkThreshold).toString());
  const factor = growth.plus(1);
  const reaches = (n: number) => value.times(factor.pow(n)).gte(goal);
  // Logarithms give the answer to within a step; exact powers settle the boundary.
  let n = Math.max(0, Math.ceil(goal.div(value).ln().div(factor.ln()).toNumber()));
  while (n > 0 && reaches(n - 1)) n--;
  while (!reaches(n)) n++;
  return { surplus, progress, weeksToFork: n };
}

/** A forked unit's progress to the merge threshold (docs/domain.md §6), as a fraction. */
export function mergeProgress(unitValue: Cents, mergeThreshold: Cents): Decimal {
  return new D(unitValue.toString()).div(mergeThreshold.toString());
}
