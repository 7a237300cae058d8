import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { LRUCache } from 'lru-cache';
import { AppError } from '@app/errors';
import { outboundConfig, type OutboundConfig, tasksConfig, type TasksConfig } from '../../config/configuration';
import { OutboundUrlPolicy } from './outbound-url-policy';
import { NonRetryableError } from './tasks.errors';

/** Destinations whose circuit is remembered. */
const MAX_DESTINATIONS = 10_000;

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
 *
 * Each call is SSRF-safe: its host is resolved and checked at every call (OutboundUrlPolicy) and
 * the connection goes to the checked address, the name kept in the Host header and the TLS
 * server name. A redirect is a failure, never followed; at most OUTBOUND_MAX_RESPONSE_BYTES of an
 * answer are read, and the whole exchange is bounded by TASKS_OUTBOUND_TIMEOUT_MS.
 */
@Injectable()
export class OutboundHttp {
  /** Destinations come from users (notifyUrl): the most recently called ones keep their breaker. */
  private readonly breakers = new LRUCache<string, CircuitBreakerPolicy>({ max: MAX_DESTINATIONS });

  constructor(
    @Inject(tasksConfig.KEY) private readonly config: TasksConfig,
    @Inject(outboundConfig.KEY) private readonly outbound: OutboundConfig,
    private readonly policy: OutboundUrlPolicy,
  ) {}

  async postJson(url: string, body: unknown): Promise<number> {
    const target = new URL(url);
    const origin = target.origin;
    try {
      return await this.breaker(origin).execute(async () => {
        const address = await this.policy.pin(target);
        const status = await this.post(target, address, JSON.stringify(body));
        if (status >= 200 && status < 300) return status;
        if (status >= 300 && status < 400) {
          throw new NonRetryableError(`${origin} answered ${status}: redirects are not followed`);
        }
        if (status >= 500 || status === 408 || status === 429) throw new Error(`${origin} answered ${status}`);
        throw new NonRetryableError(`${origin} refused the request with ${status}`);
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) throw new CircuitOpenError(origin, this.config.breakerHalfOpenAfterMs);
      throw error;
    }
  }

  /** The state of each destination's circuit: closed, open or half-open. */
  circuits(): Record<string, string> {
    return Object.fromEntries([...this.breakers.entries()].map(([origin, b]) => [origin, CircuitState[b.state]]));
  }

  /**
   * One POST to `address`, the checked address of the URL's host. The answer is judged by its
   * status: the body is read up to the size limit or the deadline, whichever comes first, and the
   * connection is then closed (cut off). No status before the deadline is a timeout.
   */
  private post(url: URL, address: string, payload: string): Promise<number> {
    const { outboundTimeoutMs } = this.config;
    const { maxResponseBytes } = this.outbound;
    return new Promise((resolve, reject) => {
      let response: IncomingMessage | undefined;
      const finish = () => {
        clearTimeout(deadline);
        response?.destroy();
        resolve(response?.statusCode ?? 0);
      };
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        agent: false, // a connection per call: a pooled socket could outlive the address check
        lookup: pinnedLookup(address),
      });
      const timedOut = new Error(`${url.origin} did not answer within ${outboundTimeoutMs} ms`);
      const deadline = setTimeout(() => (response ? finish() : request.destroy(timedOut)), outboundTimeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        // The code only: Node's messages name the address, and a task's error is shown to its owner.
        reject(error === timedOut ? error : new Error(`${url.origin} could not be reached (${error.code ?? 'error'})`));
      });
      request.on('response', (res) => {
        response = res;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= maxResponseBytes) finish();
        });
        res.on('end', finish);
        res.on('error', finish);
        if (maxResponseBytes === 0) finish();
      });
      request.end(payload);
    });
  }

  private breaker(origin: string): CircuitBreakerPolicy {
    let breaker = this.breakers.get(origin);
    if (!breaker) {
      breaker = circuitBreaker(
        // A refusal of our own (a 4xx, a forbidden address) says nothing about the destination's health.
        handleWhen((error) => !(error instanceof NonRetryableError || error instanceof AppError)),
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

/** A resolver that answers every question with the address already checked, so the connection goes there. */
function pinnedLookup(address: string): LookupFunction {
  const family = isIPv6(address) ? 6 : 4;
  return (_host, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}
