import { startTestApp, TestApp } from '@app/testing';
import { startRedis, type PrivateRedis } from '../scripts/private-servers';
import { CacheService } from '../src/modules/caching/cache.service';
import { L2_CLIENT_NAME } from '../src/modules/caching/l2-store';

/**
 * Every app closes every Redis connection it opened, whatever state Redis is in, and its queue
 * workers live through a Redis restart. Each case has a Redis of its own (killed, restarted).
 */
describe('Redis connections across restarts and shutdowns (e2e)', () => {
  let redis: PrivateRedis;
  let t: TestApp | undefined;

  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await redis.stop();
  });

  /** The connections Redis still holds, besides the redis-cli asking. */
  const connections = async () =>
    (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => !line.includes('cmd=client|list'));
  const close = async () => {
    const started = Date.now();
    await t!.close();
    t = undefined;
    return Date.now() - started;
  };

  it('closes the cache’s Redis connection when the app closes while it is still opening', async () => {
    t = await startTestApp('redislife', {
      env: { REDIS_URL: redis.url, TASKS_RUN_WORKERS: 'false', CACHE_WARM_PORTFOLIOS: '0' },
    });
    // L2 connects on its first use: a read starts it, and the app closes at once.
    void t.app.get(CacheService).read('account', 'redislife:first', [], () => Promise.resolve(1));
    await close();
    // A socket still opening at close connects a moment later; give it that moment.
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await connections()).filter((line) => line.includes(`name=${L2_CLIENT_NAME}`))).toEqual([]);
    expect(await connections()).toEqual([]);
  });
});
