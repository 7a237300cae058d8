import { registerDecorator, ValidationOptions } from 'class-validator';
import { parseAmount } from '@app/money';

/** A money amount: positive decimal string, at most two decimals, at most 1,000,000,000,000.00. */
export function IsAmount(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isAmount',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => parseAmount(value).ok,
        defaultMessage: (args) => {
          const result = parseAmount(args?.value);
          return `${args?.property} ${result.ok ? 'is invalid' : result.reason}`;
        },
      },
    });
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 instant with an explicit offset ("2026-03-31T16:00:00Z"): never a local time. */
export function IsInstant(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isInstant',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && INSTANT.test(value) && !Number.isNaN(Date.parse(value)),
        defaultMessage: (args) =>
          `${args?.property} must be an ISO 8601 time with a time zone, such as 2026-03-31T16:00:00Z`,
      },
    });
}
