import { Injectable } from '@nestjs/common';
import { DelayedError, Job } from 'bullmq';
import { CircuitOpenError, OutboundHttp } from '../outbound-http.service';
import type { TaskData } from '../queues';
import type { TaskContext } from '../task-context';

/** Delivers a notification to a generic JSON webhook or a Slack-compatible incoming webhook. */
@Injectable()
export class NotificationProcessor {
  readonly queue = 'notifications' as const;

  constructor(private readonly http: OutboundHttp) {}

  async process(job: Job<TaskData<'notifications'>>, context: TaskContext, token?: string) {
    const { channel, url, event } = job.data;
    // In a flow, the tasks this one waited for hand it their results (an import's report).
    const results = Object.values(await job.getChildrenValues());
    const data = results.length ? { ...job.data.data, results } : job.data.data;
    const body =
      channel === 'slack'
        ? { text: job.data.text ?? `*${event}*\n${'```'}${JSON.stringify(data, null, 2)}${'```'}` }
        : { event, data, correlationId: job.data.meta.correlationId, sentAt: new Date().toISOString() };
    try {
      const status = await this.http.postJson(url, body);
      await context.progress(100);
      return { status };
    } catch (error) {
      if (!(error instanceof CircuitOpenError)) throw error;
      // The destination is down: wait for it instead of using up attempts against it.
      await job.moveToDelayed(Date.now() + error.retryAfterMs, token);
      throw new DelayedError();
    }
  }
}
