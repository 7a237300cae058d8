import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsInt, IsNumberString, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { Optional } from '../../../common/validators';

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid' }) @Optional() @IsUUID() actorId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @Optional() @IsUUID() portfolioId?: string;
  @ApiPropertyOptional({ example: 'ledger.movement' }) @Optional() @IsString() @MaxLength(100) action?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @Optional() @IsDateString({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @Optional() @IsDateString({ strict: true }) to?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @Optional()
  @IsNumberString({ no_symbols: true })
  @MaxLength(19)
  cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100 })
  @Optional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class AuditEntryView {
  @ApiProperty() id: string;
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ format: 'uuid', nullable: true }) actorId: string | null;
  @ApiProperty({ example: 'ledger.movement' }) action: string;
  @ApiProperty({ example: 'transaction' }) entityType: string;
  @ApiProperty({ nullable: true }) entityId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true }) portfolioId: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
  @ApiProperty({ nullable: true }) ip: string | null;
  @ApiProperty({ nullable: true }) correlationId: string | null;
}

export class AuditPageView {
  @ApiProperty({ type: [AuditEntryView] }) items: AuditEntryView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
