import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { RedisService } from '../../infrastructure/redis.service';
import { CacheService } from '../caching/cache.service';
import { Public } from '../auth/auth.decorators';

const CHECK_TIMEOUT_MS = 1_500;

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly cache: CacheService,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and serving (depends on nothing else)' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: PostgreSQL and Redis answer within their timeouts (503 otherwise)' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      async () => {
        const indicator = this.indicators.check('redis');
        try {
          await this.redis.ping(CHECK_TIMEOUT_MS);
          return indicator.up();
        } catch (error) {
          return indicator.down({ message: (error as Error).message });
        }
      },
      // Never fails readiness (reads carry on from L1 and the database), but says when this
      // instance no longer hears other instances' invalidations.
      () => this.indicators.check('cache').up({ invalidations: this.cache.coherent ? 'subscribed' : 'lost' }),
    ]);
  }
}
