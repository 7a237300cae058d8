import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdempotencyHeader, IdempotencyKey } from '../../common/idempotency';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal, Roles } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import {
  PositionCloseDto,
  PositionCloseView,
  ReinvestmentDto,
  ReinvestmentRunView,
  ReinvestmentView,
  RunReinvestmentsDto,
} from './dto/reinvestment.dto';
import { ReinvestmentService } from './reinvestment.service';

@ApiTags('reinvestment')
@ApiBearerAuth()
@Controller('v1')
export class ReinvestmentController {
  constructor(private readonly reinvestments: ReinvestmentService) {}

  @Post('accounts/:id/reinvestments')
  @ApiOperation({
    summary:
      'Reinvest cash into contracts and LEAPS now (REV and COM): the amount given, or the net trading income since the last reinvestment × reinvestRatePct, capped at the available cash',
  })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: ReinvestmentView })
  reinvest(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() body: ReinvestmentDto,
    @IdempotencyKey() key?: string,
  ): Promise<ReinvestmentView> {
    return this.reinvestments.reinvest(p, id, body, key);
  }

  @Post('accounts/:id/positions/close')
  @ApiOperation({ summary: 'Bring contracts and LEAPS back to cash: the amounts given, or everything' })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: PositionCloseView })
  close(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() body: PositionCloseDto,
    @IdempotencyKey() key?: string,
  ): Promise<PositionCloseView> {
    return this.reinvestments.closePositions(p, id, body, key);
  }

  @Post('admin/reinvestments/run')
  @Roles('admin')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run the quarterly reinvestment now, for the current or a past quarter (admin); follow the task',
  })
  @ApiAcceptedResponse({ type: ReinvestmentRunView })
  run(@Body() body: RunReinvestmentsDto): Promise<ReinvestmentRunView> {
    return this.reinvestments.requestRun(body.quarter);
  }
}
