import { CachedRead } from '../caching/cached-read.decorator';
import { accountTag, portfolioTag } from '../caching/domain/cache-keys';
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { AnalyticsService } from './analytics.service';
import { AccountAnalyticsView, AnalyticsQuery, PortfolioAnalyticsView } from './dto/analytics.view';

@ApiTags('analytics')
@ApiBearerAuth()
@Controller('v1')
export class AnalyticsController {
  constructor(private readonly analytics: AnalyticsService) {}

  @Get('accounts/:id/analytics')
  @CachedRead({ namespace: 'analytics', tags: (p) => [accountTag(p.id)] })
  @ApiOperation({
    summary:
      "An account's weekly balances and time-weighted returns, risk figures, income by kind, target and fork/merge progress",
  })
  @ApiOkResponse({ type: AccountAnalyticsView })
  account(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: AnalyticsQuery) {
    return this.analytics.forAccount(p, id, q);
  }

  @Get('portfolios/:id/analytics')
  @CachedRead({ namespace: 'analytics', tags: (p) => [portfolioTag(p.id)] })
  @ApiOperation({
    summary: "A portfolio's totals by type and unit, fork and merge history, income by week/month/quarter/year",
  })
  @ApiOkResponse({ type: PortfolioAnalyticsView })
  portfolio(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: AnalyticsQuery) {
    return this.analytics.forPortfolio(p, id, q);
  }
}
