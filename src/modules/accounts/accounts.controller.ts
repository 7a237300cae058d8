import { CachedRead } from '../caching/cached-read.decorator';
import { accountTag } from '../caching/domain/cache-keys';
import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { AccountsService } from './accounts.service';
import { AccountView } from './dto/account.view';
import { UpdateAccountDto } from './dto/update-account.dto';

@ApiTags('accounts')
@ApiBearerAuth()
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Get(':id')
  @CachedRead({ namespace: 'account', tags: (p) => [accountTag(p.id)] })
  @ApiOperation({ summary: 'An account with its pockets, buffer, available cash and configuration' })
  @ApiOkResponse({ type: AccountView })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<AccountView> {
    return this.accounts.getAccount(principal, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change an account's configuration or status (owner manager, admin)" })
  @ApiOkResponse({ type: AccountView })
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() body: UpdateAccountDto,
  ): Promise<AccountView> {
    return this.accounts.updateAccount(principal, id, body);
  }
}
