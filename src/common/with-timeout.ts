/** `work` did not settle in time (the work itself goes on; nothing waits for it). */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** The result of `work`, or a TimeoutError once `ms` have passed (the work itself is not waited for). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The result of `work`, or undefined when it fails or takes longer than `ms` (it is not waited for). */
export function valueWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return within(work, ms).catch(() => undefined);
}

/** Waits for `work` at most `ms`; past that, runs `onTimeout` and resolves without waiting further. */
export async function settleWithin(work: Promise<unknown>, ms: number, onTimeout: () => unknown): Promise<void> {
  try {
    await within(work, ms);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    await onTimeout();
  }
}
