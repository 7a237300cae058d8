/**
 * What kind of failure an error is. The HTTP layer maps kinds to statuses; services and domain
 * code only say what went wrong, never which status it becomes.
 */
export type ErrorKind =
  | 'validation' // the request is malformed or a field is out of range
  | 'unauthenticated' // no or an unknown credential
  | 'forbidden' // the caller's role may not do this
  | 'not_found' // the resource does not exist or is not visible to the caller
  | 'conflict' // the request collides with the current state (key reuse, already reversed)
  | 'unprocessable' // well-formed, but a business rule refuses it (insufficient funds)
  | 'too_large' // the request body is larger than this operation accepts
  | 'rate_limited'
  | 'unavailable';

export interface FieldError {
  field: string;
  message: string;
}

/** An expected failure with a stable, documented `code` that clients may depend on. */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    readonly extra: { errors?: FieldError[]; [key: string]: unknown } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const validationError = (message: string, errors: FieldError[] = []) =>
  new AppError('validation', 'VALIDATION_FAILED', message, { errors });

/** One field is wrong: "`field` `message`", with the field named in `errors`. */
export const invalidField = (field: string, message: string) =>
  validationError(`${field} ${message}`, [{ field, message }]);

/** An id in the path that cannot name anything, refused before any lookup. */
export const invalidId = (detail: string, message: string) =>
  new AppError('validation', 'INVALID_ID', detail, { errors: [{ field: 'id', message }] });

export const invalidIdempotencyKey = () =>
  new AppError('validation', 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1–255 visible ASCII characters', {
    errors: [{ field: 'Idempotency-Key', message: 'must be 1–255 visible ASCII characters' }],
  });

export const forbidden = (message = 'your role does not allow this operation') =>
  new AppError('forbidden', 'FORBIDDEN', message);
