import { Controller, Get, Logger } from '@nestjs/common';
import type { CacheService } from './cache.service';
import { CacheWarming } from './cache-warming';
import { CachedRead } from './cached-read.decorator';
import { cachedRoute } from './cached-route';
import { portfolioTag } from './domain/cache-keys';

@Controller('v1/things')
class ThingsController {
  @Get(':id/summary')
  @CachedRead({ namespace: 'portfolio', tags: (p) => [portfolioTag(p.id)] })
  summary() {
    return {};
  }

  @Get()
  @CachedRead({ namespace: 'units', tags: () => [] })
  list() {
    return [];
  }

  @Get(':id')
  plain() {
    return {};
  }

  notARoute = 1;
}

describe(cachedRoute.name, () => {
  it("reads the namespace, the tags and the full path from the route's decorators", () => {
    const route = cachedRoute(ThingsController, 'summary');
    expect(route).toMatchObject({ namespace: 'portfolio', path: '/v1/things/:id/summary' });
    expect(route.tags({ id: 'p1' })).toEqual(['portfolio:p1']);
  });

  it("takes a method without a path of its own at its controller's path", () => {
    expect(cachedRoute(ThingsController, 'list')).toMatchObject({ namespace: 'units', path: '/v1/things' });
  });

  it.each([['plain'], ['notARoute']] as const)('refuses %p, which is not a @CachedRead route', (method) => {
    expect(() => cachedRoute(ThingsController, method)).toThrow(
      `ThingsController.${method} is not a @CachedRead route`,
    );
  });
});

describe(CacheWarming.name, () => {
  /** Records what warming stores, and loads it at once as the cache would. */
  function recordingCache() {
    const puts: unknown[][] = [];
    const cache = {
      enabled: true,
      put: async (namespace: string, key: string, tags: string[], load: () => Promise<unknown>) => {
        puts.push([namespace, key, tags, await load()]);
      },
    };
    return { cache: cache as unknown as CacheService, puts };
  }

  it('stores each portfolio under the key and tags a request for the route would use, in the scope "all"', async () => {
    const { cache, puts } = recordingCache();
    const warming = new CacheWarming(cache);
    warming.add(cachedRoute(ThingsController, 'summary'), (reader, id) => Promise.resolve({ id, reader: reader.role }));
    expect(await warming.warm(['p1', 'p2'])).toBe(2);
    expect(puts).toEqual([
      ['portfolio', 'v1:portfolio:all:/v1/things/p1/summary', ['portfolio:p1'], { id: 'p1', reader: 'auditor' }],
      ['portfolio', 'v1:portfolio:all:/v1/things/p2/summary', ['portfolio:p2'], { id: 'p2', reader: 'auditor' }],
    ]);
  });

  it('refuses a route without exactly one path parameter (the portfolio id)', () => {
    const warming = new CacheWarming(recordingCache().cache);
    expect(() => warming.add(cachedRoute(ThingsController, 'list'), () => Promise.resolve({}))).toThrow(
      '/v1/things cannot be warmed: it must have one path parameter',
    );
  });

  it('carries on with the next portfolio when one fails, counting only those warmed', async () => {
    const { cache, puts } = recordingCache();
    const warming = new CacheWarming(cache);
    warming.add(cachedRoute(ThingsController, 'summary'), (_reader, id) =>
      id === 'gone' ? Promise.reject(new Error('no such portfolio')) : Promise.resolve(id),
    );
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      expect(await warming.warm(['gone', 'p1'])).toBe(1);
      expect(warn).toHaveBeenCalledWith('warming portfolio gone stopped: no such portfolio');
    } finally {
      warn.mockRestore();
    }
    expect(puts.map(([, key]) => key)).toEqual(['v1:portfolio:all:/v1/things/p1/summary']);
  });
});
