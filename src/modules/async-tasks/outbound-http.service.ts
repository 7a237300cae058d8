import { Inject, Injectable } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { tasksConfig, type TasksConfig } from '../../config/configuration';
import { NonRetryableError } from './tasks.errors';

/** The destination keeps failing: calls are not even tried until it may have recovered. */
export class CircuitOpenError extends Error {
  override name = 'CircuitOpenError';
  constructor(
    readonly destination: string,
    readonly retryAfterMs: number,
  ) {
    super(`calls to ${destination} are paused: it kept failing`);
  }
}

/**
 * Every outbound HTTP call goes through here, behind one circuit breaker per destination (origin).
 * Failures that say the destination is unwell (network errors, timeouts, 5xx, 408, 429) count
 * towards opening its circuit; a 4xx about our own request fails at once and counts for nothing.
 */
@Injectable()
export class OutboundHttp {
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();

  constructor(@Inject(tasksConfig.KEY) private readonly config: TasksConfig) {}

  async postJson(url: string, body: unknown): Promise<number> {
    const origin = new URL(url).origin;
    try {
      return await this.breaker(origin).execute(async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.config.outboundTimeoutMs),
        });
        await res.arrayBuffer(); // drain the body so the connection can be reused
        if (res.ok) return res.status;
        if (res.status >= 500 || res.status === 408 || res.status === 429) {
          throw new Error(`${origin} answered ${res.status}`);
        }
        throw new NonRetryableError(`${origin} refused the request with ${res.status}`);
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError(origin, this.config.breakerHalfOpenAfterMs);
      throw error;
    }
  }

  /** The state of each destination's circuit: closed, open or half-open. */
  circuits(): Record<string, string> {
    return Object.fromEntries([...this.breakers].map(([origin, b]) => [origin, CircuitState[b.state]]));
  }

  private breaker(origin: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(origin);
    if (!breaker) {
      breaker = circuitBreaker(
        handleWhen((error) => !(error instanceof NonRetryableError)),
        {
          halfOpenAfter: this.config.breakerHalfOpenAfterMs,
          breaker: new ConsecutiveBreaker(this.config.breakerThreshold),
        },
      );
      this.breakers.set(origin, breaker);
    }
    return breaker;
  }
}
