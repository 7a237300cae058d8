import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsUUID } from 'class-validator';
import { GRANT_ROLES, type GrantRole } from '../domain/account-types';

export class CreateGrantDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() userId: string;
  @ApiProperty({ enum: GRANT_ROLES }) @IsIn(GRANT_ROLES) role: GrantRole;
}
