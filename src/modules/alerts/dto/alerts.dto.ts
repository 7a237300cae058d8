import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { PageQuery } from '../../../common/page-query';
import { Optional } from '../../../common/validators';
import { ALERT_STATUSES, type AlertStatus } from '../domain/alertmanager-webhook';

export class AlertsQueryDto extends PageQuery {
  @ApiPropertyOptional({ enum: ALERT_STATUSES }) @Optional() @IsIn(ALERT_STATUSES) status?: AlertStatus;
}

export class AlertView {
  @ApiProperty() id: string;
  @ApiProperty({ description: "Alertmanager's fingerprint of the alert's labels" }) fingerprint: string;
  @ApiProperty({ example: 'AllUseReadinessCheckFailing' }) name: string;
  @ApiProperty({ enum: ALERT_STATUSES }) status: AlertStatus;
  @ApiProperty({ nullable: true, example: 'critical' }) severity: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) annotations: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) startsAt: string;
  @ApiProperty({ format: 'date-time', nullable: true }) endsAt: string | null;
  @ApiProperty({ nullable: true }) generatorURL: string | null;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class AlertsPageView {
  @ApiProperty({ type: [AlertView] }) items: AlertView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class WebhookReceiptView {
  @ApiProperty({ description: 'Alerts in the call' }) received: number;
  @ApiProperty({ description: 'Alerts that started firing or resolved with this call' }) changed: number;
  @ApiProperty({ description: 'Notifications queued (changed alerts × configured channels)' }) forwarded: number;
}

/** The Alertmanager webhook payload (version 4), for the API document; the service checks it. */
class AlertmanagerAlertDoc {
  @ApiProperty({ enum: ALERT_STATUSES }) status: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { alertname: 'X', severity: 'page' },
  })
  labels: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) annotations: Record<string, string>;
  @ApiProperty({ format: 'date-time' }) startsAt: string;
  @ApiProperty({ format: 'date-time' }) endsAt: string;
  @ApiPropertyOptional() generatorURL?: string;
  @ApiProperty() fingerprint: string;
}

export class AlertmanagerWebhookDoc {
  @ApiProperty({ example: '4' }) version: string;
  @ApiPropertyOptional() groupKey?: string;
  @ApiPropertyOptional() truncatedAlerts?: number;
  @ApiPropertyOptional({ enum: ALERT_STATUSES }) status?: string;
  @ApiPropertyOptional() receiver?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) groupLabels?: Record<
    string,
    string
  >;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } }) commonLabels?: Record<
    string,
    string
  >;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  commonAnnotations?: Record<string, string>;
  @ApiPropertyOptional() externalURL?: string;
  @ApiProperty({ type: [AlertmanagerAlertDoc] }) alerts: AlertmanagerAlertDoc[];
}
