import {
  accountTag,
  cacheKey,
  callerScope,
  canonicalQuery,
  fillPath,
  grantTag,
  isFresh,
  jitter,
  joinPath,
  parseTag,
  pathParams,
  portfolioTag,
  unitTag,
} from './cache-keys';

describe(callerScope.name, () => {
  it.each([
    [{ role: 'admin', userId: 'a' }, 'all'],
    [{ role: 'auditor', userId: 'b' }, 'all'],
    [{ role: 'manager', userId: 'c' }, 'user:c'],
    [{ role: 'operator', userId: 'd' }, 'user:d'],
    [{ role: 'viewer', userId: 'e' }, 'user:e'],
    [undefined, 'public'],
  ])('%p reads in scope %p', (principal, scope) => {
    expect(callerScope(principal)).toBe(scope);
  });
});

describe(canonicalQuery.name, () => {
  it.each([
    [{}, ''],
    [undefined, ''],
    [{ b: '2', a: '1' }, 'a=1&b=2'],
    [{ a: '1', b: '2' }, 'a=1&b=2'],
    [{ a: undefined, b: '2' }, 'b=2'],
    [{ a: ['2', '1'] }, 'a=1&a=2'],
    [{ 'a b': 'x&y=z' }, 'a%20b=x%26y%3Dz'],
  ])('%p → %p', (query, expected) => {
    expect(canonicalQuery(query as Record<string, unknown>)).toBe(expected);
  });
});

describe(cacheKey.name, () => {
  it('holds the schema, the namespace, the scope, the path and the sorted query', () => {
    expect(cacheKey('analytics', 'user:u', '/v1/accounts/x/analytics', { to: '2', from: '1' })).toBe(
      'v1:analytics:user:u:/v1/accounts/x/analytics?from=1&to=2',
    );
    expect(cacheKey('account', 'all', '/v1/accounts/x')).toBe('v1:account:all:/v1/accounts/x');
  });

  it('gives two callers of different scopes two keys for one path', () => {
    expect(cacheKey('account', 'user:a', '/p')).not.toBe(cacheKey('account', 'user:b', '/p'));
  });
});

describe(joinPath.name, () => {
  it.each([
    [['v1/portfolios', ':id'], '/v1/portfolios/:id'],
    [['/v1/portfolios/', '/:id/tree'], '/v1/portfolios/:id/tree'],
    [['v1', 'units/:id'], '/v1/units/:id'],
    [['v1/admin/cache', '/'], '/v1/admin/cache'],
    [['', ''], '/'],
  ])('%p → %p', (parts, path) => {
    expect(joinPath(...parts)).toBe(path);
  });
});

describe(pathParams.name, () => {
  it.each([
    ['/v1/portfolios/:id', ['id']],
    ['/v1/portfolios/:id/grants/:userId', ['id', 'userId']],
    ['/v1/admin/cache', []],
  ])('%p → %p', (template, params) => {
    expect(pathParams(template)).toEqual(params);
  });
});

describe(fillPath.name, () => {
  it.each([
    ['/v1/portfolios/:id/tree', { id: 'p1' }, '/v1/portfolios/p1/tree'],
    ['/v1/portfolios/:id/grants/:userId', { id: 'p1', userId: 'u1' }, '/v1/portfolios/p1/grants/u1'],
    ['/v1/units/:id', { id: 'a/b?c' }, '/v1/units/a%2Fb%3Fc'],
    ['/v1/admin/cache', {}, '/v1/admin/cache'],
  ])('%p with %p → %p', (template, params, path) => {
    expect(fillPath(template, params)).toBe(path);
  });

  it('refuses a template whose parameter has no value', () => {
    expect(() => fillPath('/v1/units/:id', { unitId: 'u1' })).toThrow('no value for :id in /v1/units/:id');
  });
});

describe(jitter.name, () => {
  it.each([
    [60_000, 0, 54_000],
    [60_000, 0.5, 60_000],
    [60_000, 0.999999, 65_999.99],
    [1, 0, 1],
  ])('spreads %p ms with random %p to about %p ms', (ttl, random, expected) => {
    expect(jitter(ttl, random)).toBeCloseTo(expected, -1);
  });
});

describe(isFresh.name, () => {
  it.each([
    ['every token unchanged', { a: '1', b: '2' }, { a: '1', b: '2' }, true],
    ['no tags at all', {}, { a: '9' }, true],
    ['one tag invalidated since', { a: '1', b: '2' }, { a: '1', b: '3' }, false],
    ['a tag the current view does not know', { a: '1' }, {}, false],
  ])('%s → %p', (_name, entry, current, fresh) => {
    expect(isFresh(entry, current)).toBe(fresh);
  });
});

describe(parseTag.name, () => {
  it.each([
    [accountTag('a1'), { kind: 'account', id: 'a1' }],
    [portfolioTag('p1'), { kind: 'portfolio', id: 'p1' }],
    [unitTag('u1'), { kind: 'unit', id: 'u1' }],
    [grantTag('p1', 'u1'), { kind: 'grant', id: 'p1:u1' }],
    ['bare', { kind: 'bare', id: '' }],
  ])('%p → %p', (tag, parsed) => {
    expect(parseTag(tag)).toEqual(parsed);
  });
});
