import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { CacheNamespace } from './domain/cache-keys';
import { ReadCacheInterceptor } from './read-cache.interceptor';

export const CACHED_READ = 'cache:read';

export interface CachedReadOptions {
  namespace: CacheNamespace;
  /** The tags whose invalidation drops this view, from the route parameters. */
  tags: (params: Record<string, string>) => string[];
}

/**
 * A GET read model served through the two-level cache, with `ETag` and `If-None-Match` → 304.
 * The key holds the path, the query and the caller's scope; the handler runs only on a miss.
 * Its path parameters are UUIDs, and each kind of tag it names has a read check (TagRules).
 */
export const CachedRead = (options: CachedReadOptions) =>
  applyDecorators(
    SetMetadata(CACHED_READ, options),
    UseInterceptors(ReadCacheInterceptor),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'the ETag of the copy you hold: 304 without a body while it is still current',
    }),
    ApiResponse({ status: 304, description: 'not modified since the ETag given in If-None-Match' }),
  );
