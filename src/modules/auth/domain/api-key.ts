import { createHash, randomBytes } from 'node:crypto';

const KEY_PREFIX = 'au_';

/** A new random API key: 256 bits of entropy, URL-safe, recognisable by its prefix. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** Keys are stored only as this hash; a high-entropy key needs no slow password hash. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The first characters of a key, kept to let people tell their keys apart. */
export function keyPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Reads `Authorization: Bearer <key>`; anything else yields undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9_.~+/=-]{16,256})$/.exec(header.trim());
  return match?.[1];
}
