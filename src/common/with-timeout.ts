/** Waits for `work` at most `ms`; past that, runs `onTimeout` and resolves without waiting further. */
export async function settleWithin(work: Promise<unknown>, ms: number, onTimeout: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms);
  });
  try {
    const outcome = await Promise.race([work.then(() => 'done' as const), expired]);
    if (outcome === 'expired') await onTimeout();
  } finally {
    clearTimeout(timer);
  }
}

/** The result of `work`, or undefined when it fails or takes longer than `ms` (it is not waited for). */
export async function valueWithin<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The result of `work`, or a rejection once `ms` have passed (the work itself is not waited for). */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
