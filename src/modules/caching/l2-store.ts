import { once } from 'node:events';
import KeyvRedis from '@keyv/redis';
import type { RedisClientOptions } from '@keyv/redis';

/** The name L2's connection gives itself (CLIENT LIST shows it). */
export const L2_CLIENT_NAME = 'alluse-cache-l2';

/**
 * The cache's Redis store (@keyv/redis), closed safely. Its client connects on first use, and
 * reconnects after a loss. Closing it while a socket is still being opened marks the client
 * closed, yet that socket connects a moment later and stays open for good: node-redis cannot
 * close a client it already counts as closed. Such a connection (last command SET: the first
 * write to L2) outlived every app in the tests and held Jest open. This store closes once, after
 * the socket being opened has connected or failed (within its connect timeout), and opens no
 * connection once closing.
 */
export class L2Store extends KeyvRedis<unknown> {
  private opening = false;
  private closing?: Promise<void>;

  constructor(
    url: string,
    private readonly connectTimeoutMs: number,
  ) {
    const options: RedisClientOptions = {
      url,
      name: L2_CLIENT_NAME,
      // Fail fast while Redis is unreachable and keep reconnecting: the cache carries on with L1.
      disableOfflineQueue: true,
      socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: (attempt) => Math.min(attempt * 200, 2_000) },
    };
    super(options, { throwOnConnectError: false, throwOnErrors: false });
    this.client.on('reconnecting', () => (this.opening = true));
    this.client.on('connect', () => (this.opening = false));
    this.client.on('error', () => (this.opening = false));
  }

  override async getClient() {
    if (this.closing) return this.client; // closed: its commands fail at once
    if (!this.client.isOpen) this.opening = true;
    return super.getClient();
  }

  /** Closes the connection (however often it is asked to: cache-manager and the cache service both do). */
  override disconnect(): Promise<void> {
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    if (this.opening) {
      await once(this.client, 'connect', { signal: AbortSignal.timeout(this.connectTimeoutMs + 500) }).catch(
        () => undefined, // it failed ('error'), or took too long: either way no socket is being opened now
      );
    }
    if (this.client.isOpen) void this.client.destroy();
  }
}
