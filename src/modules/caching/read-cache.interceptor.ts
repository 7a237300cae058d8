import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, map, Observable } from 'rxjs';
import type { Principal } from '../auth/principal';
import { CacheService } from './cache.service';
import { CACHED_READ, type CachedReadOptions } from './cached-read.decorator';
import { cacheKey, callerScope } from './domain/cache-keys';

/** Serves a @CachedRead route from the cache; sets ETag, answers 304 to a matching If-None-Match. */
@Injectable()
export class ReadCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: CacheService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CachedReadOptions | undefined>(CACHED_READ, context.getHandler());
    if (!options || !this.cache.enabled) return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: Principal }>();
    const reply = http.getResponse<FastifyReply>();
    const params = request.params as Record<string, string>;
    const key = cacheKey(
      options.namespace,
      callerScope(request.principal),
      request.url.split('?')[0],
      request.query as Record<string, unknown>,
    );
    const read = this.cache.read(options.namespace, key, options.tags(params), () => lastValueFrom(next.handle()));
    return from(read).pipe(
      map((entry) => {
        void reply.header('etag', entry.etag);
        void reply.header('cache-control', 'private, no-cache');
        void reply.header('x-cache', entry.source === 'MISS' ? 'MISS' : `HIT-${entry.source}`);
        if (matches(request.headers['if-none-match'], entry.etag)) {
          void reply.status(304);
          return undefined;
        }
        return entry.value;
      }),
    );
  }
}

/** If-None-Match holds a list of ETags (or *); weak comparison, as RFC 9110 asks for GET. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
