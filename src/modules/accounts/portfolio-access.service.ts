import { Injectable } from '@nestjs/common';
import { AppError, forbidden } from '@app/errors';
import type { Principal } from '../auth/principal';
import { portfolioNotFound } from './accounts.errors';
import { AccountsRepository } from './accounts.repository';

/** read: see it; move: post movements and growth operations; manage: configure it and grant access. */
export type PortfolioAction = 'read' | 'move' | 'manage';

/** Grants change rarely; a revoked grant stops working here at once and elsewhere within this TTL. */
const GRANT_TTL_MS = 5_000;
const CACHE_MAX = 50_000;

/**
 * Decides what a caller may do in a portfolio (domain.md §10). A portfolio the caller may not see
 * answers 404 (it does not exist for them); one they see but may not change answers 403.
 */
@Injectable()
export class PortfolioAccessService {
  private readonly owners = new Map<string, string>(); // portfolio id → owner id (immutable)
  private readonly grants = new Map<string, { role?: 'operator' | 'viewer'; expires: number }>();

  constructor(private readonly repository: AccountsRepository) {}

  async assert(principal: Principal, portfolioId: string, action: PortfolioAction, ownerId?: string): Promise<void> {
    switch (principal.role) {
      case 'admin':
        if (!(await this.ownerOf(portfolioId, ownerId))) throw portfolioNotFound(portfolioId);
        return;
      case 'auditor':
        if (!(await this.ownerOf(portfolioId, ownerId))) throw portfolioNotFound(portfolioId);
        if (action !== 'read') throw forbidden('auditors may read but not change anything');
        return;
      case 'manager':
        if ((await this.ownerOf(portfolioId, ownerId)) !== principal.userId) throw portfolioNotFound(portfolioId);
        return;
      case 'operator':
      case 'viewer': {
        const grant = await this.grantOf(portfolioId, principal.userId);
        if (!grant) throw portfolioNotFound(portfolioId);
        if (action === 'manage') throw forbidden('only the owning manager or an admin may manage a portfolio');
        if (action === 'move' && grant !== 'operator') throw forbidden('viewers may read but not change anything');
        return;
      }
    }
  }

  /**
   * Like assert, for something inside the portfolio (an account, a transaction): when the
   * portfolio is invisible to the caller, that thing answers its own not-found error.
   */
  async assertWithin(
    principal: Principal,
    portfolioId: string,
    action: PortfolioAction,
    hidden: () => AppError,
    ownerId?: string,
  ): Promise<void> {
    try {
      await this.assert(principal, portfolioId, action, ownerId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'PORTFOLIO_NOT_FOUND') throw hidden();
      throw error;
    }
  }

  /** Forgets a cached grant after it changed here. */
  forgetGrant(portfolioId: string, userId: string): void {
    this.grants.delete(`${portfolioId}:${userId}`);
  }

  private async ownerOf(portfolioId: string, known?: string): Promise<string | undefined> {
    if (known) return known;
    const cached = this.owners.get(portfolioId);
    if (cached) return cached;
    const portfolio = await this.repository.findPortfolio(portfolioId);
    if (!portfolio) return undefined;
    if (this.owners.size >= CACHE_MAX) this.owners.clear();
    this.owners.set(portfolioId, portfolio.owner_id);
    return portfolio.owner_id;
  }

  private async grantOf(portfolioId: string, userId: string) {
    const key = `${portfolioId}:${userId}`;
    const now = Date.now();
    const cached = this.grants.get(key);
    if (cached && cached.expires > now) return cached.role;
    const role = await this.repository.findGrant(portfolioId, userId);
    if (this.grants.size >= CACHE_MAX) this.grants.clear();
    this.grants.set(key, { role, expires: now + GRANT_TTL_MS });
    return role;
  }
}
