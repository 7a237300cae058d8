import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TaskData } from '../../async-tasks/queues';
import type { TaskContext } from '../../async-tasks/task-context';
import { TaskProcessors } from '../../async-tasks/task-processors';
import { ImportRunner } from './import-runner.service';

/** Runs import tasks; registered with the task platform when the module starts. */
@Injectable()
export class ImportProcessor implements OnModuleInit {
  readonly queue = 'imports' as const;

  constructor(
    private readonly runner: ImportRunner,
    private readonly processors: TaskProcessors,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  process(job: Job<TaskData<'imports'>>, context: TaskContext) {
    return this.runner.run(job.data.importId, context, job.data.meta.correlationId);
  }

  async failed(job: Job<TaskData<'imports'>>, error: Error): Promise<void> {
    await this.runner.failed(job.data.importId, error);
  }
}
