import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/auth.decorators';
import { CacheService } from './cache.service';
import { CacheStatsView } from './dto/cache-stats.view';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('v1/admin/cache')
export class CacheController {
  constructor(private readonly cache: CacheService) {}

  @Get()
  @Roles('admin')
  @ApiOperation({
    summary: 'Cache statistics of this instance: hits, misses, evictions and sizes per level and namespace',
  })
  @ApiOkResponse({ type: CacheStatsView })
  stats(): CacheStatsView {
    return this.cache.describe();
  }
}
