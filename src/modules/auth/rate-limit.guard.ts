import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard } from '@nestjs/throttler';
import type { Principal } from './principal';

/**
 * Per-key rate limit, counted in Redis so the limit holds across instances. Runs after the
 * AuthGuard; unauthenticated routes (probes, docs) are limited by client address.
 * When Redis is unreachable the limit is not enforced rather than failing every request.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly log = new Logger(RateLimitGuard.name);

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return Promise.resolve(principal ? `key:${principal.keyId}` : `ip:${String(req.ip)}`);
  }

  /** One quota per key across every route (the library's default counts per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
    return `${throttlerName}:${tracker}`;
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      return await super.canActivate(context);
    } catch (error) {
      if (error instanceof ThrottlerException) throw error;
      this.log.warn(`rate limit not enforced: ${(error as Error).message}`);
      return true;
    }
  }
}
