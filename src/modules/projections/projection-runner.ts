import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ProjectionRun } from './domain/projection';

export interface SliceOptions {
  /** Run this long, then yield to the event loop. */
  sliceMs: number;
  /** Give up (return false) at a slice boundary after this instant (performance.now()); none: finish. */
  deadline?: number;
  /** Called between slices (progress, cancellation). */
  between?: (run: ProjectionRun) => Promise<void>;
}

/**
 * Runs a projection week by week in slices of about `sliceMs`, yielding to the event loop between
 * them so that a long projection never holds the process. Returns whether it finished.
 */
export async function runInSlices(run: ProjectionRun, options: SliceOptions): Promise<boolean> {
  let sliceStart = performance.now();
  while (!run.done) {
    run.advance(1);
    const now = performance.now();
    if (run.done || now - sliceStart < options.sliceMs) continue;
    if (options.deadline !== undefined && now >= options.deadline) return false;
    await options.between?.(run);
    await yieldToEventLoop();
    sliceStart = performance.now();
  }
  return true;
}
