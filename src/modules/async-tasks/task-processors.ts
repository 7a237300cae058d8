import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { QueueName } from './queues';
import type { TaskContext } from './task-context';

/** Runs the jobs of one queue. Thin: it calls a service, and running a job twice changes nothing. */
export interface TaskProcessor {
  readonly queue: QueueName;
  process(job: Job, context: TaskContext, token?: string): Promise<unknown>;
  /** Called once a task has failed for good (its attempts used up, not retryable, or cancelled). */
  failed?(job: Job, error: Error): Promise<void>;
}

/**
 * Processors by queue. Feature modules register theirs when they start, so that the task
 * platform runs their jobs without depending on them.
 */
@Injectable()
export class TaskProcessors {
  private readonly byQueue = new Map<QueueName, TaskProcessor>();

  register(processor: TaskProcessor): void {
    if (this.byQueue.has(processor.queue)) throw new Error(`a processor for ${processor.queue} is already registered`);
    this.byQueue.set(processor.queue, processor);
  }

  all(): TaskProcessor[] {
    return [...this.byQueue.values()];
  }
}
