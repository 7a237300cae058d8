import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AccountsCaching } from './accounts-caching';
import { AccountDirectory } from './account-directory.service';
import { AccountsController } from './accounts.controller';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { PortfolioAccessService } from './portfolio-access.service';
import { PortfoliosController } from './portfolios.controller';

@Module({
  imports: [AuditModule],
  controllers: [PortfoliosController, AccountsController],
  providers: [AccountsRepository, AccountsService, PortfolioAccessService, AccountDirectory, AccountsCaching],
  exports: [AccountsRepository, AccountsService, PortfolioAccessService, AccountDirectory],
})
export class AccountsModule {}
