import {
  cacheEvictions as evictions,
  cacheHits as hits,
  cacheLoads as loads,
  cacheMisses as misses,
} from '../monitoring/metrics';
import { CACHE_TTLS_MS, type CacheNamespace } from './domain/cache-keys';

export type CacheLevel = 'l1' | 'l2';

interface Counts {
  l1: { hits: number; misses: number; evictions: number };
  l2: { hits: number; misses: number };
  loads: number;
}

/**
 * Hits, misses, evictions and loads per level and namespace: for GET /v1/admin/cache and as
 * Prometheus counters. One slot per namespace, made up front: nothing here grows with traffic.
 */
export class CacheStats {
  private readonly byNamespace = new Map(
    (Object.keys(CACHE_TTLS_MS) as CacheNamespace[]).map((namespace) => [namespace, zero()]),
  );

  hit(level: CacheLevel, namespace: CacheNamespace): void {
    this.counts(namespace)[level].hits++;
    hits.inc({ level, namespace });
  }

  miss(level: CacheLevel, namespace: CacheNamespace): void {
    this.counts(namespace)[level].misses++;
    misses.inc({ level, namespace });
  }

  evicted(namespace: CacheNamespace): void {
    this.counts(namespace).l1.evictions++;
    evictions.inc({ namespace });
  }

  loaded(namespace: CacheNamespace): void {
    this.counts(namespace).loads++;
    loads.inc({ namespace });
  }

  snapshot() {
    const namespaces = [...this.byNamespace.entries()].map(([namespace, c]) => ({ namespace, ...structuredClone(c) }));
    const totals = zero();
    for (const c of namespaces) {
      totals.l1.hits += c.l1.hits;
      totals.l1.misses += c.l1.misses;
      totals.l1.evictions += c.l1.evictions;
      totals.l2.hits += c.l2.hits;
      totals.l2.misses += c.l2.misses;
      totals.loads += c.loads;
    }
    return { totals, namespaces };
  }

  /** A namespace outside CACHE_TTLS_MS (a key not built by cacheKey) is counted nowhere. */
  private counts(namespace: CacheNamespace): Counts {
    return this.byNamespace.get(namespace) ?? zero();
  }
}

function zero(): Counts {
  return { l1: { hits: 0, misses: 0, evictions: 0 }, l2: { hits: 0, misses: 0 }, loads: 0 };
}
