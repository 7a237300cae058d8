import { Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { importsConfig, type ImportsConfig } from '../../../config/configuration';
import type { TaskData } from '../../async-tasks/queues';
import type { TaskContext } from '../../async-tasks/task-context';
import { TaskProcessors } from '../../async-tasks/task-processors';
import { TasksProducer } from '../../async-tasks/tasks.producer';
import { ImportHousekeeping } from './import-housekeeping.service';
import { ImportRunner } from './import-runner.service';

export const IMPORT_HOUSEKEEPING_SCHEDULE_ID = 'imports-housekeeping';

/**
 * Runs import tasks and the imports' housekeeping; registered with the task platform when the
 * module starts. Housekeeping is a job scheduler declared by every instance (an upsert): BullMQ
 * runs each occurrence once.
 */
@Injectable()
export class ImportProcessor implements OnModuleInit, OnApplicationBootstrap {
  readonly queue = 'imports' as const;

  constructor(
    private readonly runner: ImportRunner,
    private readonly housekeeping: ImportHousekeeping,
    private readonly processors: TaskProcessors,
    private readonly producer: TasksProducer,
    @Inject(importsConfig.KEY) private readonly config: ImportsConfig,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  onApplicationBootstrap(): void {
    this.producer.schedule(
      'imports',
      { id: IMPORT_HOUSEKEEPING_SCHEDULE_ID, pattern: this.config.housekeepingCron, tz: 'UTC' },
      'housekeeping',
      { job: 'housekeeping' },
    );
  }

  process(job: Job<TaskData<'imports'>>, context: TaskContext) {
    const data = job.data;
    if ('importId' in data) return this.runner.run(data.importId, context, data.meta.correlationId);
    return this.housekeeping.run();
  }

  async failed(job: Job<TaskData<'imports'>>, error: Error): Promise<void> {
    if ('importId' in job.data) await this.runner.failed(job.data.importId, error);
  }
}
