import { AppError } from '@app/errors';

export const keyQueryNotFound = (name: string) =>
  new AppError(
    'not_found',
    'KEY_QUERY_NOT_FOUND',
    `no key query is named "${name}"; GET /v1/admin/queries/explain lists them`,
  );
