import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumberString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { Optional } from './validators';

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

/** The cursor of a keyset-paginated list (see pagination.ts): a row id, as a decimal string. */
export class CursorQuery {
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @Optional()
  @IsNumberString({ no_symbols: true })
  @MaxLength(19)
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
