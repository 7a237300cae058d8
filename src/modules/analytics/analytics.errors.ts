import { AppError } from '@app/errors';

export const invalidPeriod = () =>
  new AppError('validation', 'VALIDATION_FAILED', 'from must be before to', {
    errors: [{ field: 'from', message: 'must be before to' }],
  });
