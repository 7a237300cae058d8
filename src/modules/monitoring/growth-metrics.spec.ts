import { AppError, type ErrorKind } from '@app/errors';
import { isGrowthFailure } from './growth-metrics';

describe(isGrowthFailure.name, () => {
  it.each<ErrorKind>(['unprocessable', 'conflict', 'validation', 'not_found', 'forbidden', 'unauthenticated'])(
    'does not count a refusal of kind %s',
    (kind) => {
      expect(isGrowthFailure(new AppError(kind, 'SOME_CODE', 'refused'))).toBe(false);
    },
  );

  it.each([
    ['an unexpected error', new Error('the account vanished')],
    ['a database error', Object.assign(new Error('deadlock detected'), { code: '40P01' })],
    ['an unavailable dependency', new AppError('unavailable', 'QUEUE_BACKPRESSURE', 'full')],
    ['a thrown string', 'boom'],
  ])('counts %s', (_name, error) => {
    expect(isGrowthFailure(error)).toBe(true);
  });
});
