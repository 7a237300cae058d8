import { AppError } from '@app/errors';
import { conflictReason, retryOnConflict, type RetryPolicy } from './conflict-retry';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const NO_WAIT: RetryPolicy = { attempts: 4, baseDelayMs: 0, maxDelayMs: 0 };

/** Work that fails with each of `errors` in turn, then answers 'done' (a jest.fn: it counts its tries). */
function failing(errors: Error[]) {
  let tries = 0;
  return jest.fn((): Promise<string> => {
    const next = errors[tries++];
    return next ? Promise.reject(next) : Promise.resolve('done');
  });
}

describe(conflictReason.name, () => {
  it.each([
    ['a deadlock', 'deadlock', pgError('40P01')],
    ['a serialization failure', 'serialization_failure', pgError('40001')],
    ['a unique violation', undefined, pgError('23505')],
    ['a statement timeout', undefined, pgError('57014')],
    ['a plain error', undefined, new Error('boom')],
    ['a refusal', undefined, new AppError('unprocessable', 'INSUFFICIENT_FUNDS', 'no')],
    ['nothing', undefined, undefined],
  ])('%s is retried for the reason %p', (_, reason, error) => {
    expect(conflictReason(error)).toBe(reason);
  });
});

describe(retryOnConflict.name, () => {
  it.each([
    ['succeeds at once', [], 1],
    ['runs again after a deadlock', [pgError('40P01')], 2],
    ['runs again after serialization failures', [pgError('40001'), pgError('40001')], 3],
    ['uses every try', [pgError('40P01'), pgError('40001'), pgError('40P01')], 4],
  ])('%s', async (_, errors, tries) => {
    const work = failing(errors);
    await expect(retryOnConflict(work, NO_WAIT)).resolves.toBe('done');
    expect(work).toHaveBeenCalledTimes(tries);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a refusal', new AppError('unprocessable', 'INSUFFICIENT_FUNDS', 'no')],
  ])('passes %s through untouched, without trying again', async (_, error) => {
    const work = failing([error]);
    await expect(retryOnConflict(work, NO_WAIT)).rejects.toBe(error);
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('refuses with 503 WRITE_CONFLICT and Retry-After once every try collided', async () => {
    const work = failing(Array.from({ length: 4 }, () => pgError('40P01')));
    const error = await retryOnConflict(work, NO_WAIT).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unavailable', code: 'WRITE_CONFLICT', extra: { retryAfterSeconds: 1 } });
    expect(work).toHaveBeenCalledTimes(4);
  });

  it('waits a random time within the growing ceiling between tries', async () => {
    const waits: number[] = [];
    const realSetTimeout = global.setTimeout;
    jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => {
      waits.push(ms);
      return realSetTimeout(fn, 0);
    }) as typeof setTimeout);
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
    try {
      const work = failing(Array.from({ length: 3 }, () => pgError('40P01')));
      await retryOnConflict(work, { attempts: 4, baseDelayMs: 20, maxDelayMs: 50 });
    } finally {
      jest.restoreAllMocks();
    }
    expect(waits.map(Math.round)).toEqual([20, 40, 50]);
  });
});
