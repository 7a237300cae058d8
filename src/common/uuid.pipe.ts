import { ParseUUIDPipe } from '@nestjs/common';
import { invalidId } from '@app/errors';

/** Path ids must be UUIDs; anything else is a 400 naming the problem, before any lookup. */
export const uuidPipe = new ParseUUIDPipe({
  exceptionFactory: () => invalidId('the id in the path must be a UUID', 'must be a UUID'),
});
