import { CachedRead } from '../caching/cached-read.decorator';
import { portfolioTag, unitTag } from '../caching/domain/cache-keys';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { IdempotencyHeader, IdempotencyKey } from '../../common/idempotency';
import { IdPageQuery } from '../../common/page-query';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  MergeProposalView,
  ProposalListQuery,
  RejectProposalDto,
  ScanAcceptedView,
  TreeView,
  UnitDetailView,
  UnitPageView,
} from './dto/unit.view';
import { GrowthChecksService } from './growth-checks.service';
import { UnitsService } from './units.service';

@ApiTags('growth')
@ApiBearerAuth()
@Controller('v1')
export class ForkMergeController {
  constructor(
    private readonly units: UnitsService,
    private readonly checks: GrowthChecksService,
  ) {}

  @Post('accounts/:id/fork')
  @ApiOperation({
    summary: 'Fork a GEN account now: its whole surplus becomes a new unit (422 FORK_NOT_ELIGIBLE says why not)',
  })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: UnitDetailView })
  fork(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @IdempotencyKey() key?: string) {
    return this.units.fork(p, id, key);
  }

  @Get('portfolios/:id/units')
  @CachedRead({ namespace: 'units', tags: (p) => [portfolioTag(p.id)] })
  @ApiOperation({ summary: "A portfolio's forked units, oldest first, merged ones included, a page at a time" })
  @ApiOkResponse({ type: UnitPageView })
  listUnits(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: IdPageQuery) {
    return this.units.listUnits(p, id, q);
  }

  @Get('portfolios/:id/tree')
  @CachedRead({ namespace: 'units', tags: (p) => [portfolioTag(p.id)] })
  @ApiOperation({ summary: 'The family tree: root accounts → the units they forked → their child units' })
  @ApiOkResponse({ type: TreeView })
  tree(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.units.tree(p, id);
  }

  @Get('units/:id')
  @CachedRead({ namespace: 'units', tags: (p) => [unitTag(p.id)] })
  @ApiOperation({ summary: 'A unit: its accounts, parent GEN, value and progress to the merge threshold' })
  @ApiOkResponse({ type: UnitDetailView })
  getUnit(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.units.getUnit(p, id);
  }

  @Post('units/:id/merge')
  @ApiOperation({
    summary: 'Merge an eligible unit now into the root COM account (422 MERGE_NOT_ELIGIBLE says why not)',
  })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: UnitDetailView })
  merge(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @IdempotencyKey() key?: string) {
    return this.units.merge(p, id, key);
  }

  @Get('portfolios/:id/merge-proposals')
  @ApiOperation({ summary: "A portfolio's merge proposals, newest first (mergeMode confirm)" })
  @ApiOkResponse({ type: [MergeProposalView] })
  listProposals(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: ProposalListQuery) {
    return this.units.listProposals(p, id, q);
  }

  @Post('merge-proposals/:id/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm an open proposal: the unit merges now (operator, owner manager, admin)' })
  @ApiOkResponse({ type: MergeProposalView })
  confirm(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.units.confirm(p, id);
  }

  @Post('merge-proposals/:id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reject an open proposal (operator, owner manager, admin)' })
  @ApiOkResponse({ type: MergeProposalView })
  reject(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() body: RejectProposalDto) {
    return this.units.reject(p, id, body.note);
  }

  @Post('admin/growth/scan')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the fork and merge scan now, as a task (admin)' })
  @ApiAcceptedResponse({ type: ScanAcceptedView })
  scan() {
    return this.checks.runScanNow();
  }
}
