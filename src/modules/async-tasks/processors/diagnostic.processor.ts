import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import type { TaskData } from '../queues';
import type { TaskContext } from '../task-context';

const STEP_MS = 25;

/** Synthetic tasks: `noop` measures the platform's own overhead; `wait` is a cancellable drill. */
@Injectable()
export class DiagnosticProcessor {
  readonly queue = 'diagnostics' as const;

  async process(job: Job<TaskData<'diagnostics'>>, context: TaskContext) {
    if (job.data.mode === 'noop') return { ok: true };
    const duration = job.data.durationMs ?? 1_000;
    const started = Date.now();
    while (Date.now() - started < duration) {
      await context.checkpoint();
      await context.progress(((Date.now() - started) / duration) * 100);
      await new Promise((resolve) => setTimeout(resolve, Math.min(STEP_MS, duration)));
    }
    await context.progress(100);
    return { ok: true, waitedMs: Date.now() - started };
  }
}
