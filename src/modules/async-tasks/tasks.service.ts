import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { RedisService } from '../../infrastructure/redis.service';
import type { Principal } from '../auth/principal';
import type { CancelView, DeadLetterView, DiagnosticTaskDto, TaskView } from './dto/task.view';
import { QueueRegistry } from './queue-registry.service';
import type { QueueName } from './queues';
import { cancelKey } from './task-context';
import { parseTaskId, taskId } from './task-id';
import { taskFinished, taskNotFound, wasCancelled } from './tasks.errors';
import { TasksProducer } from './tasks.producer';

const CANCEL_FLAG_TTL_SECONDS = 24 * 3600;
const DEAD_LETTERS_PER_QUEUE = 500;

/** Reading, cancelling and retrying tasks; the dead-letter list is every queue's failed jobs. */
@Injectable()
export class TasksService {
  constructor(
    private readonly registry: QueueRegistry,
    private readonly producer: TasksProducer,
    private readonly redis: RedisService,
  ) {}

  submitDiagnostic(dto: DiagnosticTaskDto) {
    return this.producer.add(
      'diagnostics',
      dto.mode,
      { mode: dto.mode, durationMs: dto.durationMs },
      { priority: dto.priority, delayMs: dto.delayMs },
    );
  }

  async get(principal: Principal, id: string): Promise<TaskView> {
    const { queue, job } = await this.visibleJob(principal, id);
    const state = await job.getState();
    // Read the job again after its state: one that finished in between shows its final values.
    const current = (await this.registry.get(queue).getJob(job.id!)) ?? job;
    return toTaskView(queue, current, state);
  }

  /** Removes a task that has not started; asks a running one to stop at its next checkpoint. */
  async cancel(principal: Principal, id: string): Promise<CancelView> {
    const { queue, job } = await this.visibleJob(principal, id);
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') throw taskFinished(id, state);
    if (state === 'active') {
      await this.redis.client.set(cancelKey(queue, job.id!), '1', 'EX', CANCEL_FLAG_TTL_SECONDS);
      return { id, state: 'cancelling' };
    }
    await job.remove();
    return { id, state: 'cancelled' };
  }

  async deadLetters(): Promise<DeadLetterView[]> {
    const lists = await Promise.all(
      this.registry.all().map(async ({ name, queue }) =>
        (await queue.getFailed(0, DEAD_LETTERS_PER_QUEUE - 1))
          // A task stopped on request failed on purpose: it is not a dead letter.
          .filter((job) => !wasCancelled(job.failedReason))
          .map((job) => toDeadLetterView(name, job)),
      ),
    );
    return lists.flat().sort((a, b) => (b.finishedAt ?? '').localeCompare(a.finishedAt ?? ''));
  }

  /** Whether a job is in its queue, in any state. */
  async exists(queue: QueueName, jobId: string): Promise<boolean> {
    return (await this.registry.get(queue).getJob(jobId)) !== undefined;
  }

  async retryDeadLetter(id: string): Promise<TaskView> {
    const { queue, job } = await this.failedJob(id);
    await job.retry('failed');
    return toTaskView(queue, job, await job.getState());
  }

  async deleteDeadLetter(id: string): Promise<void> {
    const { job } = await this.failedJob(id);
    await job.remove();
  }

  private async job(id: string): Promise<{ queue: QueueName; job: Job }> {
    const { queue, jobId } = parseTaskId(id);
    const job = await this.registry.get(queue).getJob(jobId);
    if (!job) throw taskNotFound(id);
    return { queue, job };
  }

  /** A task is visible to admins and to whoever asked for it; to anyone else it does not exist. */
  private async visibleJob(principal: Principal, id: string) {
    const found = await this.job(id);
    const ownerId = (found.job.data as { meta?: { ownerId?: string } }).meta?.ownerId;
    if (principal.role !== 'admin' && ownerId !== principal.userId) throw taskNotFound(id);
    return found;
  }

  private async failedJob(id: string) {
    const found = await this.job(id);
    if ((await found.job.getState()) !== 'failed') throw taskNotFound(id);
    return found;
  }
}

function iso(ms: number | undefined): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function toTaskView(queue: QueueName, job: Job, state: string): TaskView {
  return {
    id: taskId(queue, job.id!),
    queue,
    name: job.name,
    state,
    progress: typeof job.progress === 'number' ? job.progress : 0,
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    result: job.returnvalue ?? null,
    error: job.failedReason || null,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
  };
}

function toDeadLetterView(queue: QueueName, job: Job): DeadLetterView {
  const { meta: _meta, ...payload } = job.data as Record<string, unknown>;
  return {
    ...toTaskView(queue, job, 'failed'),
    payload,
    attemptErrors: (job.stacktrace ?? []).map((s) => s.split('\n')[0]),
  };
}
