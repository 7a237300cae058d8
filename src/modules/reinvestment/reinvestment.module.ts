import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { TransactionsModule } from '../transactions/transactions.module';
import { ReinvestmentController } from './reinvestment.controller';
import { ReinvestmentProcessor } from './reinvestment.processor';
import { ReinvestmentRepository } from './reinvestment.repository';
import { ReinvestmentService } from './reinvestment.service';

/** docs/domain.md §7: quarterly and requested reinvestment of REV and COM accounts, and closing positions. */
@Module({
  imports: [AccountsModule, TransactionsModule, AsyncTasksModule],
  controllers: [ReinvestmentController],
  providers: [ReinvestmentRepository, ReinvestmentService, ReinvestmentProcessor],
  exports: [ReinvestmentService],
})
export class ReinvestmentModule {}
