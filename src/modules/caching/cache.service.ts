import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { CacheStats } from './cache-stats';
import { CACHE_TTLS_MS, isFresh, jitter, type CacheNamespace } from './domain/cache-keys';
import type { CacheStatsView } from './dto/cache-stats.view';
import { L2Cache } from './l2-cache';
import { TagRules } from './tag-rules';
import { TagTokens } from './tag-tokens';

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

/** A bounded in-process map, as the statistics show it (an LRUCache is one). */
export interface BoundedMap {
  readonly size: number;
  readonly max: number;
}

/**
 * The one cache of the service: L1 in this process (an LRU bounded by entries and bytes), then L2
 * (L2Cache, in Redis). Reads go L1 → L2 → loader; an L2 hit fills L1; concurrent misses of one key
 * share one load.
 *
 * Invalidation is by tag (TagTokens): an entry remembers the tokens its tags had before its value
 * was loaded, and is served only while they are unchanged, so a value loaded before a write is
 * never served after it, even if it is stored after it, in either level. A new token drops this
 * instance's L1 entries of the tag at once.
 *
 * Every map here is bounded (LRU): the tag index by CACHE_TAGS_MAX, loads in flight by
 * CACHE_L1_MAX_ENTRIES. Forgetting a tag's keys leaves its L1 entries to be refused by their
 * tokens, then evicted.
 */
@Injectable()
export class CacheService {
  private readonly l1: LRUCache<string, CacheEntry & { tags: string[]; namespace: CacheNamespace }>;
  /** Tag → L1 keys holding it, to drop them when the tag is invalidated. */
  private readonly byTag: LRUCache<string, Set<string>>;
  private readonly inflight: LRUCache<string, Promise<CacheEntry>>;
  /** Features' maps shown in the statistics, by name. */
  private readonly tracked = new Map<string, BoundedMap>();
  readonly stats = new CacheStats();

  constructor(
    private readonly l2: L2Cache,
    private readonly tokens: TagTokens,
    private readonly rules: TagRules,
    @Inject(cacheConfig.KEY) private readonly config: CacheConfig,
  ) {
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
    this.inflight = new LRUCache({ max: config.l1MaxEntries });
    tokens.onInvalidate((tags) => this.drop(tags));
    tokens.onReset(() => {
      this.l1.clear();
      this.byTag.clear();
    });
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Features show the size of their bounded maps in the statistics, as `<prefix>.<name>`. */
  trackMaps(prefix: string, maps: Record<string, BoundedMap>): void {
    for (const [name, map] of Object.entries(maps)) this.tracked.set(`${prefix}.${name}`, map);
  }

  /** The cache's own bounded maps (the statistics show them as `cache.<name>`). */
  get maps() {
    return { tags: this.byTag, tokens: this.tokens.mirror, loads: this.inflight } as const;
  }

  /** The value of `key`: from L1, from L2, or loaded once however many callers miss at once. */
  async read<T>(namespace: CacheNamespace, key: string, tags: string[], load: () => Promise<T>): Promise<CacheRead<T>> {
    if (!this.enabled) return { ...entryOf(await load(), {}), source: 'MISS' };
    const allTags = await this.rules.expand(tags);
    const current = await this.tokens.current(allTags);
    const local = this.l1.get(key);
    if (local && isFresh(local.tokens, current)) {
      this.stats.hit('l1', namespace);
      return { ...(local as CacheEntry<T>), source: 'L1' };
    }
    this.stats.miss('l1', namespace);
    const remote = await this.l2.get<CacheEntry<T>>(key);
    if (remote && isFresh(remote.tokens, current)) {
      this.stats.hit('l2', namespace);
      this.keep(key, remote, allTags, namespace);
      return { ...remote, source: 'L2' };
    }
    this.stats.miss('l2', namespace);
    return { ...((await this.loadOnce(namespace, key, allTags, current, load)) as CacheEntry<T>), source: 'MISS' };
  }

  /** Stores a value as `read` would have after loading it (start-up warming). */
  async put<T>(namespace: CacheNamespace, key: string, tags: string[], load: () => Promise<T>): Promise<void> {
    const allTags = await this.rules.expand(tags);
    await this.loadOnce(namespace, key, allTags, await this.tokens.current(allTags), load);
  }

  /** Drops every view tagged with one of `tags` (or what they imply), here at once and on every other instance. */
  async invalidate(tags: string[]): Promise<void> {
    if (!this.enabled || tags.length === 0) return;
    await this.tokens.renew(await this.rules.expand(tags));
  }

  describe(): CacheStatsView {
    return {
      enabled: this.enabled,
      redis: this.tokens.subscribed ? 'up' : 'down',
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
      void this.l2.set(key, entry, ttlOf(namespace));
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
    if (!isFresh(entry.tokens, this.tokens.known(tags))) return;
    this.l1.set(key, { ...entry, tags, namespace }, { ttl: Math.min(this.config.l1MaxTtlMs, ttlOf(namespace)) });
    if (!this.l1.has(key)) return; // larger than L1 itself: not kept
    for (const tag of tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Drops this instance's L1 entries of `tags` (their tokens changed). */
  private drop(tags: string[]): void {
    for (const tag of tags) {
      for (const key of [...(this.byTag.peek(tag) ?? [])]) this.l1.delete(key);
      this.byTag.delete(tag);
    }
  }
}

function entryOf<T>(value: T, tokens: Record<string, string>): CacheEntry<T> {
  const json = JSON.stringify(value);
  const etag = `W/"${createHash('sha1').update(json).digest('base64url')}"`;
  return { value, tokens, etag, bytes: json.length * 2 + 256 };
}
const ttlOf = (namespace: CacheNamespace) => jitter(CACHE_TTLS_MS[namespace], Math.random());
