import { Body, Controller, Headers, HttpCode, Param, Post, Query } from '@nestjs/common';
import { IsUrl, MaxLength } from 'class-validator';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Optional } from '../../../common/validators';
import { AppError } from '@app/errors';
import { uuidPipe } from '../../../common/uuid.pipe';
import { OutboundUrlPolicy } from '../../async-tasks/outbound-url-policy';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { IMPORT_CONTENT_TYPES } from '../domain/import-lines';
import { ImportsService, MAX_IMPORT_LINES } from './imports.service';

class ImportQuery {
  @ApiPropertyOptional({
    description:
      'a webhook called with the report once the import has finished; its host must be (and resolve to) a public ' +
      'address (400 OUTBOUND_URL_FORBIDDEN otherwise)',
  })
  @Optional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2000)
  notifyUrl?: string;
}

class ImportAcceptedView {
  @ApiProperty({ description: 'the task: GET /v1/tasks/{id} shows progress and, at the end, the report' }) id: string;
  @ApiProperty({ format: 'uuid' }) importId: string;
  @ApiProperty() lines: number;
  @ApiPropertyOptional({ description: 'with notifyUrl: the notification task that follows the import' })
  notifyTaskId?: string;
}

@ApiTags('imports')
@ApiBearerAuth()
@Controller('v1/portfolios')
export class ImportsController {
  constructor(
    private readonly imports: ImportsService,
    private readonly outboundUrls: OutboundUrlPolicy,
  ) {}

  @Post(':id/imports')
  @HttpCode(202)
  @ApiOperation({
    summary: `Import up to ${MAX_IMPORT_LINES} movements (CSV or JSON lines), applied as a task`,
    description:
      'Each line is a batch item (kind, accountId, toAccountId, amount, effectiveAt, memo) plus an optional key. ' +
      'CSV needs a header line naming the columns. Lines are applied once each (by key, or by line number and ' +
      'content); bad lines are reported and never block the good ones.',
  })
  @ApiConsumes('text/csv', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'string', example: 'kind,accountId,amount,key\nPREMIUM,<uuid>,125.00,week-48' } })
  @ApiAcceptedResponse({ type: ImportAcceptedView })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) portfolioId: string,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Query() query: ImportQuery,
  ): Promise<ImportAcceptedView> {
    const format = IMPORT_CONTENT_TYPES[(contentType ?? '').split(';')[0].trim().toLowerCase()];
    if (!format || typeof body !== 'string') {
      throw new AppError('validation', 'UNSUPPORTED_IMPORT', 'send the file as text/csv or application/x-ndjson');
    }
    if (query.notifyUrl) await this.outboundUrls.assertAllowed(query.notifyUrl, 'notifyUrl');
    return this.imports.submit(principal, portfolioId, format, body, query.notifyUrl);
  }
}
