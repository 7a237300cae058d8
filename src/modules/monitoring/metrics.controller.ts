import { Controller, Get, Inject, NotFoundException, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { register } from 'prom-client';
import { metricsConfig, type MetricsConfig } from '../../config/configuration';
import { Public } from '../auth/auth.decorators';
import { renderMetrics } from './metrics-server';
import { ScrapeCollectors } from './scrape-collectors';

/**
 * Prometheus scrapes this; like the probes it needs no key. It is the public port's /metrics:
 * money totals are left out, and with METRICS_PORT set it is not served at all (Prometheus
 * scrapes that port instead, metrics-server.ts).
 */
@ApiTags('monitoring')
@Public()
@SkipThrottle()
@Controller()
export class MetricsController extends PrometheusController {
  constructor(
    private readonly collectors: ScrapeCollectors,
    @Inject(metricsConfig.KEY) private readonly config: MetricsConfig,
  ) {
    super();
  }

  @Get()
  @ApiOperation({
    summary:
      'Metrics in the Prometheus text format, without money totals (see docs/metrics.md); 404 when METRICS_PORT is set',
  })
  @ApiProduces('text/plain')
  @ApiNotFoundResponse({ description: 'METRICS_PORT is set: metrics are served on that port only' })
  override async index(@Res({ passthrough: true }) response: FastifyReply) {
    if (this.config.port) throw new NotFoundException();
    void response.header('content-type', register.contentType);
    return renderMetrics(this.collectors, 'public');
  }
}
