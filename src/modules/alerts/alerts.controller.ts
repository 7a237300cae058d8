import { Body, Controller, Get, Headers, HttpCode, Ip, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Public, Roles } from '../auth/auth.decorators';
import { AlertsService } from './alerts.service';
import { AlertmanagerWebhookDoc, AlertsPageView, AlertsQueryDto, WebhookReceiptView } from './dto/alerts.dto';

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  /** Public to the API-key guard: Alertmanager authenticates with the shared secret instead. */
  @Post('webhook')
  @Public()
  @SkipThrottle()
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      "Alertmanager's webhook (payload version 4), with Authorization: Bearer <ALERTS_WEBHOOK_SECRET>: records the alerts and forwards those that started firing or resolved",
  })
  @ApiBody({ type: AlertmanagerWebhookDoc })
  @ApiOkResponse({ type: WebhookReceiptView })
  webhook(@Headers('authorization') authorization: string | undefined, @Ip() address: string, @Body() body: unknown) {
    return this.alerts.receive(authorization, address, body);
  }

  @Get()
  @Roles('admin', 'auditor')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Alerts received from Alertmanager, newest first' })
  @ApiOkResponse({ type: AlertsPageView })
  list(@Query() q: AlertsQueryDto): Promise<AlertsPageView> {
    return this.alerts.page(q);
  }
}
