import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { CacheService } from './cache.service';
import type { CachedRoute } from './cached-route';
import { cacheKey, callerScope, fillPath, pathParams } from './domain/cache-keys';

/**
 * Who warming reads as: the views it loads are the ones admins and auditors share (scope "all").
 * An auditor may read everything and change nothing, which is all warming needs.
 */
const SYSTEM_READER: Principal = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'auditor',
  keyId: 'warming',
};

/** Loads one portfolio's view of a route, as its handler would for `reader`. */
export type WarmLoader = (reader: Principal, portfolioId: string) => Promise<unknown>;

interface Warmer {
  route: CachedRoute;
  /** The route's path parameter that names the portfolio. */
  param: string;
  load: WarmLoader;
}

/**
 * Loads portfolios' views ahead of their first read (at start, in the background). Features
 * register @CachedRead routes of theirs (`cachedRoute(Controller, 'method')`) with a loader; the
 * key, the namespace and the tags come from the route's own definition, so a warmed entry is
 * exactly the one a request without a query finds.
 */
@Injectable()
export class CacheWarming {
  private readonly logger = new Logger(CacheWarming.name);
  private readonly warmers: Warmer[] = [];

  constructor(private readonly cache: CacheService) {}

  /** Warms `route` for each portfolio; its one path parameter is the portfolio's id. */
  add(route: CachedRoute, load: WarmLoader): void {
    const params = pathParams(route.path);
    if (params.length !== 1) throw new Error(`${route.path} cannot be warmed: it must have one path parameter`);
    this.warmers.push({ route, param: params[0], load });
  }

  /** Loads the views of these portfolios, one portfolio at a time; returns how many were warmed. */
  async warm(portfolioIds: string[]): Promise<number> {
    if (!this.cache.enabled) return 0;
    let warmed = 0;
    for (const id of portfolioIds) {
      try {
        for (const warmer of this.warmers) await this.load(warmer, id);
        warmed++;
      } catch (error) {
        this.logger.warn(`warming portfolio ${id} stopped: ${(error as Error).message}`);
      }
    }
    return warmed;
  }

  private load({ route, param, load }: Warmer, portfolioId: string): Promise<void> {
    const params = { [param]: portfolioId };
    const key = cacheKey(route.namespace, callerScope(SYSTEM_READER), fillPath(route.path, params));
    return this.cache.put(route.namespace, key, route.tags(params), () => load(SYSTEM_READER, portfolioId));
  }
}
