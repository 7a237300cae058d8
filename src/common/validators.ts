import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { isISO8601, IsObject, registerDecorator, ValidateIf, ValidateNested, ValidationOptions } from 'class-validator';
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
        // isISO8601 strict also refuses days that do not exist (2026-02-30), which Date.parse rolls over.
        validate: (value: unknown) =>
          typeof value === 'string' && INSTANT.test(value) && isISO8601(value, { strict: true }),
        defaultMessage: (args) =>
          `${args?.property} must be an ISO 8601 time with a time zone, such as 2026-03-31T16:00:00Z`,
      },
    });
}

/** PostgreSQL's largest bigint: ids and sequence numbers never exceed it. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** A positive bigint written in decimal digits ("1" to "9223372036854775807"), such as a row id. */
export function IsPositiveBigint(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPositiveBigint',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        // At most 19 digits before BigInt reads it: a long string is refused without parsing it.
        validate: (value: unknown) =>
          typeof value === 'string' && /^\d{1,19}$/.test(value) && BigInt(value) >= 1n && BigInt(value) <= MAX_BIGINT,
        defaultMessage: (args) => `${args?.property} must be a whole number from 1 to ${MAX_BIGINT}`,
      },
    });
}

/**
 * The field may be left out, but not sent as null: a null is validated (and refused) like any
 * other wrong value, where class-validator's IsOptional would let it through.
 */
export const Optional = () => ValidateIf((_object, value) => value !== undefined);

/** Text PostgreSQL can store: no NUL characters and no lone UTF-16 surrogates. */
export const isStorableText = (value: string) => !value.includes('\u0000') && value.isWellFormed();

export const STORABLE_TEXT_RULE = 'must not contain NUL characters or malformed Unicode';

export function IsStorableText(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isStorableText',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || isStorableText(value),
        defaultMessage: (args) => `${args?.property} ${STORABLE_TEXT_RULE}`,
      },
    });
}

/**
 * A nested object (or, with `each`, an array of them) validated as `type`. ValidateNested alone
 * also takes an array in its place and validates the array's elements instead, so `"deltaRange":
 * [{...}]` once passed and was stored as {"0": {...}}, and a batch item that was an array reached
 * the service without its fields.
 */
export function IsNested(type: () => new () => object, options: { each?: boolean } = {}) {
  return applyDecorators(IsObject(options), ValidateNested(options), Type(type));
}

/** The decimal places of a number as JavaScript writes it, exponent notation included: 1e-7 has 7. */
export function decimalPlaces(value: number): number {
  const [mantissa, exponent = '0'] = String(value).toLowerCase().split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

/**
 * A finite JSON number with at most `places` decimals. class-validator's IsNumber with
 * maxDecimalPlaces reads the digits after a "." and threw on 1e-7 (a 500), and let 1.5e-7 pass.
 */
export function IsDecimalNumber(places: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDecimalNumber',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'number' && Number.isFinite(value) && decimalPlaces(value) <= places,
        defaultMessage: (args) => `${args?.property} must be a number with at most ${places} decimals`,
      },
    });
}
