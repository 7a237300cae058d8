import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IsPositiveBigint, Optional } from './validators';

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
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
