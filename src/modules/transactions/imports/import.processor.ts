import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TaskData } from '../../async-tasks/queues';
import type { TaskContext } from '../../async-tasks/task-context';
import { TaskProcessors } from '../../async-tasks/task-processors';
import { ImportsService } from './imports.service';

/** Runs import tasks; registered with the task platform when the module starts. */
@Injectable()
export class ImportProcessor implements OnModuleInit {
  readonly queue = 'imports' as const;

  constructor(
    private readonly imports: ImportsService,
    private readonly processors: TaskProcessors,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  process(job: Job<TaskData<'imports'>>, context: TaskContext) {
    return this.imports.run(job.data.importId, context, job.data.meta.correlationId);
  }
}
