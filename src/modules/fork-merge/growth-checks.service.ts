import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { growthConfig, type GrowthConfig } from '../../config/configuration';
import { AccountDirectory } from '../accounts/account-directory.service';
import type { GrowthPayload } from '../async-tasks/queues';
import { TasksProducer } from '../async-tasks/tasks.producer';
import { LedgerPostedEvent } from '../transactions/ledger.events';
import { ForkMergeRepository } from './fork-merge.repository';

type Check = Extract<GrowthPayload, { job: 'fork-check' | 'merge-check' }>;

/**
 * Schedules the growth engine's checks (docs/domain.md §5, §6). After every write that raised a GEN
 * account's value, a fork check of that account; after every write into a forked unit, a merge
 * check of the unit. Checks are gathered for GROWTH_CHECK_DELAY_MS and queued in one round trip,
 * de-duplicated per account and per unit, so a burst of premiums schedules one check. The weekly
 * scan (a BullMQ job scheduler: one run per occurrence whatever the number of instances) queues a
 * check of everything eligible, catching anything a lost event missed.
 */
@Injectable()
export class GrowthChecksService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(GrowthChecksService.name);
  private readonly pending = new Map<string, Check>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly producer: TasksProducer,
    private readonly directory: AccountDirectory,
    private readonly repository: ForkMergeRepository,
    @Inject(growthConfig.KEY) private readonly config: GrowthConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.schedulesEnabled) return;
    this.producer.schedule('growth', { id: 'growth-scan', pattern: this.config.scanCron, tz: this.config.tz }, 'scan', {
      job: 'scan',
    });
  }

  @OnEvent(LedgerPostedEvent.topic)
  async onPosted(event: LedgerPostedEvent): Promise<void> {
    // A fork funds a GEN at its baseline and a unit below the merge threshold, and a merge only
    // raises the root COM: neither can make anything eligible.
    if (event.raisedAccountIds.length === 0 || event.kinds.every((k) => k === 'FORK' || k === 'MERGE')) return;
    try {
      const facts = await this.directory.lookup(event.raisedAccountIds);
      for (const fact of facts.values()) {
        if (fact.type === 'GEN') this.enqueue({ job: 'fork-check', accountId: fact.id, trigger: 'automatic' });
        if (fact.unitId) this.enqueue({ job: 'merge-check', unitId: fact.unitId, trigger: 'automatic' });
      }
    } catch (error) {
      // The write has committed; the weekly scan catches what this misses.
      this.logger.warn(`growth checks not scheduled: ${(error as Error).message}`);
    }
  }

  /** The scan: a check for every GEN account and unit that is eligible now. */
  async scan(): Promise<{ forkChecks: number; mergeChecks: number }> {
    const [accounts, units] = await Promise.all([
      this.repository.eligibleGenAccounts(),
      this.repository.eligibleUnits(),
    ]);
    await this.queue([
      ...accounts.map((accountId): Check => ({ job: 'fork-check', accountId, trigger: 'scan' })),
      ...units.map((unitId): Check => ({ job: 'merge-check', unitId, trigger: 'scan' })),
    ]);
    return { forkChecks: accounts.length, mergeChecks: units.length };
  }

  /** Runs the scan as a task now (operators re-running a missed one; tests). */
  runScanNow() {
    return this.producer.add('growth', 'scan', { job: 'scan' }, { priority: 'high' });
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    await this.flush();
  }

  private enqueue(check: Check): void {
    this.pending.set(checkKey(check), check);
    this.timer ??= setTimeout(() => void this.flush(), this.config.checkDelayMs);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const checks = [...this.pending.values()];
    this.pending.clear();
    try {
      await this.queue(checks);
    } catch (error) {
      this.logger.warn(`${checks.length} growth checks not queued: ${(error as Error).message}`);
    }
  }

  private queue(checks: Check[]) {
    return this.producer.addBulk(
      'growth',
      checks.map((check) => ({
        name: check.job,
        payload: check,
        options: { deduplicate: checkKey(check), priority: check.trigger === 'scan' ? 'low' : 'normal' },
      })),
    );
  }
}

const checkKey = (check: Check) =>
  check.job === 'fork-check' ? `fork-check:${check.accountId}` : `merge-check:${check.unitId}`;
