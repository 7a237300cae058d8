import { CronExpressionParser } from 'cron-parser';

/**
 * Reads and validates environment variables. A bad value stops start-up with a message that
 * names the variable; nothing downstream ever sees an unparsed string.
 */
export class EnvError extends Error {}

type Env = Record<string, string | undefined>;

export function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw new EnvError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new EnvError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new EnvError(`${name} must be true or false, got "${raw}"`);
}

export function readUrl(env: Env, name: string, fallback: string | undefined, protocols: string[]): string {
  const raw = env[name] || fallback;
  if (!raw) throw new EnvError(`${name} is required`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EnvError(`${name} must be a URL, got "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new EnvError(`${name} must use ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return raw;
}

/** A URL that may be left unset (undefined then); when set, it is checked like readUrl. */
export function readOptionalUrl(env: Env, name: string, protocols: string[]): string | undefined {
  return env[name] ? readUrl(env, name, undefined, protocols) : undefined;
}

/** A comma-separated list; empty entries are dropped. */
export function readList(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function readEnum<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) throw new EnvError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function readString(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < minLength) throw new EnvError(`${name} must be at least ${minLength} characters long`);
  return raw;
}

/** A cron pattern (five fields) in an IANA time zone; checked by parsing it once. */
export function readCron(env: Env, name: string, fallback: string, tz: string): string {
  const raw = env[name] || fallback;
  try {
    CronExpressionParser.parse(raw, { tz });
  } catch (error) {
    throw new EnvError(`${name} must be a cron pattern valid in ${tz}, got "${raw}": ${(error as Error).message}`);
  }
  return raw;
}

export function readTimeZone(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
  } catch {
    throw new EnvError(`${name} must be an IANA time zone such as America/New_York, got "${raw}"`);
  }
  return raw;
}
