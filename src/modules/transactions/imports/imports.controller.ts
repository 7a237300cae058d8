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
import { Readable } from 'node:stream';
import { Optional } from '../../../common/validators';
import { IdempotencyHeader, IdempotencyKey } from '../../../common/idempotency';
import { StreamedBody } from '../../../common/read-body';
import { uuidPipe } from '../../../common/uuid.pipe';
import { OutboundUrlPolicy } from '../../async-tasks/outbound-url-policy';
import { CurrentPrincipal } from '../../auth/auth.decorators';
import type { Principal } from '../../auth/principal';
import { IMPORT_CONTENT_TYPES } from '../domain/import-lines';
import { MAX_IMPORT_LINES, unsupportedImport } from './imports.errors';
import { ImportsService } from './imports.service';

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
  @ApiProperty({ description: 'the size of the file stored; its task counts and checks the lines' }) bytes: number;
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
  @StreamedBody()
  @ApiOperation({
    summary: `Import up to ${MAX_IMPORT_LINES} movements (CSV or JSON lines), applied as a task`,
    description:
      'Each line is a batch item (kind, accountId, toAccountId, amount, effectiveAt, memo) plus an optional key. ' +
      'CSV needs a header line naming the columns. The file (at most IMPORT_LIMIT_BYTES) is stored and its task ' +
      'queued; the task counts the lines (1 to 100,000, or it fails with IMPORT_SIZE) and checks each. A line ' +
      'with a key applies once per portfolio: a later file repeating the key counts it as a duplicate. A line ' +
      'without one applies once per import, however often its task runs: the same line in another file is ' +
      'new money. Bad lines are reported and never block the good ones. Refusals: 400 UNSUPPORTED_IMPORT, ' +
      'IMPORT_SIZE (an empty file), INVALID_IDEMPOTENCY_KEY; 409 IDEMPOTENCY_KEY_REUSED; 413 IMPORT_TOO_LARGE; ' +
      '503 QUEUE_UNAVAILABLE or QUEUE_BACKPRESSURE (with Retry-After: nothing will run; retry, with the same ' +
      'Idempotency-Key to keep the same import). The task fails with IMPORT_NOT_AUTHORIZED when the submitter ' +
      'may no longer move money in the portfolio by the time it runs.',
  })
  @IdempotencyHeader()
  @ApiConsumes('text/csv', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'string', example: 'kind,accountId,amount,key\nPREMIUM,<uuid>,125.00,week-48' } })
  @ApiAcceptedResponse({ type: ImportAcceptedView })
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuidPipe) portfolioId: string,
    @Headers('content-type') contentType: string | undefined,
    @Headers('content-length') declaredBytes: string | undefined,
    @Body() body: unknown,
    @Query() query: ImportQuery,
    @IdempotencyKey() idempotencyKey?: string,
  ): Promise<ImportAcceptedView> {
    const format = IMPORT_CONTENT_TYPES[(contentType ?? '').split(';')[0].trim().toLowerCase()];
    // The body is the unread stream (StreamedBody): the service reads it once access is checked.
    if (!format || !(body instanceof Readable)) throw unsupportedImport();
    if (query.notifyUrl) await this.outboundUrls.assertAllowed(query.notifyUrl, 'notifyUrl');
    return this.imports.submit(principal, portfolioId, format, body, {
      notifyUrl: query.notifyUrl,
      idempotencyKey,
      declaredBytes,
    });
  }
}
