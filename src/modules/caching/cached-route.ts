import type { Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { CACHED_READ, type CachedReadOptions } from './cached-read.decorator';
import { joinPath } from './domain/cache-keys';

/** A @CachedRead route as its decorators define it: what a request to it is cached under. */
export interface CachedRoute extends CachedReadOptions {
  /** Its full path template, e.g. `/v1/portfolios/:id`. */
  path: string;
}

/**
 * Reads a @CachedRead route's namespace, tags and path from its decorators (`@Controller`, `@Get`,
 * `@CachedRead`), so that code that fills the cache ahead of a request (warming) builds the very key
 * and tags the request would, without typing the route a second time.
 */
export function cachedRoute<T>(controller: Type<T>, method: keyof T & string): CachedRoute {
  const handler: unknown = controller.prototype[method];
  if (typeof handler !== 'function' || !Reflect.hasMetadata(CACHED_READ, handler)) {
    throw new Error(`${controller.name}.${method} is not a @CachedRead route`);
  }
  const options = Reflect.getMetadata(CACHED_READ, handler) as CachedReadOptions;
  const [base, own]: unknown[] = [
    Reflect.getMetadata(PATH_METADATA, controller),
    Reflect.getMetadata(PATH_METADATA, handler),
  ];
  if (typeof base !== 'string' || typeof own !== 'string') {
    throw new Error(
      `${controller.name}.${method}: a cached route has one path on its controller and one on its method`,
    );
  }
  return { ...options, path: joinPath(base, own) };
}
