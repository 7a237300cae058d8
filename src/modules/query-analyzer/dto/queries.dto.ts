import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { Optional } from '../../../common/validators';

export const STATEMENT_ORDERS = ['total', 'mean', 'calls'] as const;

export class StatementsQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    enum: STATEMENT_ORDERS,
    default: 'total',
    description: 'total: total execution time; mean: mean execution time; calls: number of calls',
  })
  @Optional()
  @IsIn(STATEMENT_ORDERS)
  orderBy?: (typeof STATEMENT_ORDERS)[number];
}

export class KeyQueryParamsDto {
  @ApiProperty({ example: 'account-ledger-page', description: 'a name listed by GET /v1/admin/queries/explain' })
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { message: 'name must be a key query name (lowercase letters, digits, dashes)' })
  name: string;
}

export class StatementView {
  @ApiProperty({ description: "pg_stat_statements' queryid" }) queryId: string;
  @ApiProperty({ description: 'normalised text: constants are replaced by $n' }) query: string;
  @ApiProperty() calls: number;
  @ApiProperty({ description: 'total execution time, ms' }) totalTimeMs: number;
  @ApiProperty({ description: 'mean execution time, ms' }) meanTimeMs: number;
  @ApiProperty({ description: 'rows returned or affected, over all calls' }) rows: number;
}

export class StatementsView {
  @ApiProperty({ description: 'whether pg_stat_statements can be read in this database' }) available: boolean;
  @ApiPropertyOptional({ description: 'when not available: why, and how to enable it' }) reason?: string;
  @ApiPropertyOptional({ enum: STATEMENT_ORDERS }) orderBy?: string;
  @ApiPropertyOptional() limit?: number;
  @ApiPropertyOptional({ type: [StatementView], description: 'heaviest first, this database only' })
  statements?: StatementView[];
}

export class KeyQueryView {
  @ApiProperty({ example: 'account-ledger-page' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ description: 'the repository method that runs it' }) source: string;
  @ApiProperty({ type: [String], description: 'indexes expected to serve it on a large table' }) servedBy: string[];
  @ApiProperty({ type: [String], description: 'large tables it reads whole on purpose (see description)' })
  acceptedSeqScans: string[];
}

export class KeyQueryListView {
  @ApiProperty({ type: [KeyQueryView] }) queries: KeyQueryView[];
}

export class IndexUseView {
  @ApiProperty({ enum: ['Index Scan', 'Index Only Scan', 'Bitmap Index Scan'] }) nodeType: string;
  @ApiProperty() index: string;
  @ApiProperty({ nullable: true, type: String }) table: string | null;
}

export class PlanSummaryView {
  @ApiProperty({ description: "the planner's total cost estimate" }) totalCost: number;
  @ApiProperty() estimatedRows: number;
  @ApiProperty({ type: [IndexUseView] }) indexScans: IndexUseView[];
  @ApiProperty({ type: [String], description: 'tables read by a sequential scan' }) seqScans: string[];
}

export class KeyQueryPlanView extends KeyQueryView {
  @ApiProperty({ description: 'the statement, exactly as the repository sends it' }) sql: string;
  @ApiProperty({
    type: 'array',
    items: {},
    description: 'the sample parameters it was planned with (read from the database; a random uuid when none)',
  })
  parameters: unknown[];
  @ApiProperty({ type: PlanSummaryView }) summary: PlanSummaryView;
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'EXPLAIN (FORMAT JSON) output' })
  plan: unknown;
}
