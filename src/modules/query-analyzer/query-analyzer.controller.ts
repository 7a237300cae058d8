import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import {
  KeyQueryListView,
  KeyQueryParamsDto,
  KeyQueryPlanView,
  StatementsQueryDto,
  StatementsView,
} from './dto/queries.dto';
import { QueryAnalyzerService } from './query-analyzer.service';

@ApiTags('admin')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'not an admin' })
@Controller('v1/admin/queries')
export class QueryAnalyzerController {
  constructor(private readonly analyzer: QueryAnalyzerService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: "The heaviest statements of this database (pg_stat_statements), or why they can't be read",
  })
  @ApiOkResponse({ type: StatementsView })
  @ApiBadRequestResponse({ description: 'limit outside 1..100, or an unknown orderBy' })
  statements(@Query() q: StatementsQueryDto): Promise<StatementsView> {
    return this.analyzer.topStatements(q.orderBy, q.limit);
  }

  @Get('explain')
  @Roles('admin')
  @ApiOperation({ summary: "The service's key read queries that can be explained" })
  @ApiOkResponse({ type: KeyQueryListView })
  keyQueries(): KeyQueryListView {
    return this.analyzer.listKeyQueries();
  }

  @Get('explain/:name')
  @Roles('admin')
  @ApiOperation({
    summary: 'The plan PostgreSQL chooses for a key query (EXPLAIN, never ANALYZE), with sample parameters',
  })
  @ApiOkResponse({ type: KeyQueryPlanView })
  @ApiBadRequestResponse({ description: 'a malformed name' })
  @ApiNotFoundResponse({ description: 'no key query has this name' })
  explain(@Param() params: KeyQueryParamsDto): Promise<KeyQueryPlanView> {
    return this.analyzer.explain(params.name);
  }
}
