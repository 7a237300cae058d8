import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsAmount, IsInstant, IsNested, Optional, IsStorableText } from '../../../common/validators';
import { MOVEMENT_KINDS, type MovementKind } from '../domain/ledger.types';

const AMOUNT = {
  example: '1250.00',
  description: 'USD as a decimal string: positive, at most two decimals, at most 1000000000000.00',
};
const EFFECTIVE_AT = {
  format: 'date-time',
  description: 'backdates the movement for history and analytics; not in the future, not before the account existed',
};

export class MovementDto {
  @ApiProperty(AMOUNT) @IsAmount() amount: string;
  @ApiPropertyOptional(EFFECTIVE_AT) @Optional() @IsInstant() effectiveAt?: string;
  @ApiPropertyOptional({ maxLength: 500 }) @Optional() @IsString() @MaxLength(500) @IsStorableText() memo?: string;
}

export class TransferDto extends MovementDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() fromAccountId: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() toAccountId: string;
}

export class BatchItemDto extends MovementDto {
  @ApiProperty({ enum: MOVEMENT_KINDS }) @IsIn(MOVEMENT_KINDS) kind: MovementKind;
  @ApiProperty({ format: 'uuid', description: 'the account moved (the source of a TRANSFER)' })
  @IsUUID()
  accountId: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'TRANSFER only: the receiving account' })
  @Optional()
  @IsUUID()
  toAccountId?: string;
}

export class BatchDto {
  @ApiProperty({ type: [BatchItemDto], minItems: 1, maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsNested(() => BatchItemDto, { each: true })
  items: BatchItemDto[];
}

export class ReversalDto {
  @ApiPropertyOptional(EFFECTIVE_AT) @Optional() @IsInstant() effectiveAt?: string;
  @ApiPropertyOptional({ maxLength: 500 }) @Optional() @IsString() @MaxLength(500) @IsStorableText() memo?: string;
}
