import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { PageView } from '../../../common/page-view';
import { IsStorableText } from '../../../common/validators';
import { ROLES, type Role } from '../principal';

export class CreateUserDto {
  @ApiProperty({ example: 'Ada Trader', minLength: 1, maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @IsStorableText()
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;
}

export class UserView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class UserPageView extends PageView(UserView) {}

export class IssuedKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ description: 'The first characters of the key, kept for recognising it later' }) prefix: string;
  @ApiProperty({ description: 'The API key itself. Shown only in this response; store it now.' }) key: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ApiKeyView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty() prefix: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
}
