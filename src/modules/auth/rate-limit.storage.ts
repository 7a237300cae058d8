import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { LRUCache } from 'lru-cache';
import { within } from '../../common/with-timeout';

type Record = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Counters kept in memory while Redis is away: the most recently counted keys, so memory stays bounded. */
const LOCAL_KEYS = 100_000;
/** How long a Redis count may take before this instance counts on its own. */
const SHARED_TIMEOUT_MS = 250;
/** After a failure, Redis is tried again this much later (meanwhile every count is local, without waiting). */
const SHARED_RETRY_MS = 1_000;

/**
 * Fixed-window counters in this process, with the Redis storage's semantics: the hit past
 * `limit` blocks the key for `blockDuration`. Bounded by an LRU: under a flood of new keys the
 * oldest counts are dropped first.
 */
export class LocalThrottlerStorage implements ThrottlerStorage {
  private readonly windows = new LRUCache<string, { hits: number; endsAt: number; blockedUntil: number }>({
    max: LOCAL_KEYS,
  });

  increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<Record> {
    const now = Date.now();
    const id = `${throttlerName}:${key}`;
    const last = this.windows.get(id);
    const window =
      last && last.endsAt > now ? last : { hits: 0, endsAt: now + ttl, blockedUntil: last?.blockedUntil ?? 0 };
    window.hits++;
    if (window.blockedUntil <= now && window.hits > limit) window.blockedUntil = now + blockDuration;
    this.windows.set(id, window, { ttl: Math.max(window.endsAt, window.blockedUntil) - now });
    const isBlocked = window.blockedUntil > now;
    return Promise.resolve({
      totalHits: window.hits,
      timeToExpire: Math.ceil((window.endsAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
    });
  }
}

/**
 * The rate limits' storage: counted in Redis so that a limit holds across instances; while Redis
 * does not answer, counted in this instance instead (each instance then allows the limit on its
 * own), never not counted at all.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  /** Redis failed its last count; it is asked again from `retryAt`. */
  private down = false;
  private retryAt = 0;

  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly local: ThrottlerStorage = new LocalThrottlerStorage(),
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, name: string): Promise<Record> {
    if (!this.down || Date.now() >= this.retryAt) {
      try {
        const record = await within(this.shared.increment(key, ttl, limit, blockDuration, name), SHARED_TIMEOUT_MS);
        if (this.down) this.logger.log('counting in Redis again');
        this.down = false;
        return record;
      } catch (error) {
        if (!this.down)
          this.logger.warn(`Redis does not answer, counting in this instance: ${(error as Error).message}`);
        this.down = true;
        this.retryAt = Date.now() + SHARED_RETRY_MS;
      }
    }
    return this.local.increment(key, ttl, limit, blockDuration, name);
  }
}
