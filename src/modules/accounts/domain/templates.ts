import { invalidField } from '@app/errors';
import { percentToBasisPoints } from './percent';

export const TEMPLATES = ['moderate', 'conservative', 'aggressive', 'custom'] as const;
export type Template = (typeof TEMPLATES)[number];

export interface Allocation {
  gen: number;
  rev: number;
  com: number;
  /** Cash buffer in basis points (5 % = 500). */
  bufferBp: number;
}

/** docs/domain.md §1: a portfolio's fork and merge thresholds unless it names its own (cents). */
export const DEFAULT_FORK_THRESHOLD = 5_000_000n; // 50,000.00
export const DEFAULT_MERGE_THRESHOLD = 50_000_000n; // 500,000.00

/** Whether a unit that reaches the merge threshold merges at once, or waits for the owner's confirmation. */
export const MERGE_MODES = ['auto', 'confirm'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];
export const DEFAULT_MERGE_MODE: MergeMode = 'confirm';

/** docs/domain.md §2: the allocation templates. */
export const TEMPLATE_ALLOCATIONS: Record<Exclude<Template, 'custom'>, Allocation> = {
  moderate: { gen: 40, rev: 30, com: 30, bufferBp: 500 },
  conservative: { gen: 30, rev: 50, com: 20, bufferBp: 700 },
  aggressive: { gen: 50, rev: 20, com: 30, bufferBp: 300 },
};

export interface AllocationInput {
  gen: number;
  rev: number;
  com: number;
  bufferPct: number;
}

/**
 * The allocation a new portfolio gets: a named template, or a custom one of three whole
 * percentages summing to 100 with a buffer of 0–20 %.
 */
export function resolveAllocation(template: Template | undefined, custom: AllocationInput | undefined): Allocation {
  const chosen = template ?? (custom ? 'custom' : 'moderate');
  if (chosen !== 'custom') {
    if (custom) throw invalidField('allocation', 'is only accepted with template "custom"');
    return TEMPLATE_ALLOCATIONS[chosen];
  }
  if (!custom) throw invalidField('allocation', 'is required with template "custom"');
  for (const key of ['gen', 'rev', 'com'] as const) {
    const value = custom[key];
    if (!Number.isInteger(value) || value < 0 || value > 100) {
      throw invalidField(`allocation.${key}`, 'must be a whole percentage from 0 to 100');
    }
  }
  if (custom.gen + custom.rev + custom.com !== 100) {
    throw invalidField('allocation', 'percentages gen + rev + com must sum to 100');
  }
  const bufferBp = percentToBasisPoints(custom.bufferPct);
  if (bufferBp === undefined || bufferBp > 2000) {
    throw invalidField('allocation.bufferPct', 'must be a percentage from 0 to 20 with at most two decimals');
  }
  return { gen: custom.gen, rev: custom.rev, com: custom.com, bufferBp };
}
