import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsNumberString, Max, MaxLength, Min } from 'class-validator';
import { Optional } from './validators';

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
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}
