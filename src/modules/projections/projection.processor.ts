import { Injectable, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TaskData } from '../async-tasks/queues';
import type { TaskContext } from '../async-tasks/task-context';
import { TaskProcessors } from '../async-tasks/task-processors';
import type { SerializedProjection } from './domain/projection-input';
import { ProjectionsService } from './projections.service';

/** Runs projections too long for a request; the task's result is the projection (JSON). */
@Injectable()
export class ProjectionProcessor implements OnModuleInit {
  readonly queue = 'projections' as const;

  constructor(
    private readonly projections: ProjectionsService,
    private readonly processors: TaskProcessors,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  process(job: Job<TaskData<'projections'>>, context: TaskContext) {
    return this.projections.runTask(job.data.input as unknown as SerializedProjection, {
      progress: (percent) => context.progress(percent),
      checkpoint: () => context.checkpoint(),
    });
  }
}
