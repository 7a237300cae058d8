import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { valueWithin } from '../../common/with-timeout';
import type { L2Store } from './l2-store';

/**
 * The cache's second level: Redis, through @nestjs/cache-manager and its L2Store. A call that takes
 * longer than CACHE_REDIS_TIMEOUT_MS is given up on (undefined: the cache carries on with L1 and
 * the loaders); once closing, none is made.
 */
@Injectable()
export class L2Cache implements OnApplicationShutdown {
  private closed = false;

  constructor(
    @Inject(CACHE_MANAGER) private readonly manager: Cache,
    @Inject(cacheConfig.KEY) private readonly config: CacheConfig,
  ) {}

  get<T>(key: string): Promise<T | undefined> {
    return this.within(async () => (await this.manager.get<T>(key)) ?? undefined);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.within(() => this.manager.set(key, value, ttlMs));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    // L2Store closes once, whoever asks first (cache-manager asks too, at module destroy); calls
    // still waiting on it then fail, and the cache carries on without them.
    await Promise.all(this.manager.stores.map((keyv) => (keyv.store as L2Store).disconnect()));
  }

  private within<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return valueWithin(call(), this.config.redisTimeoutMs);
  }
}
