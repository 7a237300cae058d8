import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQuery } from '../../../common/page-query';
import { Optional } from '../../../common/validators';

export class AuditQueryDto extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @Optional() @IsUUID() actorId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @Optional() @IsUUID() portfolioId?: string;
  @ApiPropertyOptional({ example: 'ledger.movement' }) @Optional() @IsString() @MaxLength(100) action?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @Optional() @IsDateString({ strict: true }) from?: string;
  @ApiPropertyOptional({ format: 'date-time' }) @Optional() @IsDateString({ strict: true }) to?: string;
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
