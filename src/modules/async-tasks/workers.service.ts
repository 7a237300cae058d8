import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError, Worker } from 'bullmq';
import { AppError } from '@app/errors';
import { tasksConfig, type TasksConfig } from '../../config/configuration';
import { RedisService } from '../../infrastructure/redis.service';
import { DiagnosticProcessor } from './processors/diagnostic.processor';
import { NotificationProcessor } from './processors/notification.processor';
import { QueueRegistry } from './queue-registry.service';
import { TaskProcessor, TaskProcessors } from './task-processors';
import { settleWithin, valueWithin } from '../../common/with-timeout';
import { TaskContext } from './task-context';
import { NonRetryableError, wasCancelled } from './tasks.errors';
import { taskDeadLetters, taskDuration, taskFailures } from '../monitoring/metrics';

/** Errors that no retry can fix: the request itself is wrong, or what it names does not exist. */
const PERMANENT_KINDS = new Set(['validation', 'not_found', 'forbidden', 'unprocessable', 'conflict']);
/** Thrown to park a job (delayed, waiting for its children), not to fail it: the attempt does not count. */
const PARKING_ERRORS = new Set(['DelayedError', 'WaitingError', 'WaitingChildrenError']);
/** How long shutting down waits for a worker's connections to be up again (one reconnection delay). */
const RECONNECT_WAIT_MS = 2_500;

/**
 * Runs one BullMQ worker per queue in this process, with the queue's concurrency, when workers
 * are enabled here (TASKS_RUN_WORKERS; always in dist/src/worker.js). Closing waits for the jobs
 * that are running.
 */
@Injectable()
export class WorkersService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkersService.name);
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(tasksConfig.KEY) private readonly config: TasksConfig,
    private readonly registry: QueueRegistry,
    private readonly redis: RedisService,
    private readonly processors: TaskProcessors,
    notifications: NotificationProcessor,
    diagnostics: DiagnosticProcessor,
  ) {
    processors.register(notifications);
    processors.register(diagnostics);
  }

  /** After every module registered its processors. */
  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    for (const processor of this.processors.all()) {
      const settings = this.registry.settings(processor.queue);
      const worker = new Worker(processor.queue, (job, token) => this.run(processor, job, token), {
        connection: this.registry.connection,
        prefix: this.registry.prefix,
        concurrency: settings.concurrency,
        // A worker that dies (SIGKILL, lost host) stops renewing its job's lock: once the lock
        // expires the job is stalled and runs again on another worker.
        lockDuration: this.config.lockDurationMs,
        stalledInterval: this.config.lockDurationMs,
        // Processors are idempotent, so a job whose worker died runs again up to its attempts
        // (BullMQ's default fails it for good at its second stall: two crashes, one lost import).
        maxStalledCount: settings.attempts,
      });
      worker.on('error', (error) => this.logger.warn(`${processor.queue} worker: ${error.message}`));
      const labels = { queue: processor.queue };
      // Emitted once per failed attempt; the last one (attempts used up, or not retryable) makes a dead
      // letter. A task stopped on request failed on purpose: neither a failure nor a dead letter.
      worker.on('failed', (job, error) => {
        const cancelled = wasCancelled(error.message);
        const final = !!job && (job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError);
        if (job && (final || cancelled)) {
          processor
            .failed?.(job, error)
            .catch((e: Error) => this.logger.warn(`${processor.queue} task ${job.id}: ${e.message}`));
        }
        if (cancelled) return;
        taskFailures.inc(labels);
        if (final) {
          taskDeadLetters.inc(labels);
          this.logger.warn(`${processor.queue} task ${job?.id} is a dead letter: ${error.message}`);
        }
      });
      this.workers.push(worker);
    }
  }

  private async run(processor: TaskProcessor, job: Job, token?: string): Promise<unknown> {
    const started = performance.now();
    try {
      const result = await processor.process(job, new TaskContext(job, this.redis.client), token);
      taskDuration.observe({ queue: processor.queue, outcome: 'completed' }, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      if (!PARKING_ERRORS.has((error as Error)?.name)) {
        taskDuration.observe({ queue: processor.queue, outcome: 'failed' }, (performance.now() - started) / 1000);
      }
      if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
      if (error instanceof NonRetryableError) throw new UnrecoverableError(error.message);
      if (error instanceof AppError && PERMANENT_KINDS.has(error.kind)) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  }

  /**
   * Lets running jobs finish. A polite close first ends the worker's blocking connection and waits
   * for it to end, which never happens while that connection is waiting to reconnect (Redis down,
   * or just back): the close would hang, and its lock renewal and stall check timers would keep
   * the process alive for good. So a worker whose connections are not both up within a moment is
   * closed by force; the jobs it ran are taken over by another worker once their lock lapses. One
   * that still cannot close in time (Redis lost mid-way) is told to disconnect.
   */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        const polite = await this.connected(w);
        const disconnect = () => void w.disconnect().catch(() => undefined);
        await settleWithin(w.close(!polite), this.config.shutdownGraceMs, disconnect);
      }),
    );
  }

  /** Whether both of the worker's connections are up, waiting a moment for them (they retry every 2 s at most). */
  private async connected(w: Worker): Promise<boolean> {
    const backend = w.getBackend();
    const deadline = Date.now() + RECONNECT_WAIT_MS;
    for (;;) {
      const clients = await valueWithin(Promise.all([backend.client, backend.blockingClient]), 200);
      if (clients?.every((c) => !c || c.status === 'ready')) return true;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
