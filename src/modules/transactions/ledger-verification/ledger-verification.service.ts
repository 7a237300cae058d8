import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RedisService } from '../../../infrastructure/redis.service';
import { ledgerInvariantViolations } from '../../monitoring/metrics';
import { ScrapeCollectors } from '../../monitoring/scrape-collectors';
import { verificationTimedOut } from '../transactions.errors';
import { describeViolation, LEDGER_CHECK_NAMES, type LedgerVerification } from './ledger-checks';
import { LedgerVerificationRepository } from './ledger-verification.repository';

/** The latest result's counts, shared through Redis so that every instance exports the same gauge. */
const LATEST_KEY = 'ledger-verification:latest';
/** SQLSTATE query_canceled: the statement timeout ran out. */
const STATEMENT_TIMEOUT = '57014';
/** Violations listed by a verification (the counts are always complete). */
export const VERIFICATION_LIST_LIMIT = 100;

type Counts = Pick<LedgerVerification, 'checkedAt' | 'checks'>;

/**
 * Verifies the ledger's invariants (docs/ledger.md, Verification) and exports the result as
 * `alluse_ledger_invariant_violations{check}`. Whoever ran the latest verification — the nightly
 * job on a worker, or an operator through the endpoint on any instance — every instance exports
 * its counts: they are kept in Redis and read at each scrape, so the alert resolves everywhere
 * once a verification finds the ledger sound again.
 */
@Injectable()
export class LedgerVerificationService implements OnModuleInit {
  private readonly logger = new Logger(LedgerVerificationService.name);
  private running?: Promise<LedgerVerification>;

  constructor(
    private readonly repository: LedgerVerificationRepository,
    private readonly redis: RedisService,
    private readonly collectors: ScrapeCollectors,
  ) {}

  onModuleInit(): void {
    for (const check of LEDGER_CHECK_NAMES) ledgerInvariantViolations.set({ check }, 0);
    this.collectors.register(() => this.readLatest());
  }

  /**
   * A verification on request, within the pool's statement timeout (a 503 past it: the script and
   * the nightly job have none). Requests that arrive while one runs share it: the checks read whole
   * tables, and a second scan at once would only slow the first.
   */
  verifyNow(): Promise<LedgerVerification> {
    this.running ??= this.verify()
      .catch((error: unknown) => {
        throw (error as { code?: string }).code === STATEMENT_TIMEOUT ? verificationTimedOut() : error;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Runs every check in one snapshot; `statementTimeoutMs` 0 lifts the statement timeout (the nightly job). */
  async verify(options: { statementTimeoutMs?: number } = {}): Promise<LedgerVerification> {
    const result = await this.repository.verify({ limit: VERIFICATION_LIST_LIMIT, ...options });
    if (!result.ok) {
      const found = result.checks.filter((c) => c.violations > 0).map((c) => `${c.name}: ${c.violations}`);
      this.logger.error(
        `ledger verification found violations (${found.join(', ')}); first: ${describeViolation(result.violations[0])}`,
      );
    }
    const counts: Counts = { checkedAt: result.checkedAt, checks: result.checks };
    setGauge(counts);
    await this.redis.client
      .set(LATEST_KEY, JSON.stringify(counts))
      .catch((error: Error) => this.logger.warn(`ledger verification not shared: ${error.message}`));
    return result;
  }

  private async readLatest(): Promise<void> {
    const latest = await this.redis.client.get(LATEST_KEY);
    if (latest) setGauge(JSON.parse(latest) as Counts);
  }
}

function setGauge(counts: Counts): void {
  for (const { name, violations } of counts.checks) ledgerInvariantViolations.set({ check: name }, violations);
}
