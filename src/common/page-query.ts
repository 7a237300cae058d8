import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsUUID, Max, Min } from 'class-validator';
import { IsPositiveBigint, Optional } from './validators';

/** Rows in a page of the lists that take `limit` from 1 to 500. */
export const DEFAULT_PAGE_LIMIT = 100;

/** `limit`: 1 to 500 rows, 100 by default. */
const PageLimit = () =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: 500, default: DEFAULT_PAGE_LIMIT }),
    Optional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(500),
  );

/**
 * The cursor of a keyset-paginated list (see pagination.ts): a row id or sequence number, as a
 * decimal string. It is compared with a bigint column, so anything outside bigint's range is a
 * 400 here rather than a cast error in the database.
 */
export class CursorQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page', pattern: '^[0-9]{1,19}$' })
  @Optional()
  @IsPositiveBigint()
  cursor?: string;
}

/** Cursor and page size of the admin lists (audit, alerts): 1 to 500 rows, 100 by default. */
export class PageQuery extends CursorQuery {
  @PageLimit()
  limit?: number;
}

/**
 * Cursor and page size of a list of rows named by UUIDs (users, portfolios, accounts, units): the
 * cursor is the id of the last row of the previous page, the page what comes after it.
 */
export class IdPageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'nextCursor of the previous page' })
  @Optional()
  @IsUUID()
  cursor?: string;

  @PageLimit()
  limit?: number;
}
