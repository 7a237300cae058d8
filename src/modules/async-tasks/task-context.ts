import type { Job } from 'bullmq';
import type Redis from 'ioredis';
import { TaskCancelledError } from './tasks.errors';

export const cancelKey = (queue: string, jobId: string) => `tasks:cancel:${queue}:${jobId}`;

/** What a processor may do besides its work: report progress, and stop when asked to. */
export class TaskContext {
  constructor(
    readonly job: Job,
    private readonly redis: Redis,
  ) {}

  progress(percent: number): Promise<void> {
    return this.job.updateProgress(Math.max(0, Math.min(100, Math.round(percent))));
  }

  /** Throws when the task was cancelled while running; call it between units of work. */
  async checkpoint(): Promise<void> {
    if (await this.redis.exists(cancelKey(this.job.queueName, this.job.id!))) throw new TaskCancelledError();
  }
}
