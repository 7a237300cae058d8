import { Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { growthConfig, type GrowthConfig } from '../../../config/configuration';
import { TaskProcessors } from '../../async-tasks/task-processors';
import { TasksProducer } from '../../async-tasks/tasks.producer';
import { LedgerVerificationService } from './ledger-verification.service';

export const LEDGER_VERIFY_SCHEDULE_ID = 'ledger-verify';

/**
 * The nightly verification (LEDGER_VERIFY_CRON in GROWTH_TZ): a BullMQ job scheduler, declared by
 * every instance and run once per occurrence. The job reads whole tables, so it runs without the
 * statement timeout; finding violations is its result (and the gauge's), not a failure.
 */
@Injectable()
export class LedgerVerificationProcessor implements OnModuleInit, OnApplicationBootstrap {
  readonly queue = 'ledger' as const;

  constructor(
    @Inject(growthConfig.KEY) private readonly schedules: GrowthConfig,
    private readonly verification: LedgerVerificationService,
    private readonly processors: TaskProcessors,
    private readonly producer: TasksProducer,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  onApplicationBootstrap(): void {
    if (!this.schedules.schedulesEnabled) return;
    this.producer.schedule(
      'ledger',
      { id: LEDGER_VERIFY_SCHEDULE_ID, pattern: this.schedules.ledgerVerifyCron, tz: this.schedules.tz },
      'verify',
      {},
    );
  }

  process() {
    return this.verification.verify({ statementTimeoutMs: 0 });
  }
}
