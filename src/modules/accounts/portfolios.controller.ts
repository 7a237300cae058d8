import { CachedRead } from '../caching/cached-read.decorator';
import { portfolioTag } from '../caching/domain/cache-keys';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IdPageQuery } from '../../common/page-query';
import type { Page } from '../../common/pagination';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { AccountsService } from './accounts.service';
import {
  AccountPageView,
  AccountView,
  GrantView,
  PortfolioDetailView,
  PortfolioPageView,
  PortfolioView,
} from './dto/account.view';
import { CreateGrantDto } from './dto/grant.dto';

@ApiTags('portfolios')
@ApiBearerAuth()
@Controller('v1/portfolios')
export class PortfoliosController {
  constructor(private readonly accounts: AccountsService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's portfolios, oldest first, a page at a time (all of them for admins and auditors)",
  })
  @ApiOkResponse({ type: PortfolioPageView })
  list(@CurrentPrincipal() principal: Principal, @Query() q: IdPageQuery): Promise<Page<PortfolioView>> {
    return this.accounts.listPortfolios(principal, q);
  }

  @Get(':id')
  @CachedRead({ namespace: 'portfolio', tags: (p) => [portfolioTag(p.id)] })
  @ApiOperation({ summary: 'A portfolio with its totals by account type' })
  @ApiOkResponse({ type: PortfolioDetailView })
  get(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<PortfolioDetailView> {
    return this.accounts.getPortfolio(principal, id);
  }

  @Get(':id/accounts')
  @CachedRead({ namespace: 'portfolio', tags: (p) => [portfolioTag(p.id)] })
  @ApiOperation({ summary: "A portfolio's accounts, root accounts first, a page at a time" })
  @ApiOkResponse({ type: AccountPageView })
  listAccounts(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) id: string,
    @Query() q: IdPageQuery,
  ): Promise<Page<AccountView>> {
    return this.accounts.listAccounts(principal, id, q);
  }

  @Get(':id/grants')
  @ApiOperation({ summary: 'Who has operator or viewer access (owner manager, admin)' })
  @ApiOkResponse({ type: [GrantView] })
  listGrants(@CurrentPrincipal() principal: Principal, @Param('id', uuidPipe) id: string): Promise<GrantView[]> {
    return this.accounts.listGrants(principal, id);
  }

  @Post(':id/grants')
  @ApiOperation({ summary: 'Grant an operator or viewer access to the portfolio (owner manager, admin)' })
  @ApiCreatedResponse({ type: GrantView })
  grant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() body: CreateGrantDto,
  ): Promise<GrantView> {
    return this.accounts.grant(principal, id, body.userId, body.role);
  }

  @Delete(':id/grants/:userId')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove a user's access to the portfolio (owner manager, admin)" })
  @ApiNoContentResponse()
  revokeGrant(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) id: string,
    @Param('userId', uuidPipe) userId: string,
  ): Promise<void> {
    return this.accounts.revokeGrant(principal, id, userId);
  }
}
