import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { BookCountsRepository } from './book-counts.repository';
import { BookGauges } from './book-gauges';
import { DatabasePoolMetrics } from './database-pool-metrics';
import { HttpMetrics } from './http-metrics';
import { LedgerMetricsListener } from './ledger-metrics.listener';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { ScrapeCollectors } from './scrape-collectors';

/**
 * `/metrics` for Prometheus: Node process metrics plus the service's own (metrics.ts,
 * docs/metrics.md), at the public port or on a metrics port of its own (MetricsServer).
 * Global so that any module can register a scrape-time collector.
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
  providers: [
    ScrapeCollectors,
    HttpMetrics,
    LedgerMetricsListener,
    BookCountsRepository,
    BookGauges,
    DatabasePoolMetrics,
    MetricsServer,
  ],
  exports: [ScrapeCollectors],
})
export class MonitoringModule {}
