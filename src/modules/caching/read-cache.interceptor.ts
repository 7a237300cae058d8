import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, Observable } from 'rxjs';
import { uuidPipe } from '../../common/uuid.pipe';
import type { Principal } from '../auth/principal';
import { CacheService } from './cache.service';
import { CACHED_READ, type CachedReadOptions } from './cached-read.decorator';
import { cacheKey, callerScope } from './domain/cache-keys';
import { TagRules } from './tag-rules';

/**
 * Serves a @CachedRead route from the cache; sets ETag, answers 304 to a matching If-None-Match.
 * Before the cache is asked: the ids in the path are checked (Nest runs interceptors before
 * pipes, and a malformed id must cost nothing here), then whether the caller may read them (a
 * hit skips the handler and its own check).
 */
@Injectable()
export class ReadCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: CacheService,
    private readonly rules: TagRules,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const options = this.reflector.get<CachedReadOptions | undefined>(CACHED_READ, context.getHandler());
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { principal?: Principal }>();
    // No principal: nobody to check access for, so no cache either (every cached route needs a key).
    if (!options || !this.cache.enabled || !request.principal) return next.handle();
    return from(this.serve(options, request, http.getResponse<FastifyReply>(), next));
  }

  private async serve(
    options: CachedReadOptions,
    request: FastifyRequest & { principal?: Principal },
    reply: FastifyReply,
    next: CallHandler,
  ): Promise<unknown> {
    const params = request.params as Record<string, string>;
    for (const [name, value] of Object.entries(params)) await uuidPipe.transform(value, { type: 'param', data: name });
    const principal = request.principal!;
    const scope = callerScope(principal);
    const tags = options.tags(params);
    // Admins and auditors read everything: their valid key (the guard) is all a hit needs.
    if (scope !== 'all') await this.rules.authorize(principal, tags);
    const key = cacheKey(options.namespace, scope, request.url.split('?')[0], request.query as Record<string, unknown>);
    const entry = await this.cache.read(options.namespace, key, tags, () => lastValueFrom(next.handle()));
    void reply.header('etag', entry.etag);
    void reply.header('cache-control', 'private, no-cache');
    void reply.header('x-cache', entry.source === 'MISS' ? 'MISS' : `HIT-${entry.source}`);
    if (matches(request.headers['if-none-match'], entry.etag)) {
      void reply.status(304);
      return undefined;
    }
    return entry.value;
  }
}

/** If-None-Match holds a list of ETags (or *); weak comparison, as RFC 9110 asks for GET. */
function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}
