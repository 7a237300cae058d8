import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FlowProducer } from 'bullmq';
import { AppError } from '@app/errors';
import { currentContext } from '../../common/request-context';
import { RedisService } from '../../infrastructure/redis.service';
import { uuid7 } from '../../common/uuid7';
import { within } from '../../common/with-timeout';
import { tasksConfig, type TasksConfig } from '../../config/configuration';
import { QueueRegistry } from './queue-registry.service';
import type { QueueName, QueuePayloads, TaskData } from './queues';
import { taskId } from './task-id';
import { queueFull, queueUnavailable } from './tasks.errors';

export const PRIORITIES = ['critical', 'high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** How soon a caller refused because the queue did not answer may try again. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/** BullMQ runs lower numbers first. */
const BULLMQ_PRIORITY: Record<Priority, number> = { critical: 1, high: 2, normal: 3, low: 4 };

export interface AddOptions {
  priority?: Priority;
  delayMs?: number;
  /** A job id that de-duplicates: while a job with this id exists, adding it again adds nothing. */
  jobId?: string;
  /** Who the task belongs to (defaults to the caller of the current request). */
  ownerId?: string;
  /**
   * Collapses tasks with this key: while one waits, adding another adds nothing; while one runs,
   * one more is kept to run after it (so a change during the run is never missed).
   */
  deduplicate?: string;
  /**
   * With `jobId`: a job of that id that has already finished (completed or failed) is removed
   * first, so that adding it runs the work again. For resubmitting work whose first submission was
   * refused but whose job reached the queue late and failed.
   */
  rerun?: boolean;
}

/** A recurring task: BullMQ keeps one scheduler per id in Redis, so every instance may declare it. */
export interface Schedule {
  id: string;
  /** Cron pattern (minute hour day-of-month month day-of-week), evaluated in `tz`. */
  pattern: string;
  tz: string;
}

/** The only caller of `queue.add` (and of flows): ids, attempts, backoff with jitter, priority and backpressure. */
@Injectable()
export class TasksProducer {
  private readonly logger = new Logger(TasksProducer.name);
  private readonly flows: FlowProducer;
  /** The recurring tasks this instance declared, by id: each declares itself again. */
  private readonly schedules = new Map<string, () => Promise<void>>();

  constructor(
    private readonly registry: QueueRegistry,
    @Inject(tasksConfig.KEY) private readonly config: TasksConfig,
    redis: RedisService,
  ) {
    this.flows = registry.flowProducer();
    // A Redis that restarts without its data has lost every job scheduler: declare them again
    // on each reconnection (an upsert: declaring one that exists changes nothing).
    redis.client.on('ready', () => {
      for (const declare of this.schedules.values()) void declare();
    });
  }

  async add<Q extends QueueName>(queue: Q, name: string, payload: QueuePayloads[Q], options: AddOptions = {}) {
    return this.withinTimeout(async () => {
      await this.admit(queue);
      await this.clearFinished(queue, options);
      const job = await this.registry
        .get(queue)
        .add(name, this.data(payload, options), this.jobOptions(queue, options));
      return { id: taskId(queue, job.id!) };
    });
  }

  /**
   * Adds many tasks in one round trip. For the service's own follow-up work (checks it owes
   * after a write): it is not refused by backpressure, which is for callers that can retry.
   */
  async addBulk<Q extends QueueName>(
    queue: Q,
    tasks: { name: string; payload: QueuePayloads[Q]; options?: AddOptions }[],
  ) {
    if (tasks.length === 0) return;
    await this.registry.get(queue).addBulk(
      tasks.map((t) => ({
        name: t.name,
        data: this.data(t.payload, t.options ?? {}),
        opts: this.jobOptions(queue, t.options ?? {}),
      })),
    );
  }

  /**
   * Declares (or updates) a recurring task, again after each Redis reconnection; it runs once per
   * occurrence however many instances declare it. Start-up does not wait for it: with Redis unreachable BullMQ waits for a
   * connection, and readiness (not start-up) is where that shows.
   */
  schedule<Q extends QueueName>(queue: Q, schedule: Schedule, name: string, payload: QueuePayloads[Q]): void {
    const { jobId: _ignored, ...opts } = this.jobOptions(queue, {});
    const template = { name, data: this.data(payload, {}), opts };
    const declare = () =>
      this.registry
        .get(queue)
        .upsertJobScheduler(schedule.id, { pattern: schedule.pattern, tz: schedule.tz }, template)
        .then(
          () => undefined,
          (error: Error) => this.logger.warn(`schedule ${schedule.id} not declared: ${error.message}`),
        );
    this.schedules.set(schedule.id, declare);
    void declare();
  }

  /**
   * A task that runs after another (BullMQ flow): `after` runs first; if it fails for good, the
   * follow-up fails too and never runs. The follow-up receives the first task's result.
   */
  async addAfter<F extends QueueName, A extends QueueName>(
    followUp: { queue: F; name: string; payload: QueuePayloads[F]; options?: AddOptions },
    after: { queue: A; name: string; payload: QueuePayloads[A]; options?: AddOptions },
  ) {
    return this.withinTimeout(async () => {
      await this.admit(after.queue);
      await this.admit(followUp.queue);
      // The follow-up first: removing a parent removes its children with it.
      await this.clearFinished(followUp.queue, followUp.options ?? {});
      await this.clearFinished(after.queue, after.options ?? {});
      const node = await this.flows.add({
        queueName: followUp.queue,
        name: followUp.name,
        data: this.data(followUp.payload, followUp.options ?? {}),
        opts: this.jobOptions(followUp.queue, followUp.options ?? {}),
        prefix: this.registry.prefix,
        children: [
          {
            queueName: after.queue,
            name: after.name,
            data: this.data(after.payload, after.options ?? {}),
            opts: { ...this.jobOptions(after.queue, after.options ?? {}), failParentOnFailure: true },
            prefix: this.registry.prefix,
          },
        ],
      });
      return {
        id: taskId(after.queue, node.children![0].job.id!),
        followUpId: taskId(followUp.queue, node.job.id!),
      };
    });
  }

  /**
   * Runs a caller's enqueueing within TASKS_ENQUEUE_TIMEOUT_MS: with Redis unreachable or stalled,
   * the caller gets 503 QUEUE_UNAVAILABLE at once instead of a request that never answers. The
   * command may still reach Redis later (ioredis queues it while reconnecting): a feature whose
   * task must not run once refused checks that when it runs (imports do).
   */
  private async withinTimeout<T>(enqueue: () => Promise<T>): Promise<T> {
    try {
      return await within(enqueue(), this.config.enqueueTimeoutMs);
    } catch (error) {
      if (error instanceof AppError) throw error; // backpressure
      this.logger.warn(`task not queued: ${(error as Error).message}`);
      throw queueUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
  }

  private async clearFinished(queue: QueueName, options: AddOptions): Promise<void> {
    if (!options.rerun || !options.jobId) return;
    const q = this.registry.get(queue);
    const state = await q.getJobState(options.jobId);
    if (state === 'completed' || state === 'failed') await q.remove(options.jobId);
  }

  /** Backpressure: past its waiting limit, a queue takes no more tasks for a while. */
  private async admit(queue: QueueName): Promise<void> {
    const settings = this.registry.settings(queue);
    const waiting = await this.registry.get(queue).getJobCountByTypes('wait', 'prioritized');
    if (waiting >= settings.maxWaiting) {
      // Roughly how long the backlog takes to shrink, assuming a job takes about a second.
      throw queueFull(queue, Math.min(60, Math.max(1, Math.ceil(waiting / settings.concurrency / 100))));
    }
  }

  private data<Q extends QueueName>(payload: QueuePayloads[Q], options: AddOptions): TaskData<Q> {
    const context = currentContext();
    return {
      ...payload,
      meta: { ownerId: options.ownerId ?? context?.principal?.userId, correlationId: context?.correlationId },
    };
  }

  private jobOptions(queue: QueueName, options: AddOptions) {
    const settings = this.registry.settings(queue);
    return {
      jobId: options.jobId ?? uuid7(),
      priority: BULLMQ_PRIORITY[options.priority ?? 'normal'],
      delay: options.delayMs,
      deduplication: options.deduplicate ? { id: options.deduplicate, keepLastIfActive: true } : undefined,
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs, jitter: 0.5 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
      removeOnFail: false, // failed jobs are the dead-letter list
    };
  }
}
