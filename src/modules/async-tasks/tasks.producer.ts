import { Injectable } from '@nestjs/common';
import { currentContext } from '../../common/request-context';
import { uuid7 } from '../../common/uuid7';
import { QueueRegistry } from './queue-registry.service';
import type { QueueName, QueuePayloads, TaskData } from './queues';
import { taskId } from './task-id';
import { queueFull } from './tasks.errors';

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** BullMQ runs lower numbers first. */
const BULLMQ_PRIORITY: Record<Priority, number> = { critical: 1, high: 2, normal: 3, low: 4 };

export interface AddOptions {
  priority?: Priority;
  delayMs?: number;
  /** A job id that de-duplicates: while a job with this id exists, adding it again adds nothing. */
  jobId?: string;
  /** Who the task belongs to (defaults to the caller of the current request). */
  ownerId?: string;
}

/** The only caller of `queue.add`: ids, attempts, backoff with jitter, priority and backpressure. */
@Injectable()
export class TasksProducer {
  constructor(private readonly registry: QueueRegistry) {}

  async add<Q extends QueueName>(queue: Q, name: string, payload: QueuePayloads[Q], options: AddOptions = {}) {
    const settings = this.registry.settings(queue);
    const q = this.registry.get(queue);
    const waiting = await q.getJobCountByTypes('wait', 'prioritized');
    if (waiting >= settings.maxWaiting) {
      // Roughly how long the backlog takes to shrink, assuming a job takes about a second.
      throw queueFull(queue, Math.min(60, Math.max(1, Math.ceil(waiting / settings.concurrency / 100))));
    }
    const context = currentContext();
    const data: TaskData<Q> = {
      ...payload,
      meta: { ownerId: options.ownerId ?? context?.principal?.userId, correlationId: context?.correlationId },
    };
    const job = await q.add(name, data, {
      jobId: options.jobId ?? uuid7(),
      priority: BULLMQ_PRIORITY[options.priority ?? 'normal'],
      delay: options.delayMs,
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs, jitter: 0.5 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
      removeOnFail: false, // failed jobs are the dead-letter list
    });
    return { id: taskId(queue, job.id!) };
  }
}
