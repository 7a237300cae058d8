import { Global, Module } from '@nestjs/common';
import { Clock } from '../common/clock';
import { RedisService } from './redis.service';

/** Process-wide services every module may use: the clock and the Redis connection. */
@Global()
@Module({
  providers: [Clock, RedisService],
  exports: [Clock, RedisService],
})
export class InfrastructureModule {}
