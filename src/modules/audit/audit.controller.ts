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
  list(@Query() q: AuditQueryDto): Promise<AuditPageView> {
    return this.audit.page(q);
  }
}
