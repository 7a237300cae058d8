import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { AuditService } from './audit.service';
import { AuditPageView, AuditQueryDto } from './dto/audit.dto';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('admin', 'auditor')
  @ApiOperation({ summary: 'The audit log, newest first: every change of money, configuration, user or key' })
  @ApiOkResponse({ type: AuditPageView })
  async list(@Query() q: AuditQueryDto): Promise<AuditPageView> {
    const limit = q.limit ?? 100;
    const rows = await this.audit.list({
      actorId: q.actorId,
      portfolioId: q.portfolioId,
      action: q.action,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      beforeId: q.cursor,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actorId: r.actor_id,
        action: r.action,
        entityType: r.entity_type,
        entityId: r.entity_id,
        portfolioId: r.portfolio_id,
        details: r.details,
        ip: r.ip,
        correlationId: r.correlation_id,
      })),
      nextCursor: rows.length > limit ? page[page.length - 1].id : null,
    };
  }
}
