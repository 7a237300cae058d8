import { Injectable } from '@nestjs/common';
import { DEFAULT_PAGE_LIMIT, type IdPageQuery } from '../../common/page-query';
import { keysetPage, type Page } from '../../common/pagination';
import { AuditService } from '../audit/audit.service';
import { userNotFound } from '../auth/auth.errors';
import type { Principal } from '../auth/principal';
import { AccountDirectory } from './account-directory.service';
import { accountNotFound, grantNotAllowed, grantNotFound, portfolioNotFound } from './accounts.errors';
import { AccountsRepository, type AccountFacts, type PortfolioScope } from './accounts.repository';
import { applyConfigPatch } from './domain/account-config';
import type { GrantRole } from './domain/account-types';
import { accountFigures } from './domain/balances';
import { percentToBasisPoints } from './domain/percent';
import { assertStatusChange } from './domain/status';
import type { AccountView, GrantView, PortfolioDetailView, PortfolioView } from './dto/account.view';
import type { UpdateAccountDto } from './dto/update-account.dto';
import { PortfolioAccessService, type PortfolioAction } from './portfolio-access.service';
import { toAccountView, toPortfolioView, toTotalsView } from './views';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { PortfolioChangedEvent } from './accounts.events';

/** Reads of portfolios and accounts, account configuration, and access grants. */
@Injectable()
export class AccountsService {
  constructor(
    private readonly repository: AccountsRepository,
    private readonly access: PortfolioAccessService,
    private readonly directory: AccountDirectory,
    private readonly audit: AuditService,
    private readonly events: EventEmitter2,
  ) {}

  /** The caller's portfolios, oldest first, a page at a time: all of them for admins and auditors. */
  async listPortfolios(principal: Principal, q: IdPageQuery): Promise<Page<PortfolioView>> {
    const scope: PortfolioScope =
      principal.role === 'admin' || principal.role === 'auditor'
        ? { all: true }
        : principal.role === 'manager'
          ? { ownerId: principal.userId }
          : { granteeId: principal.userId };
    return keysetPage(
      q.limit ?? DEFAULT_PAGE_LIMIT,
      (limit) => this.repository.listPortfolios(scope, { after: q.cursor, limit }),
      (row) => row.id,
      toPortfolioView,
    );
  }

  async getPortfolio(principal: Principal, id: string): Promise<PortfolioDetailView> {
    await this.access.assert(principal, id, 'read');
    const portfolio = await this.repository.findPortfolio(id);
    if (!portfolio) throw portfolioNotFound(id);
    return { ...toPortfolioView(portfolio), totals: toTotalsView(await this.repository.totalsByType(id)) };
  }

  /** A portfolio's accounts, root accounts first, a page at a time. */
  async listAccounts(principal: Principal, portfolioId: string, q: IdPageQuery): Promise<Page<AccountView>> {
    await this.access.assert(principal, portfolioId, 'read');
    return keysetPage(
      q.limit ?? DEFAULT_PAGE_LIMIT,
      (limit) => this.repository.listAccounts(portfolioId, { after: q.cursor, limit }),
      (row) => row.id,
      toAccountView,
    );
  }

  async getAccount(principal: Principal, id: string): Promise<AccountView> {
    const row = await this.repository.findAccount(id);
    if (!row) throw accountNotFound(id);
    await this.access.assertWithin(principal, row.portfolio_id, 'read', () => accountNotFound(id));
    return toAccountView(row);
  }

  /** The facts of an account the caller may act on; ACCOUNT_NOT_FOUND when it is not there for them. */
  async visibleAccount(principal: Principal, id: string, action: PortfolioAction): Promise<AccountFacts> {
    const fact = (await this.directory.lookup([id])).get(id);
    if (!fact) throw accountNotFound(id);
    await this.access.assertWithin(principal, fact.portfolioId, action, () => accountNotFound(id), fact.ownerId);
    return fact;
  }

  /** Reconfigures an account and/or changes its status, under a row lock (docs/domain.md §1). */
  async updateAccount(principal: Principal, id: string, patch: UpdateAccountDto): Promise<AccountView> {
    await this.visibleAccount(principal, id, 'manage');
    const { status, bufferPct, ...configPatch } = patch;
    const updated = await this.repository.transaction(async (m) => {
      const row = (await this.repository.findAccount(id, m, true))!;
      const config = applyConfigPatch(row.config, configPatch);
      const bufferBp = bufferPct === undefined ? row.buffer_bp : percentToBasisPoints(bufferPct)!;
      const nextStatus = status ?? row.status;
      const pockets = { cash: BigInt(row.cash), contracts: BigInt(row.contracts), leaps: BigInt(row.leaps) };
      assertStatusChange(row.status, nextStatus, accountFigures(pockets, row.buffer_bp).total);
      const result = await this.repository.updateAccount(m, id, { status: nextStatus, bufferBp, config });
      await this.audit.record(
        {
          action: 'account.update',
          entityType: 'account',
          entityId: id,
          portfolioId: row.portfolio_id,
          details: { change: patch, before: { status: row.status, bufferBp: row.buffer_bp, config: row.config } },
        },
        m,
      );
      return result;
    });
    await this.changed(updated.portfolio_id, [id]);
    return toAccountView(updated);
  }

  async listGrants(principal: Principal, portfolioId: string): Promise<GrantView[]> {
    await this.access.assert(principal, portfolioId, 'manage');
    return (await this.repository.listGrants(portfolioId)).map((g) => ({
      userId: g.user_id,
      role: g.role,
      grantedBy: g.granted_by,
      createdAt: g.created_at.toISOString(),
    }));
  }

  /** Gives a user operator or viewer access to a portfolio; the user's own role must allow it. */
  async grant(principal: Principal, portfolioId: string, userId: string, role: GrantRole) {
    await this.access.assert(principal, portfolioId, 'manage');
    const userRole = await this.repository.findUserRole(userId);
    if (!userRole) throw userNotFound(userId);
    if (userRole !== 'operator' && userRole !== 'viewer') {
      throw grantNotAllowed(`only operators and viewers are granted access; this user is a ${userRole}`);
    }
    if (userRole === 'viewer' && role === 'operator') {
      throw grantNotAllowed('a viewer cannot be granted operator access');
    }
    await this.repository.transaction(async (m) => {
      await this.repository.upsertGrant(m, portfolioId, userId, role, principal.userId);
      await this.audit.record(
        { action: 'grant.create', entityType: 'grant', entityId: userId, portfolioId, details: { userId, role } },
        m,
      );
    });
    this.access.forgetGrant(portfolioId, userId);
    await this.changed(portfolioId, [], [userId]);
    return (await this.listGrants(principal, portfolioId)).find((g) => g.userId === userId)!;
  }

  async revokeGrant(principal: Principal, portfolioId: string, userId: string): Promise<void> {
    await this.access.assert(principal, portfolioId, 'manage');
    await this.repository.transaction(async (m) => {
      if (!(await this.repository.deleteGrant(m, portfolioId, userId))) throw grantNotFound(portfolioId, userId);
      await this.audit.record({ action: 'grant.revoke', entityType: 'grant', entityId: userId, portfolioId }, m);
    });
    this.access.forgetGrant(portfolioId, userId);
    await this.changed(portfolioId, [], [userId]);
  }

  /** After commit, and before answering: caches drop what the change affects, on every instance. */
  private async changed(portfolioId: string, accountIds: string[] = [], granteeIds: string[] = []): Promise<void> {
    await this.events.emitAsync(
      PortfolioChangedEvent.topic,
      new PortfolioChangedEvent(portfolioId, accountIds, granteeIds),
    );
  }
}
