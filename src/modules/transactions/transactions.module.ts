import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AuditModule } from '../audit/audit.module';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LedgerWriter } from './ledger-writer.service';
import { MovementsController } from './movements.controller';
import { PortfolioOpeningController } from './portfolio-opening.controller';
import { PortfolioOpeningService } from './portfolio-opening.service';

@Module({
  imports: [AccountsModule, AuditModule],
  controllers: [PortfolioOpeningController, MovementsController],
  providers: [LedgerRepository, LedgerWriter, LedgerService, PortfolioOpeningService],
  exports: [LedgerRepository, LedgerService],
})
export class TransactionsModule {}
