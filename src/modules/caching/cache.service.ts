import { createHash, randomUUID } from 'node:crypto';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { RedisService } from '../../infrastructure/redis.service';
import { valueWithin } from '../../common/with-timeout';
import type { Principal } from '../auth/principal';
import { CacheStats } from './cache-stats';
import { CACHE_TTLS_MS, isFresh, jitter, parseTag, type CacheNamespace } from './domain/cache-keys';
import type { L2Store } from './l2-store';
import type { Warmer } from './warming';
import type { CacheStatsView } from './dto/cache-stats.view';

/** A cached value with the tag tokens it was loaded under and its ETag. */
export interface CacheEntry<T = unknown> {
  value: T;
  tokens: Record<string, string>;
  etag: string;
  /** Roughly what the entry costs in memory (its JSON, as UTF-16). */
  bytes: number;
}

export interface CacheRead<T> extends CacheEntry<T> {
  source: 'L1' | 'L2' | 'MISS';
}

/** Adds the tags that a set of tags implies (an account's unit, for instance). */
export type TagExpander = (tags: string[]) => Promise<string[]>;

/** Throws the route's own error (a 404) unless `reader` may read what one tag names. */
export type ReadCheck = (reader: Principal, id: string) => Promise<void>;

/** Told of every tag invalidated, here or on another instance (e.g. to forget a cached grant). */
export type InvalidationListener = (tags: string[]) => void;

/** A bounded in-process map, as the statistics show it (an LRUCache is one). */
export interface BoundedMap {
  readonly size: number;
  readonly max: number;
}

const CHANNEL = 'cache:invalidate';
/** A tag nobody has invalidated yet. */
const NEVER = '0';

/**
 * The one cache of the service: L1 in this process (an LRU bounded by entries and bytes), L2 in
 * Redis through @nestjs/cache-manager and @keyv/redis. Reads go L1 → L2 → loader; an L2 hit fills L1;
 * concurrent misses of one key share one load.
 *
 * Invalidation is by tag. Each tag has a token, kept in Redis and mirrored here; invalidating a tag
 * gives it a new random token, tells every instance through Redis pub/sub, and drops this
 * instance's L1 entries of that tag at once. An entry remembers the tokens its tags had before its
 * value was loaded, and is served only while they are unchanged: a value loaded before a write can
 * never be served after it, even if it is stored after it, in either level.
 *
 * Redis down: L2 reads and writes give up after CACHE_REDIS_TIMEOUT_MS and the cache carries on
 * with L1 and the loaders; invalidation still drops this instance's entries. When the
 * subscription comes back, L1 and the mirrored tokens are dropped (messages may have been missed).
 *
 * Every map here is bounded (LRU): the tag index and the token mirror by CACHE_TAGS_MAX, loads in
 * flight by CACHE_L1_MAX_ENTRIES. Forgetting a tag's token only costs a Redis lookup; forgetting a
 * tag's keys leaves its L1 entries to be refused by their tokens, then evicted.
 */
@Injectable()
export class CacheService implements OnApplicationShutdown {
  private readonly logger = new Logger(CacheService.name);
  private readonly l1: LRUCache<string, CacheEntry & { tags: string[]; namespace: CacheNamespace }>;
  /** Tag → L1 keys holding it, to drop them when the tag is invalidated. */
  private readonly byTag: LRUCache<string, Set<string>>;
  /** Tag → token, as this instance last learned it from Redis or from an invalidation. */
  private readonly tokens: LRUCache<string, string>;
  private readonly inflight: LRUCache<string, Promise<CacheEntry>>;
  private readonly expanders: TagExpander[] = [];
  private readonly warmers: Warmer[] = [];
  private readonly readChecks = new Map<string, ReadCheck>();
  private readonly invalidationListeners: InvalidationListener[] = [];
  /** Features' maps shown in the statistics, by name. */
  private readonly tracked = new Map<string, BoundedMap>();
  private readonly subscriber: Redis;
  private readonly origin = randomUUID();
  /** Closing: L2 is asked nothing more. */
  private closed = false;
  readonly stats: CacheStats;

  constructor(
    @Inject(CACHE_MANAGER) private readonly l2: Cache,
    private readonly redis: RedisService,
    @Inject(cacheConfig.KEY) private readonly config: CacheConfig,
  ) {
    this.stats = new CacheStats();
    this.l1 = new LRUCache({
      max: config.l1MaxEntries,
      maxSize: config.l1MaxBytes,
      sizeCalculation: (entry) => entry.bytes,
      dispose: (entry, key, reason) => {
        for (const tag of entry.tags) {
          const keys = this.byTag.peek(tag);
          keys?.delete(key);
          if (keys?.size === 0) this.byTag.delete(tag);
        }
        if (reason === 'evict') this.stats.evicted(entry.namespace);
      },
    });
    this.byTag = new LRUCache({ max: config.tagsMax });
    this.tokens = new LRUCache({ max: config.tagsMax });
    this.inflight = new LRUCache({ max: config.l1MaxEntries });
    this.subscriber = redis.client.duplicate({ keyPrefix: '' });
    this.subscriber.on('error', () => undefined); // the shared client already logs Redis errors
    if (!config.enabled) {
      this.subscriber.disconnect();
      return;
    }
    this.subscriber.on('message', (_channel, message) => this.onMessage(message));
    // On every (re)connection: messages may have been missed, so forget what this instance knew.
    this.subscriber.on('ready', () => {
      this.forgetAll();
      this.subscriber.subscribe(this.channel).catch((error: Error) => {
        this.logger.warn(`cache invalidations not subscribed: ${error.message}`);
      });
    });
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Features register how one tag implies others (an account's unit, for instance). */
  addTagExpander(expander: TagExpander): void {
    this.expanders.push(expander);
  }

  /** Features register who may read what a kind of tag names (`account`, `portfolio`, `unit`). */
  addReadCheck(kind: string, check: ReadCheck): void {
    this.readChecks.set(kind, check);
  }

  /**
   * Throws unless `reader` may read what every tag names: checked before a cached view is served,
   * since a hit skips the handler and its own check. A kind without a check refuses (a 500).
   */
  async authorize(reader: Principal, tags: string[]): Promise<void> {
    for (const tag of tags) {
      const { kind, id } = parseTag(tag);
      const check = this.readChecks.get(kind);
      if (!check) throw new Error(`no read check for tags of kind ${kind}`);
      await check(reader, id);
    }
  }

  /** Features register what to do when tags are invalidated, on this instance or another. */
  onInvalidate(listener: InvalidationListener): void {
    this.invalidationListeners.push(listener);
  }

  /** Features show the size of their bounded maps in the statistics, as `<prefix>.<name>`. */
  trackMaps(prefix: string, maps: Record<string, BoundedMap>): void {
    for (const [name, map] of Object.entries(maps)) this.tracked.set(`${prefix}.${name}`, map);
  }

  /** This service's own bounded maps (the statistics show them as `cache.<name>`). */
  get maps() {
    return { tags: this.byTag, tokens: this.tokens, loads: this.inflight } as const;
  }

  /** The value of `key`: from L1, from L2, or loaded once however many callers miss at once. */
  async read<T>(namespace: CacheNamespace, key: string, tags: string[], load: () => Promise<T>): Promise<CacheRead<T>> {
    if (!this.enabled) return { ...entryOf(await load(), {}), source: 'MISS' };
    const allTags = await this.expand(tags);
    const current = await this.currentTokens(allTags);
    const local = this.l1.get(key);
    if (local && isFresh(local.tokens, current)) {
      this.stats.hit('l1', namespace);
      return { ...(local as CacheEntry<T>), source: 'L1' };
    }
    this.stats.miss('l1', namespace);
    const remote = await this.fromL2<T>(key);
    if (remote && isFresh(remote.tokens, current)) {
      this.stats.hit('l2', namespace);
      this.keep(key, remote, allTags, namespace);
      return { ...remote, source: 'L2' };
    }
    this.stats.miss('l2', namespace);
    return { ...((await this.loadOnce(namespace, key, allTags, current, load)) as CacheEntry<T>), source: 'MISS' };
  }

  /** Drops every view tagged with one of `tags`, here at once and on every other instance. */
  async invalidate(tags: string[]): Promise<void> {
    if (!this.enabled || tags.length === 0) return;
    const changed = Object.fromEntries((await this.expand(tags)).map((tag) => [tag, randomUUID()]));
    this.apply(changed);
    const redis = this.redis.client;
    const work = redis
      .multi()
      .mset(Object.entries(changed).flatMap(([tag, token]) => [tokenKey(tag), token]))
      .publish(this.channel, JSON.stringify({ origin: this.origin, tokens: changed }))
      .exec();
    const done = await valueWithin(work, this.config.redisTimeoutMs);
    if (!done) this.logger.warn(`cache invalidation of ${Object.keys(changed).length} tags reached this instance only`);
  }

  /** Features register how to load a portfolio's views ahead of the first read. */
  addWarmer(warmer: Warmer): void {
    this.warmers.push(warmer);
  }

  /** Loads the views of these portfolios, one portfolio at a time (in the background at start). */
  async warm(portfolioIds: string[]): Promise<number> {
    if (!this.enabled) return 0;
    let warmed = 0;
    for (const id of portfolioIds) {
      try {
        for (const warmer of this.warmers) await warmer(id);
        warmed++;
      } catch (error) {
        this.logger.warn(`warming portfolio ${id} stopped: ${(error as Error).message}`);
      }
    }
    return warmed;
  }

  /** Stores a value as `read` would have after loading it (start-up warming). */
  async put<T>(namespace: CacheNamespace, key: string, tags: string[], load: () => Promise<T>): Promise<void> {
    const allTags = await this.expand(tags);
    await this.loadOnce(namespace, key, allTags, await this.currentTokens(allTags), load);
  }

  describe(): CacheStatsView {
    return {
      enabled: this.enabled,
      redis: this.coherent ? 'up' : 'down',
      l1: {
        entries: this.l1.size,
        bytes: this.l1.calculatedSize,
        maxEntries: this.config.l1MaxEntries,
        maxBytes: this.config.l1MaxBytes,
      },
      ...this.stats.snapshot(),
      maps: [...Object.entries(this.maps).map(([name, map]) => [`cache.${name}`, map] as const), ...this.tracked].map(
        ([name, map]) => ({ name, size: map.size, max: map.max }),
      ),
    };
  }

  /** Whether the invalidation subscription is connected (readiness reports it). */
  get coherent(): boolean {
    return this.subscriber.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    this.subscriber.disconnect();
    // L2Store closes once, whoever asks first (cache-manager asks too, at module destroy); calls
    // still waiting on it then fail, and the cache carries on without them.
    await Promise.all(this.l2.stores.map((keyv) => (keyv.store as L2Store).disconnect()));
  }

  private get channel(): string {
    return `${this.redis.client.options.keyPrefix ?? ''}${CHANNEL}`;
  }

  private loadOnce(
    namespace: CacheNamespace,
    key: string,
    tags: string[],
    tokens: Record<string, string>,
    load: () => Promise<unknown>,
  ): Promise<CacheEntry> {
    const shared = this.inflight.get(key);
    if (shared) return shared;
    // A load that finished while this caller was asking L2 has already filled L1.
    const local = this.l1.get(key);
    if (local && isFresh(local.tokens, tokens)) return Promise.resolve(local);
    const pending: Promise<CacheEntry> = (async () => {
      this.stats.loaded(namespace);
      const entry = entryOf(await load(), tokens);
      this.keep(key, entry, tags, namespace);
      void this.toL2(namespace, key, entry);
      return entry;
    })().finally(() => {
      // Evicted meanwhile, a later load of the key may have taken the slot: leave it.
      if (this.inflight.peek(key) === pending) this.inflight.delete(key);
    });
    this.inflight.set(key, pending);
    return pending;
  }

  private keep(key: string, entry: CacheEntry, tags: string[], namespace: CacheNamespace): void {
    // Stored only if still fresh: a load that raced an invalidation is served once, never kept.
    if (!isFresh(entry.tokens, this.localTokens(tags))) return;
    this.l1.set(key, { ...entry, tags, namespace }, { ttl: Math.min(this.config.l1MaxTtlMs, ttlOf(namespace)) });
    if (!this.l1.has(key)) return; // larger than L1 itself: not kept
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  private async fromL2<T>(key: string): Promise<CacheEntry<T> | undefined> {
    return (await this.withL2(() => this.l2.get<CacheEntry<T>>(key))) ?? undefined;
  }

  private async toL2(namespace: CacheNamespace, key: string, entry: CacheEntry): Promise<void> {
    await this.withL2(() => this.l2.set(key, entry, ttlOf(namespace)));
  }

  /** An L2 call, given up on after CACHE_REDIS_TIMEOUT_MS; none once closing. */
  private withL2<T>(call: () => Promise<T>): Promise<T | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    return valueWithin(call(), this.config.redisTimeoutMs);
  }

  /** The tokens of `tags`: from this instance's mirror, the unknown ones from Redis (one MGET). */
  private async currentTokens(tags: string[]): Promise<Record<string, string>> {
    const unknown = tags.filter((tag) => !this.tokens.has(tag));
    if (unknown.length) {
      const values = await valueWithin(this.redis.client.mget(unknown.map(tokenKey)), this.config.redisTimeoutMs);
      // Without Redis, an unknown tag gets a token of this instance only: nothing cached under it
      // can match a token that another instance has since set.
      unknown.forEach((tag, i) => this.tokens.set(tag, values ? (values[i] ?? NEVER) : `local:${randomUUID()}`));
    }
    return this.localTokens(tags);
  }

  private localTokens(tags: string[]): Record<string, string> {
    return Object.fromEntries(tags.map((tag) => [tag, this.tokens.get(tag) ?? NEVER]));
  }

  private async expand(tags: string[]): Promise<string[]> {
    const all = new Set(tags);
    for (const expander of this.expanders) for (const tag of await expander(tags)) all.add(tag);
    return [...all];
  }

  private onMessage(message: string): void {
    try {
      const { origin, tokens } = JSON.parse(message) as { origin: string; tokens: Record<string, string> };
      if (origin !== this.origin) this.apply(tokens);
    } catch {
      this.logger.warn('ignored a malformed cache invalidation message');
    }
  }

  /** New tokens for tags: their L1 entries go at once, and the features listening are told. */
  private apply(tokens: Record<string, string>): void {
    for (const [tag, token] of Object.entries(tokens)) {
      this.tokens.set(tag, token);
      for (const key of [...(this.byTag.peek(tag) ?? [])]) this.l1.delete(key);
      this.byTag.delete(tag);
    }
    const tags = Object.keys(tokens);
    for (const listener of this.invalidationListeners) listener(tags);
  }

  private forgetAll(): void {
    this.l1.clear();
    this.byTag.clear();
    this.tokens.clear();
  }
}

const tokenKey = (tag: string) => `cache:tag:${tag}`;

function entryOf<T>(value: T, tokens: Record<string, string>): CacheEntry<T> {
  const json = JSON.stringify(value);
  const etag = `W/"${createHash('sha1').update(json).digest('base64url')}"`;
  return { value, tokens, etag, bytes: json.length * 2 + 256 };
}
const ttlOf = (namespace: CacheNamespace) => jitter(CACHE_TTLS_MS[namespace], Math.random());
