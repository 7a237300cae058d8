import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { Type } from 'class-transformer';
import { CursorQuery } from '../../../common/page-query';
import { IsInstant, Optional } from '../../../common/validators';
import { EXTERNAL_LEDGERS, POCKETS, TRANSACTION_KINDS, type TransactionKind } from '../domain/ledger.types';

export class PostingView {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null for an external ledger' })
  accountId: string | null;
  @ApiProperty({ enum: [...POCKETS, ...EXTERNAL_LEDGERS] }) ledger: string;
  @ApiProperty({ example: '-1250.00', description: 'signed: credit > 0, debit < 0; the postings sum to 0' })
  amount: string;
}

export class TransactionView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: TRANSACTION_KINDS }) kind: TransactionKind;
  @ApiProperty({ format: 'uuid' }) portfolioId: string;
  @ApiProperty({ format: 'date-time' }) effectiveAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String }) memo: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) reversesId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) reversedById: string | null;
  @ApiProperty({ type: [PostingView] }) postings: PostingView[];
}

export class BatchResultView {
  @ApiProperty({ type: [TransactionView] }) items: TransactionView[];
}

export class TransactionPageView {
  @ApiProperty({ type: [TransactionView] }) items: TransactionView[];
  @ApiProperty({ nullable: true, type: String, description: 'pass as cursor for the next (older) page' })
  nextCursor: string | null;
}

export class BalanceView {
  @ApiProperty({ format: 'uuid' }) accountId: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ example: '1000.00' }) cash: string;
  @ApiProperty({ example: '0.00' }) contracts: string;
  @ApiProperty({ example: '0.00' }) leaps: string;
  @ApiProperty({ example: '1000.00' }) total: string;
}

export class TransactionListQuery extends CursorQuery {
  @ApiPropertyOptional({ enum: TRANSACTION_KINDS }) @Optional() @IsIn(TRANSACTION_KINDS) kind?: TransactionKind;
  @ApiPropertyOptional({ format: 'date-time', description: 'effective at or after' })
  @Optional()
  @IsInstant()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'effective before' }) @Optional() @IsInstant() to?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export class BalanceQuery {
  @ApiPropertyOptional({ format: 'date-time', description: 'defaults to now' }) @Optional() @IsInstant() at?: string;
}
