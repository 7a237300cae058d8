import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { RedisService } from '../../infrastructure/redis.service';
import { valueWithin } from '../../common/with-timeout';

/** Told of every tag invalidated, here or on another instance (e.g. to forget a cached grant). */
export type InvalidationListener = (tags: string[]) => void;

const CHANNEL = 'cache:invalidate';
/** A tag nobody has invalidated yet. */
const NEVER = '0';
const tokenKey = (tag: string) => `cache:tag:${tag}`;

/**
 * The token of each tag: kept in Redis, mirrored in every instance. Invalidating a tag gives it a
 * new random token, applied here at once, then stored and published to every other instance in
 * one Redis transaction. A cached entry remembers the tokens its tags had before its value was
 * loaded (CacheService), so a new token makes every entry of the tag stale, in either level.
 *
 * Redis down: an unknown tag gets a token of this instance only, and an invalidation still reaches
 * this instance. When the subscription (re)connects, messages may have been missed: the mirror is
 * dropped and the reset listeners (L1) are told.
 *
 * The mirror is an LRU bounded by CACHE_TAGS_MAX: forgetting a token costs one Redis lookup.
 */
@Injectable()
export class TagTokens implements OnApplicationShutdown {
  private readonly logger = new Logger(TagTokens.name);
  /** Tag → token, as this instance last learned it from Redis or from an invalidation. */
  readonly mirror: LRUCache<string, string>;
  private readonly listeners: InvalidationListener[] = [];
  private readonly resetListeners: (() => void)[] = [];
  private readonly subscriber: Redis;
  private readonly origin = randomUUID();

  constructor(
    private readonly redis: RedisService,
    @Inject(cacheConfig.KEY) private readonly config: CacheConfig,
  ) {
    this.mirror = new LRUCache({ max: config.tagsMax });
    this.subscriber = redis.client.duplicate({ keyPrefix: '' });
    this.subscriber.on('error', () => undefined); // the shared client already logs Redis errors
    if (!config.enabled) {
      this.subscriber.disconnect();
      return;
    }
    this.subscriber.on('message', (_channel, message) => this.onMessage(message));
    // On every (re)connection: messages may have been missed, so forget what this instance knew.
    this.subscriber.on('ready', () => {
      this.reset();
      this.subscriber.subscribe(this.channel).catch((error: Error) => {
        this.logger.warn(`cache invalidations not subscribed: ${error.message}`);
      });
    });
  }

  /** Whether invalidations from other instances are heard (readiness and the statistics report it). */
  get subscribed(): boolean {
    return this.subscriber.status === 'ready';
  }

  /** Listeners are told of every tag invalidated, on this instance or another. */
  onInvalidate(listener: InvalidationListener): void {
    this.listeners.push(listener);
  }

  /** Listeners are told when the mirror is dropped (whatever was loaded under it may be stale). */
  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** The tokens of `tags`: from the mirror, the unknown ones from Redis (one MGET). */
  async current(tags: string[]): Promise<Record<string, string>> {
    const unknown = tags.filter((tag) => !this.mirror.has(tag));
    if (unknown.length) {
      const values = await valueWithin(this.redis.client.mget(unknown.map(tokenKey)), this.config.redisTimeoutMs);
      // Without Redis, an unknown tag gets a token of this instance only: nothing cached under it
      // can match a token that another instance has since set.
      unknown.forEach((tag, i) => this.mirror.set(tag, values ? (values[i] ?? NEVER) : `local:${randomUUID()}`));
    }
    return this.known(tags);
  }

  /** The tokens of `tags` as this instance knows them now, without asking Redis. */
  known(tags: string[]): Record<string, string> {
    return Object.fromEntries(tags.map((tag) => [tag, this.mirror.get(tag) ?? NEVER]));
  }

  /** New tokens for `tags`: here at once, then in Redis and on every other instance. */
  async renew(tags: string[]): Promise<void> {
    const changed = Object.fromEntries(tags.map((tag) => [tag, randomUUID()]));
    this.apply(changed);
    const work = this.redis.client
      .multi()
      .mset(Object.entries(changed).flatMap(([tag, token]) => [tokenKey(tag), token]))
      .publish(this.channel, JSON.stringify({ origin: this.origin, tokens: changed }))
      .exec();
    const done = await valueWithin(work, this.config.redisTimeoutMs);
    if (!done) this.logger.warn(`cache invalidation of ${tags.length} tags reached this instance only`);
  }

  onApplicationShutdown(): void {
    this.subscriber.disconnect();
  }

  private get channel(): string {
    return `${this.redis.client.options.keyPrefix ?? ''}${CHANNEL}`;
  }

  private onMessage(message: string): void {
    try {
      const { origin, tokens } = JSON.parse(message) as { origin: string; tokens: Record<string, string> };
      if (origin !== this.origin) this.apply(tokens);
    } catch {
      this.logger.warn('ignored a malformed cache invalidation message');
    }
  }

  private apply(tokens: Record<string, string>): void {
    for (const [tag, token] of Object.entries(tokens)) this.mirror.set(tag, token);
    const tags = Object.keys(tokens);
    for (const listener of this.listeners) listener(tags);
  }

  private reset(): void {
    this.mirror.clear();
    for (const listener of this.resetListeners) listener();
  }
}
