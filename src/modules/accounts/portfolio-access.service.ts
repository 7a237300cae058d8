import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { AppError, forbidden } from '@app/errors';
import { accessConfig, type AccessConfig } from '../../config/configuration';
import type { GrantRole } from './domain/account-types';
import type { Principal } from '../auth/principal';
import { portfolioNotFound } from './accounts.errors';
import { AccountsRepository } from './accounts.repository';

/** read: see it; move: post movements and growth operations; manage: configure it and grant access. */
export type PortfolioAction = 'read' | 'move' | 'manage';

/**
 * Grants change rarely. A revoked grant stops working at once here and, through the cache's
 * invalidations, on every other instance; this TTL bounds it while those cannot be heard.
 */
const GRANT_TTL_MS = 5_000;

/**
 * Decides what a caller may do in a portfolio (docs/domain.md §10). A portfolio the caller may not see
 * answers 404 (it does not exist for them); one they see but may not change answers 403.
 */
@Injectable()
export class PortfolioAccessService {
  /** Portfolio id → owner id (immutable); bounded, least recently used first out. */
  private readonly owners: LRUCache<string, string>;
  /** `<portfolio id>:<user id>` → the grant, or none. */
  private readonly grants: LRUCache<string, { role?: GrantRole }>;
  /** Bumped by every forgotten grant: a lookup that started before must not store what it read. */
  private grantsVersion = 0;

  constructor(
    private readonly repository: AccountsRepository,
    @Inject(accessConfig.KEY) config: AccessConfig,
  ) {
    this.owners = new LRUCache({ max: config.maxEntries });
    this.grants = new LRUCache({ max: config.maxEntries, ttl: GRANT_TTL_MS });
  }

  /** The bounded maps, for the cache statistics. */
  get maps() {
    return { owners: this.owners, grants: this.grants } as const;
  }

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

  /** Forgets a cached grant after it changed (here, or on another instance). */
  forgetGrant(portfolioId: string, userId: string): void {
    this.grantsVersion++;
    this.grants.delete(`${portfolioId}:${userId}`);
  }

  private async ownerOf(portfolioId: string, known?: string): Promise<string | undefined> {
    if (known) return known;
    const cached = this.owners.get(portfolioId);
    if (cached) return cached;
    const portfolio = await this.repository.findPortfolio(portfolioId);
    if (!portfolio) return undefined;
    this.owners.set(portfolioId, portfolio.owner_id);
    return portfolio.owner_id;
  }

  private async grantOf(portfolioId: string, userId: string): Promise<GrantRole | undefined> {
    const key = `${portfolioId}:${userId}`;
    const cached = this.grants.get(key);
    if (cached) return cached.role;
    const version = this.grantsVersion;
    const role = await this.repository.findGrant(portfolioId, userId);
    if (version === this.grantsVersion) this.grants.set(key, { role });
    return role;
  }
}
