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
