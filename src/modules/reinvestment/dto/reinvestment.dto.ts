import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { IsAmount, Optional } from '../../../common/validators';
import { TransactionView } from '../../transactions/dto/transaction.view';
import { MONEY } from '../../../common/money-property';

export class ReinvestmentDto {
  @ApiPropertyOptional({
    ...MONEY,
    description:
      'amount to reinvest; at most the available cash. Without it: the net trading income since the last reinvestment × reinvestRatePct, capped at the available cash',
  })
  @Optional()
  @IsAmount()
  amount?: string;
}

export class PositionCloseDto {
  @ApiPropertyOptional({ ...MONEY, description: 'contracts to bring back to cash; with neither field: everything' })
  @Optional()
  @IsAmount()
  contracts?: string;

  @ApiPropertyOptional({ ...MONEY, description: 'LEAPS to bring back to cash; with neither field: everything' })
  @Optional()
  @IsAmount()
  leaps?: string;
}

export class RunReinvestmentsDto {
  @ApiPropertyOptional({ example: '2026-Q4', description: 'defaults to the quarter of now (GROWTH_TZ)' })
  @Optional()
  @Matches(/^\d{4}-Q[1-4]$/, { message: 'quarter must be a quarter such as 2026-Q4' })
  quarter?: string;
}

export class ReinvestmentView extends TransactionView {
  @ApiProperty({ format: 'uuid' }) accountId: string;
  @ApiProperty({ ...MONEY, description: 'cash moved into positions' }) amount: string;
  @ApiProperty({ ...MONEY, description: 'of which to contracts (contractsPct, plus the remainder cent)' })
  contracts: string;
  @ApiProperty({ ...MONEY, description: 'of which to LEAPS' }) leaps: string;
  @ApiProperty({ nullable: true, type: String, example: '2026-Q4', description: 'null when a user asked for it' })
  quarter: string | null;
}

export class PositionCloseView extends TransactionView {
  @ApiProperty({ format: 'uuid' }) accountId: string;
  @ApiProperty({ ...MONEY, description: 'brought back to cash' }) amount: string;
  @ApiProperty({ ...MONEY, description: 'of which from contracts' }) contracts: string;
  @ApiProperty({ ...MONEY, description: 'of which from LEAPS' }) leaps: string;
}

export class ReinvestmentRunView {
  @ApiProperty({ example: 'reinvestments:0193a3c1-…', description: 'GET /v1/tasks/{id} follows it' }) id: string;
  @ApiProperty({ example: '2026-Q4' }) quarter: string;
}
