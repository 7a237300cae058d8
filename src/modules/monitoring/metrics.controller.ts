import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import { Public } from '../auth/auth.decorators';
import { ScrapeCollectors } from './scrape-collectors';

/** Prometheus scrapes this; like the probes it needs no key (keep it on an internal network). */
@ApiTags('monitoring')
@Public()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(private readonly collectors: ScrapeCollectors) {
    super();
  }

  @Get()
  @ApiOperation({ summary: 'Metrics in the Prometheus text format (see docs/metrics.md)' })
  @ApiProduces('text/plain')
  override async index(@Res({ passthrough: true }) response: unknown) {
    await this.collectors.collect();
    return super.index(response);
  }
}
