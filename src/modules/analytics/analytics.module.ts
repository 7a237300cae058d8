import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { ForkMergeModule } from '../fork-merge/fork-merge.module';
import { AnalyticsController } from './analytics.controller';
import { AnalyticsRepository } from './analytics.repository';
import { AnalyticsService } from './analytics.service';

@Module({
  imports: [AccountsModule, ForkMergeModule],
  controllers: [AnalyticsController],
  providers: [AnalyticsRepository, AnalyticsService],
  exports: [AnalyticsService],
})
export class AnalyticsModule {}
