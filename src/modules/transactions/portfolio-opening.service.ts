import { Injectable } from '@nestjs/common';
import { uuid7 } from '../../common/uuid7';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { forbidden } from '@app/errors';
import { toCents } from '@app/money';
import { requestHash } from '../../common/idempotency';
import { currentContext } from '../../common/request-context';
import { mergeThresholdNotAboveFork } from '../accounts/accounts.errors';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AccountsService } from '../accounts/accounts.service';
import { DEFAULT_CONFIG } from '../accounts/domain/account-config';
import { ACCOUNT_TYPES, type AccountType } from '../accounts/domain/account-types';
import {
  DEFAULT_FORK_THRESHOLD,
  DEFAULT_MERGE_MODE,
  DEFAULT_MERGE_THRESHOLD,
  resolveAllocation,
} from '../accounts/domain/templates';
import type { CreatedPortfolioView } from '../accounts/dto/account.view';
import { toAccountView } from '../accounts/views';
import { AuditService } from '../audit/audit.service';
import type { Principal } from '../auth/principal';
import { planOpeningDeposit } from './domain/opening';
import type { CreatePortfolioDto } from './dto/create-portfolio.dto';
import { announcePosted } from './ledger.events';
import type { PlannedTransaction } from './domain/ledger.types';
import { LedgerRepository } from './ledger.repository';

/** Thrown inside the transaction to roll back a duplicate opening and answer with the first one. */
class Replayed extends Error {
  constructor(readonly portfolioId: string) {
    super('replayed');
  }
}

/**
 * Opens a portfolio: the portfolio, its three root accounts and the DEPOSIT of the initial
 * capital split across them, in one database transaction (docs/domain.md §2). It lives on the ledger's
 * side because it needs both portfolios and postings.
 */
@Injectable()
export class PortfolioOpeningService {
  constructor(
    private readonly accounts: AccountsRepository,
    private readonly accountsService: AccountsService,
    private readonly ledger: LedgerRepository,
    private readonly audit: AuditService,
    private readonly events: EventEmitter2,
  ) {}

  async open(principal: Principal, dto: CreatePortfolioDto, idempotencyKey?: string): Promise<CreatedPortfolioView> {
    if (principal.role !== 'admin' && principal.role !== 'manager') {
      throw forbidden('only managers and admins create portfolios');
    }
    const allocation = resolveAllocation(dto.template, dto.allocation);
    const forkThreshold = dto.forkThreshold ? toCents(dto.forkThreshold) : DEFAULT_FORK_THRESHOLD;
    const mergeThreshold = dto.mergeThreshold ? toCents(dto.mergeThreshold) : DEFAULT_MERGE_THRESHOLD;
    if (mergeThreshold <= forkThreshold) throw mergeThresholdNotAboveFork();
    const capital = toCents(dto.initialCapital);
    const context = currentContext();

    let opened: { portfolioId: string; plan: PlannedTransaction };
    try {
      opened = await this.accounts.transaction(async (m) => {
        const portfolio = await this.accounts.insertPortfolio(m, {
          ownerId: principal.userId,
          name: dto.name.trim(),
          template: dto.template ?? (dto.allocation ? 'custom' : 'moderate'),
          allocation,
          forkThreshold,
          mergeThreshold,
          mergeMode: dto.mergeMode ?? DEFAULT_MERGE_MODE,
        });
        const roots = await this.accounts.insertAccounts(
          m,
          portfolio.id,
          ACCOUNT_TYPES.map((type) => ({ type, bufferBp: allocation.bufferBp, config: DEFAULT_CONFIG[type] })),
        );
        const ids = Object.fromEntries(roots.map((a) => [a.type, a.id])) as Record<AccountType, string>;
        const plan = planOpeningDeposit(uuid7(), portfolio.id, capital, allocation, ids);
        const result = await this.ledger.post(
          {
            action: 'portfolio.open',
            actorId: principal.userId,
            correlationId: context?.correlationId,
            ip: context?.ip,
            idempotencyKey,
            requestHash: idempotencyKey ? requestHash('portfolio.open', dto) : undefined,
            transactions: [plan],
          },
          m,
        );
        if (result.replayed) {
          const [first] = await this.ledger.findTransactions(result.transactionIds, m);
          throw new Replayed(first.portfolio_id);
        }
        await this.audit.record(
          {
            action: 'portfolio.create',
            entityType: 'portfolio',
            entityId: portfolio.id,
            portfolioId: portfolio.id,
            details: { ...dto, accounts: ids },
          },
          m,
        );
        return { portfolioId: portfolio.id, plan };
      });
    } catch (error) {
      if (error instanceof Replayed) return this.view(principal, error.portfolioId);
      throw error;
    }
    await announcePosted(this.events, [opened.plan]);
    return this.view(principal, opened.portfolioId);
  }

  private async view(principal: Principal, portfolioId: string): Promise<CreatedPortfolioView> {
    const [detail, accounts] = await Promise.all([
      this.accountsService.getPortfolio(principal, portfolioId),
      this.accounts.listAccounts(portfolioId),
    ]);
    return { ...detail, accounts: accounts.map(toAccountView) };
  }
}
