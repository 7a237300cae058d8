import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdempotencyHeader, IdempotencyKey } from '../../common/idempotency';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { CreatedPortfolioView } from '../accounts/dto/account.view';
import { CreatePortfolioDto } from './dto/create-portfolio.dto';
import { PortfolioOpeningService } from './portfolio-opening.service';

@ApiTags('portfolios')
@ApiBearerAuth()
@Controller('v1/portfolios')
export class PortfolioOpeningController {
  constructor(private readonly opening: PortfolioOpeningService) {}

  @Post()
  @ApiOperation({
    summary: 'Open a portfolio: three root accounts funded by one DEPOSIT split by the template (managers, admins)',
  })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: CreatedPortfolioView })
  open(@CurrentPrincipal() principal: Principal, @Body() body: CreatePortfolioDto, @IdempotencyKey() key?: string) {
    return this.opening.open(principal, body, key);
  }
}
