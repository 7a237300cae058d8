import { bearer, eventually, type ResourceWatch, startTestApp, TestApp, watchResources } from '@app/testing';
import { startRedis, type PrivateRedis } from '../scripts/private-servers';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
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

  const submit = async (body: object = { mode: 'noop' }) =>
    (await t!.http.post('/v1/admin/tasks/diagnostics').set(bearer(t!.adminKey)).send(body).expect(202)).body
      .id as string;
  const completed = (id: string) =>
    eventually(
      async () => {
        const res = await t!.http.get(`/v1/tasks/${id}`).set(bearer(t!.adminKey));
        return res.status === 200 && res.body.state === 'completed' ? true : undefined;
      },
      `task ${id} to complete`,
      20_000,
    );
  const schedulers = async () => {
    const registry = t!.app.get(QueueRegistry);
    const ids = await Promise.all(
      (['growth', 'reinvestments'] as const).map(async (q) =>
        (await registry.get(q).getJobSchedulers()).map((s) => s.key),
      ),
    );
    return ids.flat().sort();
  };

  /** A case with the timers and sockets of the Redis clients watched. */
  const watching = (body: (watch: ResourceWatch) => Promise<void>) => async () => {
    const watch = watchResources(['bullmq', 'ioredis', '@redis/client']);
    try {
      await body(watch);
    } finally {
      watch.stop();
    }
  };
  /**
   * Closes the app promptly, and checks that nothing of its Redis clients is left once a blocking
   * read abandoned by the close has ended with its watchdog (its block time plus a second, at most
   * 11 s); a lock renewal timer would never end.
   */
  const closesLeavingNothing = async (watch: ResourceWatch) => {
    expect(await close()).toBeLessThan(5_000);
    await eventually(
      () => Promise.resolve(watch.alive().length === 0 ? true : undefined),
      'the workers’ timers to end',
      15_000,
    ).catch(() => undefined);
    expect(watch.alive()).toEqual([]);
  };

  it(
    'runs tasks and keeps its job schedulers after Redis restarts empty, then closes leaving nothing behind',
    watching(async (watch) => {
      t = await startTestApp('redislife', { env: { REDIS_URL: redis.url } });
      await completed(await submit());
      await eventually(async () => ((await schedulers()).length === 2 ? true : undefined), 'the schedulers');
      expect(await schedulers()).toEqual(['growth-scan', 'reinvest-quarterly']);

      // A task running while Redis goes away; Redis comes back with nothing in it.
      await submit({ mode: 'wait', durationMs: 2_000 });
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1_500));
      await redis.start();

      const after = await eventually(async () => {
        const res = await t!.http.post('/v1/admin/tasks/diagnostics').set(bearer(t!.adminKey)).send({ mode: 'noop' });
        return res.status === 202 ? (res.body.id as string) : undefined;
      }, 'a task to be accepted after the restart');
      await completed(after);
      await eventually(
        async () => ((await schedulers()).length === 2 ? true : undefined),
        'the schedulers to be declared again',
      );

      await closesLeavingNothing(watch);
      expect(await connections()).toEqual([]);
    }),
    90_000,
  );

  it(
    'closes promptly while Redis is down, its workers leaving no timer or socket behind',
    watching(async (watch) => {
      t = await startTestApp('redislife', { env: { REDIS_URL: redis.url } });
      await completed(await submit());
      await redis.kill();
      await new Promise((r) => setTimeout(r, 1_000));
      await closesLeavingNothing(watch);
    }),
    60_000,
  );

  it(
    'closes promptly just after Redis came back, while its workers may still be reconnecting',
    watching(async (watch) => {
      t = await startTestApp('redislife', { env: { REDIS_URL: redis.url } });
      await completed(await submit());
      await redis.kill();
      await new Promise((r) => setTimeout(r, 4_000)); // long enough for reconnection delays to grow
      await redis.start();
      await new Promise((r) => setTimeout(r, 300));
      await closesLeavingNothing(watch);
      expect(await connections()).toEqual([]);
    }),
    60_000,
  );
});
