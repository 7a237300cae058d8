import { Inject, Injectable } from '@nestjs/common';
import { InjectThrottlerStorage, type ThrottlerStorage } from '@nestjs/throttler';
import { LRUCache } from 'lru-cache';
import type { AppError } from '@app/errors';
import { authConfig, type AuthConfig } from '../../config/configuration';
import { tooManyAuthFailures, unauthenticated } from './auth.errors';

/** Addresses remembered as blocked by one instance (the most recent ones). */
const BLOCKED_ADDRESSES = 10_000;

/**
 * A budget of failed authentications per client address (AUTH_FAILURE_LIMIT per
 * AUTH_FAILURE_WINDOW_MS), smaller than and separate from the per-key limit: counted in the rate
 * limits' storage (Redis, shared by every instance; in memory while Redis is away). Past it the
 * address gets 429 for whatever it sends, a valid key included, so guessing learns nothing more.
 */
@Injectable()
export class AuthFailureLimiter {
  /** Blocked addresses until their block ends, so that their requests cost no Redis round trip. */
  private readonly blocked = new LRUCache<string, true>({ max: BLOCKED_ADDRESSES });

  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /** Throws 429 when `address` used up its budget, before its key is even looked up. */
  assertAllowed(address: string): void {
    if (this.blocked.has(address)) throw tooManyAuthFailures(Math.ceil(this.blocked.getRemainingTTL(address) / 1000));
  }

  /**
   * Counts a failed authentication; returns what to answer: `refusal` (401), or 429 once the
   * address is past its budget.
   */
  async failed(address: string, refusal: () => AppError = unauthenticated): Promise<AppError> {
    const { failureLimit, failureWindowMs } = this.config;
    const record = await this.storage.increment(
      `auth-failures:${address}`,
      failureWindowMs,
      failureLimit,
      failureWindowMs,
      'auth',
    );
    if (!record.isBlocked) return refusal();
    this.blocked.set(address, true, { ttl: record.timeToBlockExpire * 1000 });
    return tooManyAuthFailures(record.timeToBlockExpire);
  }
}
