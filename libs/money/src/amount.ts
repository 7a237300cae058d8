/**
 * Money is carried as integer cents in `bigint` and as decimal strings at the edges.
 * No floating point ever touches an amount.
 */
export type Cents = bigint;

/** The largest amount any request may carry: 1,000,000,000,000.00. */
export const MAX_AMOUNT_CENTS: Cents = 100_000_000_000_000n;

/**
 * The most an account may hold in all (and a GEN baseline may reach): pockets are PostgreSQL
 * bigint columns, and the ledger keeps every account's total within one (92,233,720,368,547,758.07).
 */
export const MAX_BALANCE_CENTS: Cents = 9_223_372_036_854_775_807n;

const AMOUNT_PATTERN = /^(0|[1-9]\d{0,12})(?:\.(\d{1,2}))?$/;

/**
 * The cents of a plain decimal string of at most 13 digits and two decimals ("0", "12.5",
 * "1250.00"); undefined for anything else (a sign, an exponent, a space, a third decimal). The
 * range is the caller's to check.
 */
export function decimalCents(value: string): Cents | undefined {
  const match = AMOUNT_PATTERN.exec(value);
  return match ? BigInt(match[1]) * 100n + BigInt((match[2] ?? '').padEnd(2, '0')) : undefined;
}

export type AmountParseResult = { ok: true; cents: Cents } | { ok: false; reason: string };

/**
 * Parses a request amount: a positive decimal string with at most two decimals and no larger than
 * {@link MAX_AMOUNT_CENTS}. Numbers, signs, exponents, spaces and separators are refused.
 */
export function parseAmount(value: unknown): AmountParseResult {
  if (typeof value !== 'string') {
    return { ok: false, reason: 'must be a decimal string such as "1250.00", not a JSON number' };
  }
  const cents = decimalCents(value);
  if (cents === undefined) {
    return { ok: false, reason: 'must be a positive decimal string with at most two decimals' };
  }
  if (cents <= 0n) return { ok: false, reason: 'must be greater than zero' };
  if (cents > MAX_AMOUNT_CENTS) return { ok: false, reason: 'must not exceed 1000000000000.00' };
  return { ok: true, cents };
}

/** Parses an amount that is already known to be valid (validated DTO fields). */
export function toCents(value: string): Cents {
  const parsed = parseAmount(value);
  if (!parsed.ok) throw new RangeError(`invalid amount "${value}": ${parsed.reason}`);
  return parsed.cents;
}

/** Formats cents as a decimal string with exactly two decimals ("-12.05", "0.00"). */
export function formatCents(cents: Cents | number | string): string {
  const value = BigInt(cents);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 100n;
  const fraction = (abs % 100n).toString().padStart(2, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
