import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreateProjectionDto, ProjectionFormatQuery, ProjectionYearsDto } from './dto/projection.dto';
import { ProjectionTaskView, ProjectionView } from './dto/projection.view';
import { ProjectionsService, type ProjectionReply } from './projections.service';

const SYNC_RULE =
  'Runs in the request for up to PROJECTION_SYNC_BUDGET_MS (default 1 s); a longer one answers 202 with a ' +
  'projections task whose result GET /v1/projections/tasks/{taskId} returns. ';

@ApiTags('projections')
@ApiBearerAuth()
@Controller('v1')
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Post('projections')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Project a new capital week by week (docs/domain.md §9); any role',
    description: SYNC_RULE + 'Fields left out take the domain defaults (moderate 40/30/30, buffer 5 %, 1.5/1.0/0.5 %).',
  })
  @ApiProduces('application/json', 'text/csv', 'image/svg+xml')
  @ApiOkResponse({ type: ProjectionView, description: 'json; csv is the years table; svg a chart' })
  @ApiAcceptedResponse({ type: ProjectionTaskView })
  async calculate(
    @Body() body: CreateProjectionDto,
    @Query() query: ProjectionFormatQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.projections.calculate(body, query.format ?? 'json'));
  }

  @Post('portfolios/:id/projection')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Project a portfolio from its current state and configuration (read access)',
    description:
      SYNC_RULE +
      'Starts from the root accounts, every active forked unit (creation order), the portfolio buffer and ' +
      "thresholds, and the root accounts' weekly targets.",
  })
  @ApiProduces('application/json', 'text/csv', 'image/svg+xml')
  @ApiOkResponse({ type: ProjectionView })
  @ApiAcceptedResponse({ type: ProjectionTaskView })
  async fromPortfolio(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() body: ProjectionYearsDto,
    @Query() query: ProjectionFormatQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.projections.fromPortfolio(principal, id, body.years, query.format ?? 'json'));
  }

  @Get('projections/tasks/:taskId')
  @ApiOperation({
    summary: "A queued projection's result as json, csv or svg; 202 with the task while it runs (owner, admin)",
  })
  @ApiProduces('application/json', 'text/csv', 'image/svg+xml')
  @ApiOkResponse({ type: ProjectionView })
  async taskResult(
    @CurrentPrincipal() principal: Principal,
    @Param('taskId') taskId: string,
    @Query() query: ProjectionFormatQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return send(reply, await this.projections.taskResult(principal, taskId, query.format ?? 'json'));
  }
}

function send(reply: FastifyReply, result: ProjectionReply) {
  void reply.status(result.status).header('content-type', result.contentType);
  return result.body;
}
