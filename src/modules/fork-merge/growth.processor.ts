import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TaskData } from '../async-tasks/queues';
import { TaskProcessors } from '../async-tasks/task-processors';
import { AccountDirectory } from '../accounts/account-directory.service';
import { ForkMergeService } from './fork-merge.service';
import { GrowthChecksService } from './growth-checks.service';

/** Runs the growth queue: fork checks, merge checks and the scan. Running one twice changes nothing. */
@Injectable()
export class GrowthProcessor implements OnModuleInit {
  readonly queue = 'growth' as const;

  constructor(
    private readonly engine: ForkMergeService,
    private readonly checks: GrowthChecksService,
    private readonly directory: AccountDirectory,
    private readonly processors: TaskProcessors,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  async process(job: Job<TaskData<'growth'>>) {
    const data = job.data;
    switch (data.job) {
      case 'fork-check': {
        const fact = (await this.directory.lookup([data.accountId])).get(data.accountId);
        if (!fact) return { skipped: 'ACCOUNT_NOT_FOUND' };
        return describe(await this.engine.fork(fact.portfolioId, data.accountId, data.trigger, { actorId: null }));
      }
      case 'merge-check':
        return describe(await this.engine.checkMerge(data.unitId, data.trigger));
      case 'scan':
        return this.checks.scan();
    }
  }
}

/** A job result that reads well in GET /v1/tasks/:id. */
function describe(outcome: object) {
  return 'refused' in outcome ? { skipped: (outcome.refused as { reason: string }).reason } : outcome;
}
