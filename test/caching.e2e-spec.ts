import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import {
  bearer,
  createUser,
  eventually,
  grant,
  ledgerViolations,
  openPortfolio,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { PortfolioAccessService } from '../src/modules/accounts/portfolio-access.service';
import { CacheService } from '../src/modules/caching/cache.service';
import { startRedis, type PrivateRedis } from '../scripts/private-servers';

const cents = (amount: string) => BigInt(amount.replace('.', ''));

/**
 * The two-level cache against real Redis and PostgreSQL: every write is seen by the next read,
 * on this instance or another; no investor is served another's view; concurrent misses load
 * once; L1 stays within its byte bound; Redis going away and coming back costs no error answer.
 */
describe('caching (e2e)', () => {
  let t: TestApp;
  let other: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('caching');
    other = await startTestApp('caching', { databaseName: t.databaseName }); // a second instance
    manager = await createUser(t, 'manager');
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  const get = (app: TestApp, path: string, key = manager.key) => app.http.get(path).set(bearer(key)).expect(200);
  const post = (path: string, body: object = {}, key = manager.key) => t.http.post(path).set(bearer(key)).send(body);
  const cacheStats = async (app: TestApp, adminKey = t.adminKey) =>
    (await app.http.get('/v1/admin/cache').set(bearer(adminKey)).expect(200)).body;

  describe('read-your-writes after every kind of write', () => {
    let p: Awaited<ReturnType<typeof openPortfolio>>;

    beforeAll(async () => {
      p = await openPortfolio(t, manager.key, {
        name: 'cached',
        initialCapital: '10000.00',
        forkThreshold: '1000.00',
        mergeThreshold: '5000.00',
      });
    });

    /** Reads the account twice (the second from L1), then writes, then reads: the write must show. */
    async function afterWrite(accountId: string, write: () => Promise<unknown>) {
      await get(t, `/v1/accounts/${accountId}`);
      const cached = await get(t, `/v1/accounts/${accountId}`);
      expect(cached.headers['x-cache']).toBe('HIT-L1');
      await write();
      return get(t, `/v1/accounts/${accountId}`);
    }

    it.each([
      ['a deposit', 'deposits', '100.00', '4100.00'],
      ['a withdrawal', 'withdrawals', '50.00', '4050.00'],
      ['a premium', 'premiums', '10.00', '4060.00'],
      ['a trading loss', 'losses', '5.00', '4055.00'],
      ['a fee', 'fees', '1.00', '4054.00'],
    ])('%s', async (_name, path, amount, total) => {
      const res = await afterWrite(p.gen, () => post(`/v1/accounts/${p.gen}/${path}`, { amount }).expect(201));
      expect(res.headers['x-cache']).toBe('MISS');
      expect(res.body.total).toBe(total);
    });

    it('a transfer, on both accounts', async () => {
      await get(t, `/v1/accounts/${p.rev}`);
      const res = await afterWrite(p.gen, () =>
        post('/v1/transfers', { fromAccountId: p.gen, toAccountId: p.rev, amount: '4.00' }).expect(201),
      );
      expect(res.body.total).toBe('4050.00');
      expect((await get(t, `/v1/accounts/${p.rev}`)).body.total).toBe('3004.00');
    });

    it('a batch and a reversal', async () => {
      let premium = '';
      let res = await afterWrite(p.rev, async () => {
        const batch = await post('/v1/transactions/batch', {
          items: [{ kind: 'PREMIUM', accountId: p.rev, amount: '6.00' }],
        }).expect(201);
        premium = batch.body.items[0].id;
      });
      expect(res.body.total).toBe('3010.00');
      res = await afterWrite(p.rev, () => post(`/v1/transactions/${premium}/reversal`).expect(201));
      expect(res.body.total).toBe('3004.00');
    });

    it('a reinvestment and a position close', async () => {
      let res = await afterWrite(p.rev, () =>
        post(`/v1/accounts/${p.rev}/reinvestments`, { amount: '100.00' }).expect(201),
      );
      expect(res.body).toMatchObject({ contracts: '75.00', leaps: '25.00' });
      res = await afterWrite(p.rev, () => post(`/v1/accounts/${p.rev}/positions/close`).expect(201));
      expect(res.body).toMatchObject({ contracts: '0.00', leaps: '0.00', cash: '3004.00' });
    });

    it('a configuration change', async () => {
      const res = await afterWrite(p.rev, () =>
        t.http.patch(`/v1/accounts/${p.rev}`).set(bearer(manager.key)).send({ bufferPct: 7 }).expect(200),
      );
      expect(res.body.config.bufferPct).toBe(7);
    });

    it('a fork: the portfolio summary, the tree and the parent account', async () => {
      const tree = `/v1/portfolios/${p.id}/tree`;
      await get(t, tree);
      expect((await get(t, tree)).headers['x-cache']).toBe('HIT-L1');
      await get(t, `/v1/portfolios/${p.id}`);
      const gen = await afterWrite(p.gen, async () => {
        await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1000.00' }).expect(201);
        await eventually(async () => {
          const { rows } = await t.db.query('SELECT 1 FROM units WHERE portfolio_id = $1', [p.id]);
          return rows.length ? true : undefined;
        }, 'the fork');
      });
      expect(gen.body).toMatchObject({ total: '4046.00', baseline: '4046.00' }); // back at its baseline
      const after = await get(t, tree);
      expect(after.body).toMatchObject({ units: 1, activeUnits: 1 });
      expect((await get(t, `/v1/portfolios/${p.id}`)).body.totals.GEN.accounts).toBe(2);
    });

    it('a merge: the unit and the root COM account', async () => {
      const [unit] = (await get(t, `/v1/portfolios/${p.id}/units`)).body.items;
      await get(t, `/v1/units/${unit.id}`);
      expect((await get(t, `/v1/units/${unit.id}`)).headers['x-cache']).toBe('HIT-L1');
      // A premium into the unit's COM drops the unit's view (the account implies its unit).
      await post(`/v1/accounts/${unit.com.id}/premiums`, { amount: '4000.00' }).expect(201);
      expect((await get(t, `/v1/units/${unit.id}`)).body.value).toBe('5004.00');
      const com = await afterWrite(p.com, () => post(`/v1/units/${unit.id}/merge`).expect(201));
      expect(com.body.total).toBe('8004.00');
      expect((await get(t, `/v1/units/${unit.id}`)).body).toMatchObject({ status: 'MERGED', value: '0.00' });
      expect(await ledgerViolations(t.db)).toEqual([]);
    });
  });

  describe('two instances', () => {
    it('serves the other instance fresh after a write, L2 filling its L1', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'two', initialCapital: '1000.00' });
      const path = `/v1/accounts/${p.rev}`;
      expect((await get(t, path)).headers['x-cache']).toBe('MISS');
      await eventually(async () => ((await get(other, path)).headers['x-cache'] === 'HIT-L2' ? true : undefined), 'L2');
      expect((await get(other, path)).headers['x-cache']).toBe('HIT-L1');

      await post(`/v1/accounts/${p.rev}/premiums`, { amount: '1.23' }).expect(201); // through the first
      const read = await get(other, path); // through the second, at once
      expect(read.body.total).toBe('301.23');
      expect(read.headers['x-cache']).toBe('MISS');
    });
  });

  describe('tenant isolation', () => {
    it("never serves one investor's view to another, nor a revoked grant its old view", async () => {
      const owner = await createUser(t, 'manager');
      const stranger = await createUser(t, 'manager');
      const viewer = await createUser(t, 'viewer');
      const p = await openPortfolio(t, owner.key, { name: 'private', initialCapital: '1000.00' });
      const path = `/v1/portfolios/${p.id}`;
      await get(t, path, owner.key);
      expect((await get(t, path, owner.key)).headers['x-cache']).toBe('HIT-L1');
      const denied = await t.http.get(path).set(bearer(stranger.key)).expect(404);
      expect(denied.body.code).toBe('PORTFOLIO_NOT_FOUND');

      await grant(t, owner.key, p.id, viewer.id, 'viewer');
      expect((await get(t, path, viewer.key)).body.id).toBe(p.id);
      await t.http.delete(`/v1/portfolios/${p.id}/grants/${viewer.id}`).set(bearer(owner.key)).expect(204);
      expect((await t.http.get(path).set(bearer(viewer.key)).expect(404)).body.code).toBe('PORTFOLIO_NOT_FOUND');
    });
  });

  describe('access, checked before a cached view is served', () => {
    it('refuses a revoked viewer at once on both instances: an account, a unit and account analytics', async () => {
      const owner = await createUser(t, 'manager');
      const viewer = await createUser(t, 'viewer');
      const p = await openPortfolio(t, owner.key, {
        name: 'revoked',
        initialCapital: '10000.00',
        forkThreshold: '1000.00',
        mergeThreshold: '5000.00',
      });
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1000.00' }, owner.key).expect(201);
      const unitId = await eventually(async () => {
        const { rows } = await t.db.query('SELECT id FROM units WHERE portfolio_id = $1', [p.id]);
        return rows[0]?.id as string | undefined;
      }, 'the fork');
      await grant(t, owner.key, p.id, viewer.id, 'viewer');
      const views: [string, string][] = [
        [`/v1/accounts/${p.rev}`, 'ACCOUNT_NOT_FOUND'],
        [`/v1/units/${unitId}`, 'UNIT_NOT_FOUND'],
        [`/v1/accounts/${p.gen}/analytics`, 'ACCOUNT_NOT_FOUND'],
      ];
      for (const app of [t, other]) {
        for (const [path] of views) {
          await get(app, path, viewer.key);
          expect([path, (await get(app, path, viewer.key)).headers['x-cache']]).toEqual([path, 'HIT-L1']);
        }
      }

      await t.http.delete(`/v1/portfolios/${p.id}/grants/${viewer.id}`).set(bearer(owner.key)).expect(204);
      for (const app of [t, other]) {
        for (const [path, code] of views) {
          const res = await app.http.get(path).set(bearer(viewer.key));
          expect([path, res.status, res.body.code]).toEqual([path, 404, code]);
        }
      }
      // The owner and an admin are still served, from the cache.
      for (const [path] of views) {
        await get(other, path, owner.key);
        expect((await get(other, path, owner.key)).headers['x-cache']).toBe('HIT-L1');
        await get(t, path, t.adminKey);
        expect((await get(t, path, t.adminKey)).headers['x-cache']).toBe('HIT-L1');
      }
    });
  });

  describe('bounded memory', () => {
    /** Small bounds, so that 20,000 requests go far beyond each of them. */
    const BOUNDS = { CACHE_L1_MAX_ENTRIES: '100', CACHE_TAGS_MAX: '300', ACCESS_CACHE_MAX_ENTRIES: '300' };
    let bounded: TestApp;
    let viewer: TestUser;
    let p: Awaited<ReturnType<typeof openPortfolio>>;

    beforeAll(async () => {
      bounded = await startTestApp('caching', { databaseName: t.databaseName, env: BOUNDS });
      viewer = await createUser(bounded, 'viewer');
      p = await openPortfolio(bounded, manager.key, { name: 'bounded', initialCapital: '1000.00' });
      await grant(bounded, manager.key, p.id, viewer.id, 'viewer');
    });
    afterAll(() => bounded?.close());

    /** In process, without a socket: thousands of requests in seconds. */
    const inject = async (path: string, key: string) => {
      const res = await bounded.app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: path, headers: bearer(key) });
      return { status: res.statusCode, code: res.statusCode >= 400 ? (res.json().code as string) : undefined, res };
    };
    const maps = async () => (await cacheStats(bounded)).maps as { name: string; size: number; max: number }[];

    it('answers a malformed id 400 INVALID_ID without touching the cache', async () => {
      const before = await cacheStats(bounded);
      const paths = (id: string) => [
        `/v1/accounts/${id}`,
        `/v1/accounts/${id}/analytics`,
        `/v1/portfolios/${id}`,
        `/v1/portfolios/${id}/accounts`,
        `/v1/portfolios/${id}/tree`,
        `/v1/portfolios/${id}/units`,
        `/v1/portfolios/${id}/analytics`,
        `/v1/units/${id}`,
      ];
      for (const id of ['not-a-uuid', "1' OR '1'='1", '0e5a6c1c9d8b4f0e8a3b2c1d0e9f8a7b']) {
        for (const path of paths(encodeURIComponent(id))) {
          for (const key of [t.adminKey, viewer.key]) {
            const { status, code, res } = await inject(path, key);
            expect([path, status, code]).toEqual([path, 400, 'INVALID_ID']);
            expect(res.json().errors).toEqual([{ field: 'id', message: 'must be a UUID' }]);
          }
        }
      }
      const after = await cacheStats(bounded);
      expect(after.totals).toEqual(before.totals);
      expect(after.maps).toEqual(before.maps);
    });

    it('keeps every map within its bound through 20,000 requests for distinct ids, and keeps what is used', async () => {
      const kinds = [
        // A malformed id, by anyone.
        () => [`/v1/accounts/x${randomBytes(8).toString('hex')}`, viewer.key, 400],
        // Unknown ids read by an admin (the cache is asked), a viewer (grants) and a manager (the directory).
        () => [`/v1/${['accounts', 'units', 'portfolios'][randomInt(3)]}/${randomUUID()}`, t.adminKey, 404],
        () => [`/v1/portfolios/${randomUUID()}${['', '/tree', '/analytics'][randomInt(3)]}`, viewer.key, 404],
        () => [`/v1/${['accounts', 'units'][randomInt(2)]}/${randomUUID()}`, manager.key, 404],
      ] as (() => [string, string, number])[];
      const used = `/v1/portfolios/${p.id}`;
      expect((await inject(used, viewer.key)).status).toBe(200);
      const unexpected: unknown[] = [];
      for (let round = 0; round < 100; round++) {
        // What a user keeps reading stays held however many misses go by in between (checked below).
        expect([round, (await inject(used, viewer.key)).status]).toEqual([round, 200]);
        const burst = Array.from({ length: 200 }, (_, i) => kinds[i % kinds.length]());
        for (let i = 0; i < burst.length; i += 25) {
          await Promise.all(
            burst.slice(i, i + 25).map(async ([path, key, expected]) => {
              const { status } = await inject(path, key);
              if (status !== expected) unexpected.push({ path, status, expected });
            }),
          );
        }
        for (const map of await maps())
          expect({ round, ...map, within: map.size <= map.max }).toMatchObject({ within: true });
        // Still held (a grant may have outlived its TTL meanwhile: that is expiry, not eviction).
        const grants = bounded.app.get(PortfolioAccessService).maps.grants;
        expect(grants.peek(`${p.id}:${viewer.id}`, { allowStale: true })).toEqual({ role: 'viewer' });
        expect(bounded.app.get(CacheService).maps.tokens.has(`portfolio:${p.id}`)).toBe(true);
      }
      expect(unexpected).toEqual([]);
      const names = (await maps()).map((m) => m.name);
      expect(names).toEqual(
        expect.arrayContaining(['cache.tags', 'cache.tokens', 'cache.loads', 'access.owners', 'access.grants']),
      );
      expect(names).toEqual(expect.arrayContaining(['directory.accounts', 'directory.units']));
      // The maps were full: the bounds, not the workload, kept them small.
      const tokens = (await maps()).find((m) => m.name === 'cache.tokens')!;
      expect(tokens.size).toBe(300);
    }, 600_000);
  });

  describe('ETag', () => {
    it('answers 304 while unchanged, 200 with a new ETag after a change', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'etag', initialCapital: '1000.00' });
      const path = `/v1/accounts/${p.gen}`;
      const first = await get(t, path);
      const etag = first.headers.etag;
      expect(etag).toMatch(/^W\/".+"$/);
      const unchanged = await t.http.get(path).set(bearer(manager.key)).set('If-None-Match', etag).expect(304);
      expect(unchanged.text).toBe('');
      await post(`/v1/accounts/${p.gen}/premiums`, { amount: '1.00' }).expect(201);
      const changed = await t.http.get(path).set(bearer(manager.key)).set('If-None-Match', etag).expect(200);
      expect(changed.headers.etag).not.toBe(etag);
      expect(changed.body.total).toBe('401.00');
    });
  });

  describe('stampede', () => {
    it('loads a key once for 100 concurrent misses', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'stampede', initialCapital: '1000.00' });
      const before = (await cacheStats(t)).namespaces.find((n: any) => n.namespace === 'analytics')?.loads ?? 0;
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => t.http.get(`/v1/accounts/${p.gen}/analytics`).set(bearer(manager.key))),
      );
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(new Set(answers.map((a) => a.headers.etag)).size).toBe(1);
      const after = (await cacheStats(t)).namespaces.find((n: any) => n.namespace === 'analytics').loads;
      expect(after - before).toBe(1);
    });
  });

  describe('statistics', () => {
    it('are for admins only, and count hits and misses per level and namespace', async () => {
      expect((await t.http.get('/v1/admin/cache').set(bearer(manager.key)).expect(403)).body.code).toBe('FORBIDDEN');
      const stats = await cacheStats(t);
      expect(stats).toMatchObject({ enabled: true, redis: 'up' });
      expect(stats.totals.l1.hits).toBeGreaterThan(0);
      expect(stats.totals.loads).toBeGreaterThan(0);
      expect(stats.l1.entries).toBeGreaterThan(0);
      expect(stats.namespaces.map((n: any) => n.namespace)).toEqual(expect.arrayContaining(['account', 'units']));
    });
  });

  describe('metrics', () => {
    it('exports the hits and misses per level and namespace at /metrics, without a key', async () => {
      const p = await openPortfolio(t, manager.key, { name: 'metrics', initialCapital: '1000.00' });
      await get(t, `/v1/accounts/${p.gen}`);
      await get(t, `/v1/accounts/${p.gen}`);
      const res = await t.http.get('/metrics').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const count = (name: string, labels: string) =>
        Number(new RegExp(`^${name}\\{${labels}\\} (\\d+)`, 'm').exec(res.text)?.[1] ?? NaN);
      expect(count('alluse_cache_hits_total', 'level="l1",namespace="account"')).toBeGreaterThan(0);
      expect(count('alluse_cache_misses_total', 'level="l2",namespace="account"')).toBeGreaterThan(0);
      expect(count('alluse_cache_loads_total', 'namespace="account"')).toBeGreaterThan(0);
      expect(res.text).toMatch(/^alluse_process_cpu_seconds_total /m);
    });
  });

  describe('warming at start', () => {
    let writer: TestApp;
    let warm: TestApp;
    afterAll(async () => {
      await warm?.close();
      await writer?.close();
    });

    it("loads the latest portfolio's summary, first page of accounts and tree under the keys admins read", async () => {
      // A database of its own: the one portfolio in it is the most recently active.
      writer = await startTestApp('caching-warm');
      const owner = await createUser(writer, 'manager');
      const p = await openPortfolio(writer, owner.key, { name: 'warmed', initialCapital: '1000.00' });
      warm = await startTestApp('caching-warm', {
        databaseName: writer.databaseName,
        env: { CACHE_WARM_PORTFOLIOS: '1' },
      });
      // Nothing but warming has read through this instance: its L1 holds exactly the warmed views.
      const stats = await eventually(async () => {
        const now = await cacheStats(warm, warm.adminKey);
        return now.l1.entries >= 3 ? now : undefined;
      }, 'warming to finish');
      expect(stats.l1.entries).toBe(3);
      expect(stats.namespaces.map((n: any) => [n.namespace, n.loads])).toEqual(
        expect.arrayContaining([
          ['portfolio', 2],
          ['units', 1],
        ]),
      );
      for (const path of [`/v1/portfolios/${p.id}`, `/v1/portfolios/${p.id}/accounts`, `/v1/portfolios/${p.id}/tree`]) {
        const warmed = await get(warm, path, warm.adminKey);
        expect([path, warmed.headers['x-cache']]).toEqual([path, 'HIT-L1']);
        expect(warmed.body).toEqual((await get(writer, path, writer.adminKey)).body);
      }
      // Warmed in the scope admins and auditors share: an investor's own scope is loaded on demand.
      expect((await get(warm, `/v1/portfolios/${p.id}`, owner.key)).headers['x-cache']).toBe('MISS');
    });
  });

  describe('eviction by bytes', () => {
    let small: TestApp;
    afterAll(() => small?.close());

    it('keeps L1 within CACHE_L1_MAX_BYTES by evicting the least recently used entries', async () => {
      small = await startTestApp('caching', { databaseName: t.databaseName, env: { CACHE_L1_MAX_BYTES: '12000' } });
      const p = await openPortfolio(small, manager.key, { name: 'evict', initialCapital: '1000.00' });
      const accounts = (await get(small, `/v1/portfolios/${p.id}/accounts`)).body.items.map((a: any) => a.id);
      for (const id of [...accounts, ...accounts]) await get(small, `/v1/accounts/${id}`);
      const stats = await cacheStats(small);
      expect(stats.l1.bytes).toBeLessThanOrEqual(12_000);
      expect(stats.totals.l1.evictions).toBeGreaterThan(0);
    });
  });

  describe('Redis stopped and restarted during a read/write workload', () => {
    let redis: PrivateRedis | undefined;
    let app: TestApp;

    afterAll(async () => {
      await app?.close();
      await redis?.stop();
    });

    it('answers every request without error, and correctly once Redis is back', async () => {
      redis = await startRedis();
      // With its queue workers: they live through the restart too, and close promptly after it.
      app = await startTestApp('caching', { databaseName: t.databaseName, env: { REDIS_URL: redis.url } });
      const p = await openPortfolio(app, manager.key, { name: 'redis down', initialCapital: '1000.00' });
      let expected = cents('300.00');
      const statuses: number[] = [];
      const round = async () => {
        const write = await app.http
          .post(`/v1/accounts/${p.rev}/premiums`)
          .set(bearer(manager.key))
          .send({ amount: '1.00' });
        statuses.push(write.status);
        if (write.status === 201) expected += 100n;
        const read = await app.http.get(`/v1/accounts/${p.rev}`).set(bearer(manager.key));
        statuses.push(read.status);
        expect(cents(read.body.total)).toBe(expected); // every read sees every write before it
      };

      for (let i = 0; i < 5; i++) await round();
      await redis.kill();
      for (let i = 0; i < 10; i++) await round();
      await redis.start();
      await eventually(
        async () => ((await cacheStats(app)).redis === 'up' ? true : undefined),
        'the cache to reconnect',
      );
      for (let i = 0; i < 5; i++) await round();

      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      expect(statuses.every((s) => s === 200 || s === 201)).toBe(true);
      const final = await app.http.get(`/v1/accounts/${p.rev}`).set(bearer(manager.key)).expect(200);
      expect(final.body.total).toBe('320.00');
      expect(await ledgerViolations(t.db)).toEqual([]);
    });
  });
});
