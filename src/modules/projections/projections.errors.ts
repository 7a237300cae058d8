import { AppError } from '@app/errors';

export const projectionFailed = (id: string, reason: string) =>
  new AppError('unprocessable', 'PROJECTION_FAILED', `projection task ${id} failed: ${reason}`);
