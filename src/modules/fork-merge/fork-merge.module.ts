import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { AuditModule } from '../audit/audit.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { ForkMergeController } from './fork-merge.controller';
import { ForkMergeRepository } from './fork-merge.repository';
import { ForkMergeService } from './fork-merge.service';
import { GrowthChecksService } from './growth-checks.service';
import { GrowthProcessor } from './growth.processor';
import { UnitsCaching } from './units-caching';
import { UnitsService } from './units.service';

/** The growth engine: fork, merge, merge proposals, units and the family tree (docs/domain.md §5, §6). */
@Module({
  imports: [AccountsModule, TransactionsModule, AuditModule, AsyncTasksModule],
  controllers: [ForkMergeController],
  providers: [ForkMergeRepository, ForkMergeService, UnitsService, GrowthChecksService, GrowthProcessor, UnitsCaching],
  exports: [UnitsService],
})
export class ForkMergeModule {}
