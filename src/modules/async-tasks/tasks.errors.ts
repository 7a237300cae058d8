import { AppError, invalidId } from '@app/errors';

export const invalidTaskId = () =>
  invalidId('a task id looks like "<queue>:<job id>"', 'must look like "<queue>:<job id>"');

export const taskNotFound = (id: string) => new AppError('not_found', 'TASK_NOT_FOUND', `task ${id} was not found`);

export const taskFinished = (id: string, state: string) =>
  new AppError('conflict', 'TASK_FINISHED', `task ${id} is already ${state}`);

export const queueFull = (queue: string, retryAfterSeconds: number) =>
  new AppError('unavailable', 'QUEUE_BACKPRESSURE', `the ${queue} queue is full; retry later`, { retryAfterSeconds });

/** A failure that retrying cannot fix: the job fails at once, without using its other attempts. */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
}

const CANCELLED = 'cancelled on request';

/** Thrown at a checkpoint of a running task that was asked to stop. */
export class TaskCancelledError extends NonRetryableError {
  override name = 'TaskCancelledError';
  constructor() {
    super(CANCELLED);
  }
}

/**
 * An outbound URL whose host is, or resolves only to, an address calls may not reach (loopback,
 * private, link-local, …) and that OUTBOUND_ALLOW does not list. The message never says what a
 * name resolved to: that would map the service's own network for the caller.
 */
export const outboundUrlForbidden = (host: string, literal: boolean, field?: string) => {
  const message = literal ? `${host} is not a public address` : `${host} does not resolve to a public address`;
  return new AppError(
    'validation',
    'OUTBOUND_URL_FORBIDDEN',
    `outbound calls go to public addresses only: ${message}`,
    {
      ...(field ? { errors: [{ field, message }] } : {}),
    },
  );
};

/** Whether a task failed because it was cancelled, from its error's message (all BullMQ keeps of it). */
export const wasCancelled = (message: string | undefined) => message === CANCELLED;

export const queueUnavailable = (retryAfterSeconds: number) =>
  new AppError('unavailable', 'QUEUE_UNAVAILABLE', 'the task queue does not answer; retry later', {
    retryAfterSeconds,
  });
