import { Cents } from './amount';

/**
 * Splits `total` by whole-number weights (percentages or any integers summing to `scale`).
 * Every share but the first is rounded down to the cent; the first recipient takes the
 * remainder, so the shares always add up to `total` exactly (docs/domain.md §2).
 */
export function splitByWeights(total: Cents, weights: readonly number[], scale = 100): Cents[] {
  if (weights.length === 0) throw new RangeError('at least one weight is required');
  if (weights.some((w) => !Number.isInteger(w) || w < 0)) {
    throw new RangeError('weights must be non-negative integers');
  }
  if (weights.reduce((a, b) => a + b, 0) !== scale) {
    throw new RangeError(`weights must sum to ${scale}`);
  }
  const shares = weights.map((w) => (total * BigInt(w)) / BigInt(scale));
  const rest = shares.slice(1).reduce((a, b) => a + b, 0n);
  shares[0] = total - rest;
  return shares;
}

/** Rounds `value × basisPoints / 10000` up to the next cent (for reserves such as the cash buffer). */
export function ceilBasisPoints(value: Cents, basisPoints: number): Cents {
  if (value <= 0n || basisPoints <= 0) return 0n;
  return (value * BigInt(basisPoints) + 9_999n) / 10_000n;
}
