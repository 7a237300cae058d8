import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';

export class CreateGrantDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId: string;
  @ApiProperty({ enum: ['operator', 'viewer'] }) @IsIn(['operator', 'viewer']) role: 'operator' | 'viewer';
}
