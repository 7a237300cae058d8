import { lookup } from 'node:dns/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { outboundConfig, type OutboundConfig, tasksConfig, type TasksConfig } from '../../config/configuration';
import { within } from '../../common/with-timeout';
import { literalVerdict, normalHost, pickAddress, type Verdict } from './domain/outbound-policy';
import { outboundUrlForbidden } from './tasks.errors';

/**
 * Where an outbound URL may lead (domain/outbound-policy.ts), checked twice: when a user submits
 * it, and again at each call, which connects to the address it checked (a name re-pointed since,
 * DNS rebinding, gains nothing).
 */
@Injectable()
export class OutboundUrlPolicy {
  private readonly logger = new Logger(OutboundUrlPolicy.name);

  constructor(
    @Inject(outboundConfig.KEY) private readonly config: OutboundConfig,
    @Inject(tasksConfig.KEY) private readonly tasks: TasksConfig,
  ) {}

  /**
   * At submission: refuses (400 OUTBOUND_URL_FORBIDDEN naming `field`) a URL whose host is, or
   * resolves only to, an address calls may not reach. A name that does not resolve now is let
   * through: each call resolves it again and is refused then.
   */
  async assertAllowed(url: string, field: string): Promise<void> {
    const host = normalHost(new URL(url).hostname);
    const literal = literalVerdict(host, this.config.allow);
    const addresses = literal ? undefined : await this.resolve(host).catch(() => undefined);
    const verdict = literal ?? (addresses && pickAddress(host, addresses, this.config.allow));
    if (verdict && !verdict.allowed) throw this.refused(host, verdict, !!literal, field);
  }

  /** At each call: the address to connect to, resolved now and checked. */
  async pin(url: URL): Promise<string> {
    const host = normalHost(url.hostname);
    const literal = literalVerdict(host, this.config.allow);
    const verdict = literal ?? pickAddress(host, await this.resolve(host), this.config.allow);
    if (!verdict.allowed) throw this.refused(host, verdict, !!literal);
    return verdict.address;
  }

  /** Every address the system resolver gives for `host`, as a connection would see them. */
  resolve(host: string): Promise<string[]> {
    return within(lookup(host, { all: true, verbatim: true }), this.tasks.outboundTimeoutMs).then((records) =>
      records.map((r) => r.address),
    );
  }

  private refused(host: string, verdict: Extract<Verdict, { allowed: false }>, literal: boolean, field?: string) {
    // The operator sees what the name resolved to; the caller does not.
    this.logger.warn(`outbound call refused: ${verdict.reason}`);
    return outboundUrlForbidden(host, literal, field);
  }
}
