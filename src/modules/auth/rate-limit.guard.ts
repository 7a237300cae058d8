import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Principal } from './principal';

/**
 * Per-key rate limit, counted in Redis so the limit holds across instances. Runs after the
 * AuthGuard; unauthenticated routes (probes, docs) are limited by client address. While Redis is
 * unreachable each instance counts on its own (FallbackThrottlerStorage) rather than not at all.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return Promise.resolve(principal ? `key:${principal.keyId}` : `ip:${String(req.ip)}`);
  }

  /** One quota per key across every route (the library's default counts per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }
}
