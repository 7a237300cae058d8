import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { AsyncTasksModule } from '../async-tasks/async-tasks.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { ImportHousekeeping } from './imports/import-housekeeping.service';
import { ImportRunner } from './imports/import-runner.service';
import { ImportProcessor } from './imports/import.processor';
import { ImportsController } from './imports/imports.controller';
import { ImportsRepository } from './imports/imports.repository';
import { ImportsService } from './imports/imports.service';
import { LedgerVerificationController } from './ledger-verification/ledger-verification.controller';
import { LedgerVerificationProcessor } from './ledger-verification/ledger-verification.processor';
import { LedgerVerificationRepository } from './ledger-verification/ledger-verification.repository';
import { LedgerVerificationService } from './ledger-verification/ledger-verification.service';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LedgerWriter } from './ledger-writer.service';
import { MovementsController } from './movements.controller';
import { PortfolioOpeningController } from './portfolio-opening.controller';
import { PortfolioOpeningService } from './portfolio-opening.service';

@Module({
  imports: [AccountsModule, AuditModule, AuthModule, AsyncTasksModule],
  controllers: [PortfolioOpeningController, MovementsController, ImportsController, LedgerVerificationController],
  providers: [
    LedgerRepository,
    LedgerWriter,
    LedgerService,
    PortfolioOpeningService,
    ImportsRepository,
    ImportsService,
    ImportRunner,
    ImportHousekeeping,
    ImportProcessor,
    LedgerVerificationRepository,
    LedgerVerificationService,
    LedgerVerificationProcessor,
  ],
  exports: [LedgerRepository, LedgerService],
})
export class TransactionsModule {}
