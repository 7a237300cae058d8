import { Injectable, OnModuleInit } from '@nestjs/common';
import { queueDeadLetters, queueJobs, queueWaitingLimit, taskDeadLetters, taskFailures } from '../monitoring/metrics';
import { ScrapeCollectors } from '../monitoring/scrape-collectors';
import { QueueRegistry } from './queue-registry.service';
import { QUEUE_NAMES } from './queues';

/**
 * The job states exported for every queue (the catalog's `state` label). BullMQ 6 keeps no
 * separate paused list: the jobs of a paused queue are counted as waiting.
 */
export const JOB_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'waiting-children',
  'completed',
  'failed',
] as const;

/**
 * The queues' gauges, read at each scrape: one `getJobCounts` round trip to Redis per queue, all
 * at once. The failed set is the dead-letter list (docs/tasks.md). With Redis unreachable the
 * collector's timeout lets the scrape answer with the last values.
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private inFlight?: Promise<void>;

  constructor(
    private readonly registry: QueueRegistry,
    private readonly collectors: ScrapeCollectors,
  ) {}

  onModuleInit(): void {
    for (const queue of QUEUE_NAMES) {
      queueWaitingLimit.set({ queue }, this.registry.settings(queue).maxWaiting);
      // Every queue's counters exist from the start, so the first failure shows as an increase.
      taskFailures.inc({ queue }, 0);
      taskDeadLetters.inc({ queue }, 0);
    }
    this.collectors.register(() => this.collect());
  }

  /**
   * While Redis is unreachable the counts wait for it (the queues' connections retry forever):
   * a scrape then reuses the collection still waiting instead of queueing another behind it.
   */
  private collect(): Promise<void> {
    this.inFlight ??= this.countJobs().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async countJobs(): Promise<void> {
    await Promise.all(
      this.registry.all().map(async ({ name, queue }) => {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) queueJobs.set({ queue: name, state }, counts[state] ?? 0);
        queueDeadLetters.set({ queue: name }, counts.failed ?? 0);
      }),
    );
  }
}
