import { bearerToken, generateApiKey, hashApiKey, keyPrefix } from './api-key';

describe('api keys', () => {
  it('generates distinct keys with the au_ prefix', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^au_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toEqual(b);
  });

  it('hashes deterministically without exposing the key', () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).toEqual(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toContain(key);
    expect(keyPrefix(key)).toHaveLength(9);
  });

  it.each([
    ['Bearer au_abcdefghijklmnop', 'au_abcdefghijklmnop'],
    ['bearer au_abcdefghijklmnop', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer short', undefined],
    [undefined, undefined],
    ['Bearer au_abc def ghi jkl mno', undefined],
  ])('reads %p as %p', (header, expected) => {
    expect(bearerToken(header)).toEqual(expected);
  });
});
