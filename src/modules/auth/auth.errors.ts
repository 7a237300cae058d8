import { AppError } from '@app/errors';

export const unauthenticated = () =>
  new AppError('unauthenticated', 'UNAUTHENTICATED', 'a valid API key is required: Authorization: Bearer <key>');

export const userNotFound = (id: string) => new AppError('not_found', 'USER_NOT_FOUND', `user ${id} was not found`);

export const apiKeyNotFound = (id: string) =>
  new AppError('not_found', 'API_KEY_NOT_FOUND', `API key ${id} was not found`);

/** Too many failed authentications from one client address: refused, whatever key it sends, until the window ends. */
export const tooManyAuthFailures = (retryAfterSeconds: number) =>
  new AppError(
    'rate_limited',
    'RATE_LIMITED',
    'too many failed authentications from this address; retry after the delay in Retry-After',
    { retryAfterSeconds },
  );
