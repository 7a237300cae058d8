import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { PortfolioChangedEvent } from '../accounts/accounts.events';
import { LedgerPostedEvent } from '../transactions/ledger.events';
import { CacheService } from './cache.service';
import { accountTag, grantTag, portfolioTag } from './domain/cache-keys';

/**
 * Drops the cached views a committed change affects: its portfolios and its accounts (and what they
 * imply); a changed grant goes too, so that every instance forgets it.
 */
@Injectable()
export class CacheInvalidationListener {
  private readonly logger = new Logger(CacheInvalidationListener.name);

  constructor(private readonly cache: CacheService) {}

  @OnEvent(LedgerPostedEvent.topic)
  onPosted(event: LedgerPostedEvent): Promise<void> {
    return this.drop([...event.portfolioIds.map(portfolioTag), ...event.accountIds.map(accountTag)]);
  }

  @OnEvent(PortfolioChangedEvent.topic)
  onChanged(event: PortfolioChangedEvent): Promise<void> {
    return this.drop([
      portfolioTag(event.portfolioId),
      ...event.accountIds.map(accountTag),
      ...event.granteeIds.map((userId) => grantTag(event.portfolioId, userId)),
    ]);
  }

  private async drop(tags: string[]): Promise<void> {
    try {
      await this.cache.invalidate(tags);
    } catch (error) {
      this.logger.warn(`cache invalidation failed: ${(error as Error).message}`);
    }
  }
}
