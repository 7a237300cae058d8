import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { Public } from '../auth/auth.decorators';

/** Prometheus scrapes this; like the probes it needs no key (keep it on an internal network). */
@ApiTags('monitoring')
@Public()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @ApiOperation({ summary: 'Metrics in the Prometheus text format (process, cache)' })
  @ApiProduces('text/plain')
  override index(@Res({ passthrough: true }) response: unknown) {
    return super.index(response);
  }
}
