import { Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { MetricsController } from './metrics.controller';

/** `/metrics` for Prometheus: Node process metrics plus what the other modules register (the cache's counters). */
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true, config: { prefix: 'alluse_' } },
    }),
  ],
})
export class MonitoringModule {}
