import { FieldError, validationError } from '@app/errors';
import { decimalCents, formatCents, MAX_AMOUNT_CENTS, type Cents } from '@app/money';
import type { AccountType, Weekday } from './account-types';

/** Per-account trading configuration (docs/domain.md §1). The buffer lives beside it, in basis points. */
export interface AccountConfig {
  weeklyTargetPct: number;
  deltaRange: { min: number; max: number };
  entryDays: Weekday[];
  positionSizingPct: number;
  contractsPct: number;
  leapsPct: number;
  maxDrawdownPct: number;
  /** Share of the net trading income since the last reinvestment that is reinvested (docs/domain.md §7). */
  reinvestRatePct: number;
  /** A reinvestment below this amount does not happen; "0.00" means no minimum (decimal string). */
  minReinvestment: string;
}

/**
 * The reinvestment settings of docs/domain.md §7. Every type carries them, GEN included (a GEN account
 * never reinvests): one shape for every account keeps views, patches and the migration uniform.
 */
const REINVESTMENT_DEFAULTS = { reinvestRatePct: 100, minReinvestment: '100.00' } as const;

/** Defaults per type, from docs/domain.md §1 (target, delta range, entry days). */
export const DEFAULT_CONFIG: Record<AccountType, AccountConfig> = {
  GEN: {
    weeklyTargetPct: 1.5,
    deltaRange: { min: 40, max: 50 },
    entryDays: ['THURSDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 20,
    ...REINVESTMENT_DEFAULTS,
  },
  REV: {
    weeklyTargetPct: 1.0,
    deltaRange: { min: 30, max: 40 },
    entryDays: ['MONDAY', 'TUESDAY', 'WEDNESDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 15,
    ...REINVESTMENT_DEFAULTS,
  },
  COM: {
    weeklyTargetPct: 0.5,
    deltaRange: { min: 20, max: 30 },
    entryDays: ['MONDAY'],
    positionSizingPct: 90,
    contractsPct: 75,
    leapsPct: 25,
    maxDrawdownPct: 10,
    ...REINVESTMENT_DEFAULTS,
  },
};

export type AccountConfigPatch = Partial<Omit<AccountConfig, 'deltaRange'>> & {
  deltaRange?: { min: number; max: number };
};

/**
 * Applies a patch and checks the rules that span fields (single-field ranges are checked by the
 * request DTO): delta min < max, contracts + LEAPS = 100; minReinvestment is stored with two
 * decimals ("250" → "250.00"). Returns the new configuration.
 */
export function applyConfigPatch(current: AccountConfig, patch: AccountConfigPatch): AccountConfig {
  const next: AccountConfig = {
    // Rows written before the reinvestment settings existed take their defaults.
    ...REINVESTMENT_DEFAULTS,
    ...current,
    ...stripUndefined(patch),
    deltaRange: patch.deltaRange ? { ...patch.deltaRange } : current.deltaRange,
    entryDays: patch.entryDays ? [...new Set(patch.entryDays)] : current.entryDays,
  };
  if (patch.minReinvestment !== undefined) {
    const cents = parseMoneyAtLeastZero(patch.minReinvestment);
    if (cents !== undefined) next.minReinvestment = formatCents(cents);
  }
  if (patch.contractsPct !== undefined && patch.leapsPct === undefined) next.leapsPct = 100 - patch.contractsPct;
  if (patch.leapsPct !== undefined && patch.contractsPct === undefined) next.contractsPct = 100 - patch.leapsPct;

  const errors: FieldError[] = [];
  if (next.deltaRange.min >= next.deltaRange.max) {
    errors.push({ field: 'deltaRange', message: 'deltaRange.min must be less than deltaRange.max' });
  }
  if (next.contractsPct + next.leapsPct !== 100) {
    errors.push({ field: 'contractsPct', message: 'contractsPct + leapsPct must equal 100' });
  }
  if (parseMoneyAtLeastZero(next.minReinvestment) === undefined) {
    errors.push({ field: 'minReinvestment', message: MIN_REINVESTMENT_RULE });
  }
  if (next.entryDays.length === 0) errors.push({ field: 'entryDays', message: 'at least one entry day is required' });
  if (errors.length) throw validationError(errors.map((e) => e.message).join('; '), errors);
  return next;
}

/** The fields of a patch that were given. */
export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export const MIN_REINVESTMENT_RULE =
  'must be a decimal string of at least 0.00 with at most two decimals, not above 1000000000000.00';

/** "0.00" … "1000000000000.00" (at most two decimals) in cents; undefined for anything else. */
export function parseMoneyAtLeastZero(value: unknown): Cents | undefined {
  if (typeof value !== 'string') return undefined;
  const cents = decimalCents(value);
  return cents !== undefined && cents <= MAX_AMOUNT_CENTS ? cents : undefined;
}
