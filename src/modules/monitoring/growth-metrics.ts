import { AppError, type ErrorKind } from '@app/errors';
import { growthDuration, growthFailures, growthOperations } from './metrics';

export const GROWTH_OPERATIONS = ['fork', 'merge', 'reinvestment'] as const;
export type GrowthOperation = (typeof GROWTH_OPERATIONS)[number];
/** Who or what started it: the growth engine's triggers, and `schedule` for the quarterly reinvestment. */
export type GrowthMetricTrigger = 'automatic' | 'scan' | 'user' | 'schedule';

// Every operation's failure series exists from the start, so Prometheus sees the first failure as an increase.
for (const operation of GROWTH_OPERATIONS) growthFailures.inc({ operation }, 0);

/** A refusal of the request (a business rule, a conflict, bad input, no access) is an answer, not a failure. */
const REFUSALS = new Set<ErrorKind>([
  'validation',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'unprocessable',
]);

/** Whether an error thrown by a growth operation counts as a failure: anything but a refusal. */
export function isGrowthFailure(error: unknown): boolean {
  return !(error instanceof AppError && REFUSALS.has(error.kind));
}

/**
 * Runs a fork, merge or reinvestment and counts it: as done (with its duration) when `done` says
 * it changed something (not a refusal, not a replay), as a failure when it throws anything but a
 * refusal. The error is rethrown unchanged.
 */
export async function measureGrowth<T>(
  operation: GrowthOperation,
  trigger: GrowthMetricTrigger,
  work: () => Promise<T>,
  done: (result: T) => boolean,
): Promise<T> {
  const started = performance.now();
  let result: T;
  try {
    result = await work();
  } catch (error) {
    if (isGrowthFailure(error)) growthFailures.inc({ operation });
    throw error;
  }
  if (done(result)) {
    growthOperations.inc({ operation, trigger });
    growthDuration.observe({ operation }, (performance.now() - started) / 1000);
  }
  return result;
}
