import { AppError } from '@app/errors';

export const projectionInvalid = (field: string, message: string) =>
  new AppError('validation', 'VALIDATION_FAILED', `${field} ${message}`, { errors: [{ field, message }] });

export const projectionFailed = (id: string, reason: string) =>
  new AppError('unprocessable', 'PROJECTION_FAILED', `projection task ${id} failed: ${reason}`);
