import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from './auth.decorators';
import { AuthService } from './auth.service';
import { ApiKeyView, CreateUserDto, IssuedKeyView, UserPageView, UserView } from './dto/users.dto';
import type { Principal } from './principal';
import { IdPageQuery } from '../../common/page-query';
import type { Page } from '../../common/pagination';
import { uuidPipe } from '../../common/uuid.pipe';

@ApiTags('users')
@ApiBearerAuth()
@Controller('v1')
export class UsersController {
  constructor(private readonly auth: AuthService) {}

  @Post('users')
  @Roles('admin')
  @ApiOperation({ summary: 'Create a user with a role (admin)' })
  @ApiCreatedResponse({ type: UserView })
  create(@Body() body: CreateUserDto): Promise<UserView> {
    return this.auth.createUser(body.name.trim(), body.role);
  }

  @Get('users')
  @Roles('admin')
  @ApiOperation({ summary: 'List users, oldest first, a page at a time (admin)' })
  @ApiOkResponse({ type: UserPageView })
  list(@Query() q: IdPageQuery): Promise<Page<UserView>> {
    return this.auth.listUsers(q);
  }

  @Get('users/me')
  @ApiOperation({ summary: 'The user behind the calling API key' })
  @ApiOkResponse({ type: UserView })
  me(@CurrentPrincipal() principal: Principal): Promise<UserView> {
    return this.auth.getUser(principal.userId);
  }

  @Post('users/:id/api-keys')
  @Roles('admin')
  @ApiOperation({ summary: 'Issue an API key for a user (admin). The key is shown only in this response.' })
  @ApiCreatedResponse({ type: IssuedKeyView })
  issueKey(@Param('id', uuidPipe) id: string): Promise<IssuedKeyView> {
    return this.auth.issueKey(id);
  }

  @Get('users/:id/api-keys')
  @Roles('admin')
  @ApiOperation({ summary: "List a user's keys, without the keys themselves (admin)" })
  @ApiOkResponse({ type: [ApiKeyView] })
  listKeys(@Param('id', uuidPipe) id: string): Promise<ApiKeyView[]> {
    return this.auth.listKeys(id);
  }

  @Delete('api-keys/:id')
  @Roles('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key (admin)' })
  @ApiNoContentResponse()
  revokeKey(@Param('id', uuidPipe) id: string): Promise<void> {
    return this.auth.revokeKey(id);
  }
}
