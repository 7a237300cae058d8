import { splitByWeights } from '@app/money';
import { DEFAULT_CONFIG } from '../../accounts/domain/account-config';
import { DEFAULT_FORK_THRESHOLD, DEFAULT_MERGE_THRESHOLD, TEMPLATE_ALLOCATIONS } from '../../accounts/domain/templates';
import type { AccountKind, ProjectionParams, StartState } from './projection';

/** docs/domain.md §2 (moderate template) and §1 (weekly targets, thresholds), in request units. */
export const PROJECTION_DEFAULTS = {
  allocation: {
    gen: TEMPLATE_ALLOCATIONS.moderate.gen,
    rev: TEMPLATE_ALLOCATIONS.moderate.rev,
    com: TEMPLATE_ALLOCATIONS.moderate.com,
  },
  bufferPct: TEMPLATE_ALLOCATIONS.moderate.bufferBp / 100,
  weeklyRates: {
    gen: DEFAULT_CONFIG.GEN.weeklyTargetPct,
    rev: DEFAULT_CONFIG.REV.weeklyTargetPct,
    com: DEFAULT_CONFIG.COM.weeklyTargetPct,
  },
  forkThreshold: DEFAULT_FORK_THRESHOLD,
  mergeThreshold: DEFAULT_MERGE_THRESHOLD,
} as const;

export const MAX_YEARS = 50;
export const MAX_WEEKLY_RATE_PCT = 5;

/** A weekly rate in percent with at most 4 decimals, as parts per million (1.5 → 15000), exactly. */
export function percentToPpm(pct: number): number | undefined {
  if (!Number.isFinite(pct) || pct < 0) return undefined;
  const ppm = Math.round(pct * 10_000);
  return Math.abs(ppm - pct * 10_000) < 1e-6 ? ppm : undefined;
}

/** A new capital split by the allocation, as a portfolio opening splits it (remainder cent to GEN). */
export function startFromCapital(capital: bigint, allocation: Record<AccountKind, number>): StartState {
  const [gen, rev, com] = splitByWeights(capital, [allocation.gen, allocation.rev, allocation.com]);
  return { gen, genBaseline: gen, rev, com, units: [] };
}

/** The job payload carries params and start as JSON: bigints as decimal strings. */
export interface SerializedProjection {
  params: {
    years: number;
    bufferBp: number;
    weeklyRatesPpm: Record<AccountKind, number>;
    forkThreshold: string;
    mergeThreshold: string;
  };
  start: { gen: string; genBaseline: string; rev: string; com: string; units: [string, string, string][] };
}

export function serializeProjection(params: ProjectionParams, start: StartState): SerializedProjection {
  return {
    params: {
      years: params.years,
      bufferBp: params.bufferBp,
      weeklyRatesPpm: { ...params.weeklyRatesPpm },
      forkThreshold: params.forkThreshold.toString(),
      mergeThreshold: params.mergeThreshold.toString(),
    },
    start: {
      gen: start.gen.toString(),
      genBaseline: start.genBaseline.toString(),
      rev: start.rev.toString(),
      com: start.com.toString(),
      units: start.units.map((u) => [u.gen.toString(), u.baseline.toString(), u.com.toString()]),
    },
  };
}

export function deserializeProjection(input: SerializedProjection): { params: ProjectionParams; start: StartState } {
  const { params, start } = input;
  return {
    params: {
      ...params,
      forkThreshold: BigInt(params.forkThreshold),
      mergeThreshold: BigInt(params.mergeThreshold),
    },
    start: {
      gen: BigInt(start.gen),
      genBaseline: BigInt(start.genBaseline),
      rev: BigInt(start.rev),
      com: BigInt(start.com),
      units: start.units.map(([gen, baseline, com]) => ({
        gen: BigInt(gen),
        baseline: BigInt(baseline),
        com: BigInt(com),
      })),
    },
  };
}
