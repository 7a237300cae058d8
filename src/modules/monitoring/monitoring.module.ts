import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller';
import { ScrapeCollectors } from './scrape-collectors';

/**
 * `/metrics` for Prometheus: Node process metrics plus the service's own (metrics.ts). Global so
 * that any module can register a scrape-time collector.
 */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true, config: { prefix: 'alluse_' } },
    }),
  ],
  providers: [ScrapeCollectors],
  exports: [ScrapeCollectors],
})
export class MonitoringModule {}
