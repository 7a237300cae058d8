import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  allConfigs,
  databaseConfig,
  metricsConfig,
  rateLimitConfig,
  type DatabaseConfig,
  type MetricsConfig,
  type RateLimitConfig,
} from './config/configuration';
import { buildDataSourceOptions } from './database/data-source';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { RedisService } from './infrastructure/redis.service';
import { AccountsModule } from './modules/accounts/accounts.module';
import { AlertsModule } from './modules/alerts/alerts.module';
import { CachingModule } from './modules/caching/caching.module';
import { AnalyticsModule } from './modules/analytics/analytics.module';
import { AsyncTasksModule } from './modules/async-tasks/async-tasks.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthGuard } from './modules/auth/auth.guard';
import { AuthModule } from './modules/auth/auth.module';
import { RateLimitGuard } from './modules/auth/rate-limit.guard';
import { FallbackThrottlerStorage } from './modules/auth/rate-limit.storage';
import { ForkMergeModule } from './modules/fork-merge/fork-merge.module';
import { HealthModule } from './modules/health/health.module';
import { MonitoringModule } from './modules/monitoring/monitoring.module';
import { ProjectionsModule } from './modules/projections/projections.module';
import { QueryAnalyzerModule } from './modules/query-analyzer/query-analyzer.module';
import { ReinvestmentModule } from './modules/reinvestment/reinvestment.module';
import { TransactionsModule } from './modules/transactions/transactions.module';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: allConfigs }),
    InfrastructureModule,
    EventEmitterModule.forRoot(),
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY, metricsConfig.KEY],
      useFactory: (db: DatabaseConfig, metrics: MetricsConfig) =>
        buildDataSourceOptions({ ...db, timeQueries: metrics.enabled ? { slowQueryMs: db.slowQueryMs } : undefined }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY, RedisService],
      useFactory: (limits: RateLimitConfig, redis: RedisService) => ({
        throttlers: [{ ttl: limits.windowMs, limit: limits.limit }],
        storage: new FallbackThrottlerStorage(new ThrottlerStorageRedisService(redis.client)),
      }),
    }),
    CachingModule,
    AuditModule,
    AuthModule,
    AccountsModule,
    TransactionsModule,
    ForkMergeModule,
    HealthModule,
    MonitoringModule,
    AsyncTasksModule,
    ReinvestmentModule,
    AnalyticsModule,
    ProjectionsModule,
    AlertsModule,
    QueryAnalyzerModule,
  ],
  providers: [
    // Order matters: authenticate first, then count the request against the caller's key.
    { provide: APP_GUARD, useExisting: AuthGuard },
    { provide: APP_GUARD, useExisting: RateLimitGuard },
  ],
})
export class AppModule {}
