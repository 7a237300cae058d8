import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, validationError } from '@app/errors';

/**
 * Deeper than anything the API takes (a batch item, an alert's labels: three levels). The pipe and
 * class-transformer walk a value recursively, and a body of a few thousand nested arrays, well
 * within the size limit, overflowed the stack into a 500.
 */
export const MAX_NESTING = 32;

/**
 * Whether parsed JSON (plain objects and arrays) sits more than `limit` deep in the value, walked
 * without recursion. Anything else (the import route's unread body stream) is not parsed input.
 */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (!isParsedJson(current)) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return false;
}

function isParsedJson(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Refuses a value nested too deep before the validation pipe walks it. */
class BoundedValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (nestedDeeperThan(value, MAX_NESTING)) {
      const message = `must not nest objects or arrays more than ${MAX_NESTING} levels deep`;
      return Promise.reject(
        validationError(`invalid request: ${metadata.type} ${message}`, [{ field: metadata.type, message }]),
      );
    }
    return super.transform(value, metadata);
  }
}

/** Whitelisting validation: unknown fields are refused, and every failure names its field. */
export function createValidationPipe(): ValidationPipe {
  return new BoundedValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return validationError(`invalid request: ${fieldErrors.map((e) => e.message).join('; ')}`, fieldErrors);
    },
  });
}
