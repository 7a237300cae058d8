import { AppError, FieldError } from '@app/errors';
import type { AccountType, Weekday } from './account-types';

/** Per-account trading configuration (domain.md §7). The buffer lives beside it, in basis points. */
export interface AccountConfig {
  weeklyTargetPct: number;
  deltaRange: { min: number; max: number };
  entryDays: Weekday[];
  positionSizingPct: number;
  contractsPct: number;
  leapsPct: number;
  maxDrawdownPct: number;
}

/** Defaults per type, from domain.md §1 (target, delta range, entry days). */
export const DEFAULT_CONFIG: Record<AccountType, AccountConfig> = {
  GEN: {
    weeklyTargetPct: 1.5,
    deltaRange: { min: 40, max: 50 },
    entryDays: ['THURSDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 20,
  },
  REV: {
    weeklyTargetPct: 1.0,
    deltaRange: { min: 30, max: 40 },
    entryDays: ['MONDAY', 'TUESDAY', 'WEDNESDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 15,
  },
  COM: {
    weeklyTargetPct: 0.5,
    deltaRange: { min: 20, max: 30 },
    entryDays: ['MONDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 10,
  },
};

export type AccountConfigPatch = Partial<Omit<AccountConfig, 'deltaRange'>> & {
  deltaRange?: { min: number; max: number };
};

/**
 * Applies a patch and checks the rules that span fields (single-field ranges are checked by the
 * request DTO): delta min < max, contracts + LEAPS = 100. Returns the new configuration.
 */
export function applyConfigPatch(current: AccountConfig, patch: AccountConfigPatch): AccountConfig {
  const next: AccountConfig = {
    ...current,
    ...stripUndefined(patch),
    deltaRange: patch.deltaRange ? { ...patch.deltaRange } : current.deltaRange,
    entryDays: patch.entryDays ? [...new Set(patch.entryDays)] : current.entryDays,
  };
  if (patch.contractsPct !== undefined && patch.leapsPct === undefined) next.leapsPct = 100 - patch.contractsPct;
  if (patch.leapsPct !== undefined && patch.contractsPct === undefined) next.contractsPct = 100 - patch.leapsPct;

  const errors: FieldError[] = [];
  if (next.deltaRange.min >= next.deltaRange.max) {
    errors.push({ field: 'deltaRange', message: 'deltaRange.min must be less than deltaRange.max' });
  }
  if (next.contractsPct + next.leapsPct !== 100) {
    errors.push({ field: 'contractsPct', message: 'contractsPct + leapsPct must equal 100' });
  }
  if (next.entryDays.length === 0) errors.push({ field: 'entryDays', message: 'at least one entry day is required' });
  if (errors.length) {
    throw new AppError('validation', 'VALIDATION_FAILED', errors.map((e) => e.message).join('; '), { errors });
  }
  return next;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
