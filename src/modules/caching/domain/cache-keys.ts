/**
 * How the cache names things (pure: no Nest, no Redis). Keys are namespaced and versioned, and
 * carry the caller's scope wherever the answer depends on who asks.
 */

/** Bumped when the shape of cached values changes: entries of an older schema are never read. */
export const CACHE_SCHEMA = 'v1';

/** Kinds of cached value, each with its time to live (before jitter). */
export const CACHE_TTLS_MS = {
  account: 60_000,
  portfolio: 60_000,
  units: 120_000,
  analytics: 300_000,
} as const;
export type CacheNamespace = keyof typeof CACHE_TTLS_MS;

/** Which slice of the data a caller sees: admins and auditors see everything, others their own. */
export function callerScope(principal: { role: string; userId: string } | undefined): string {
  if (!principal) return 'public';
  return principal.role === 'admin' || principal.role === 'auditor' ? 'all' : `user:${principal.userId}`;
}

/** The query string with its parameters sorted: `?b=2&a=1` and `?a=1&b=2` are one entry. */
export function canonicalQuery(query: Record<string, unknown> | undefined): string {
  const entries = Object.entries(query ?? {})
    .filter(([, v]) => v !== undefined)
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, String(x)]) : [[k, String(v)]]))
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

/** `<schema>:<namespace>:<scope>:<path>?<sorted query>` */
export function cacheKey(namespace: CacheNamespace, scope: string, path: string, query?: Record<string, unknown>) {
  const q = canonicalQuery(query);
  return `${CACHE_SCHEMA}:${namespace}:${scope}:${path}${q ? `?${q}` : ''}`;
}

/** A route's full path from its controller's and its method's paths, as Nest joins them. */
export function joinPath(...parts: string[]): string {
  return `/${parts
    .map((part) => part.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;
}

/** The parameters of a path template: `/v1/portfolios/:id/tree` → ['id']. */
export function pathParams(template: string): string[] {
  return [...template.matchAll(/:(\w+)/g)].map((match) => match[1]);
}

/** A path template with its parameters filled in, as a request for them names it. */
export function fillPath(template: string, params: Readonly<Record<string, string>>): string {
  return template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} in ${template}`);
    return encodeURIComponent(value);
  });
}

/** What one write affects: every view tagged with one of these is dropped. */
export const accountTag = (id: string) => `account:${id}`;
export const portfolioTag = (id: string) => `portfolio:${id}`;
export const unitTag = (id: string) => `unit:${id}`;
/** A user's access to a portfolio: its invalidation tells every instance to forget the cached grant. */
export const grantTag = (portfolioId: string, userId: string) => `grant:${portfolioId}:${userId}`;

/** The kind of a tag and what it names: `account:<id>` → {kind: 'account', id}. */
export function parseTag(tag: string): { kind: string; id: string } {
  const colon = tag.indexOf(':');
  return colon < 0 ? { kind: tag, id: '' } : { kind: tag.slice(0, colon), id: tag.slice(colon + 1) };
}

/** A TTL spread by ±`spread` (a fraction), so entries written together do not all expire together. */
export function jitter(ttlMs: number, random: number, spread = 0.1): number {
  return Math.max(1, Math.round(ttlMs * (1 - spread + 2 * spread * random)));
}

/**
 * An entry is fresh when every tag it was loaded under still has the token it had then. A tag's
 * token changes on every invalidation, so a value loaded before a write — even one stored after
 * it — can never pass for fresh.
 */
export function isFresh(entryTokens: Readonly<Record<string, string>>, current: Readonly<Record<string, string>>) {
  return Object.entries(entryTokens).every(([tag, token]) => current[tag] === token);
}
