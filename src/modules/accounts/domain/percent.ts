/** Converts a percentage with at most two decimals (e.g. 5, 7.5, 12.25) to basis points, exactly. */
export function percentToBasisPoints(pct: unknown): number | undefined {
  if (typeof pct !== 'number' || !Number.isFinite(pct) || pct < 0) return undefined;
  const bp = Math.round(pct * 100);
  return Math.abs(bp - pct * 100) < 1e-6 ? bp : undefined;
}

export function basisPointsToPercent(bp: number): number {
  return bp / 100;
}
