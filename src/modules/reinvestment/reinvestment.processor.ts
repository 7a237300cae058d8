import { Inject, Injectable, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import type { Job } from 'bullmq';
import { growthConfig, type GrowthConfig } from '../../config/configuration';
import type { TaskData } from '../async-tasks/queues';
import type { TaskContext } from '../async-tasks/task-context';
import { TaskProcessors } from '../async-tasks/task-processors';
import { TasksProducer } from '../async-tasks/tasks.producer';
import { ReinvestmentService } from './reinvestment.service';

export const REINVEST_SCHEDULE_ID = 'reinvest-quarterly';

/**
 * Runs the quarterly reinvestment tasks, and declares their schedule at start when schedules are
 * enabled: an upsert, so every instance may declare it; BullMQ runs each occurrence once.
 */
@Injectable()
export class ReinvestmentProcessor implements OnModuleInit, OnApplicationBootstrap {
  readonly queue = 'reinvestments' as const;

  constructor(
    @Inject(growthConfig.KEY) private readonly growth: GrowthConfig,
    private readonly reinvestments: ReinvestmentService,
    private readonly processors: TaskProcessors,
    private readonly producer: TasksProducer,
  ) {}

  onModuleInit(): void {
    this.processors.register(this);
  }

  onApplicationBootstrap(): void {
    if (!this.growth.schedulesEnabled) return;
    this.producer.schedule(
      'reinvestments',
      { id: REINVEST_SCHEDULE_ID, pattern: this.growth.reinvestCron, tz: this.growth.tz },
      'reinvest-quarter',
      {},
    );
  }

  process(job: Job<TaskData<'reinvestments'>>, context: TaskContext) {
    return this.reinvestments.runQuarter(job.data.quarter, context, {
      actorId: job.data.meta.ownerId,
      correlationId: job.data.meta.correlationId,
    });
  }
}
