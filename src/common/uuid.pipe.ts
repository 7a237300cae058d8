import { ParseUUIDPipe } from '@nestjs/common';
import { AppError } from '@app/errors';

/** Path ids must be UUIDs; anything else is a 400 naming the problem, before any lookup. */
export const uuidPipe = new ParseUUIDPipe({
  exceptionFactory: () =>
    new AppError('validation', 'INVALID_ID', 'the id in the path must be a UUID', {
      errors: [{ field: 'id', message: 'must be a UUID' }],
    }),
});
