import { isUUID } from 'class-validator';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { CacheService } from '../caching/cache.service';
import { cacheKey, parseTag, portfolioTag, unitTag } from '../caching/domain/cache-keys';
import { SYSTEM_READER } from '../caching/warming';
import { AccountDirectory } from './account-directory.service';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { PortfolioAccessService } from './portfolio-access.service';

/** What the cache needs to know about accounts, portfolios and who may read them. */
@Injectable()
export class AccountsCaching implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsCaching.name);

  constructor(
    private readonly cache: CacheService,
    private readonly directory: AccountDirectory,
    private readonly accounts: AccountsService,
    private readonly repository: AccountsRepository,
    private readonly access: PortfolioAccessService,
    @Inject(cacheConfig.KEY) private readonly config: CacheConfig,
  ) {}

  /** Warms the most recently active portfolios in the background: start-up does not wait. */
  onApplicationBootstrap(): void {
    if (!this.cache.enabled || this.config.warmPortfolios === 0) return;
    void this.repository
      .recentlyActivePortfolios(this.config.warmPortfolios)
      .then((ids) => this.cache.warm(ids))
      .then((n) => this.logger.log(`cache warmed with ${n} portfolios`))
      .catch((error: Error) => this.logger.warn(`cache not warmed: ${error.message}`));
  }

  onModuleInit(): void {
    // An account's views and its unit's views go together: a write to one account of a forked
    // unit drops the views of the unit (its detail, its sibling's analytics).
    this.cache.addTagExpander(async (tags) => {
      // Ids come from routes that checked them, and from committed writes; never query with another.
      const ids = tags
        .map(parseTag)
        .filter((t) => t.kind === 'account' && isUUID(t.id))
        .map((t) => t.id);
      if (ids.length === 0) return [];
      const facts = await this.directory.lookup(ids);
      return [...facts.values()].flatMap((f) => (f.unitId ? [unitTag(f.unitId)] : []));
    });
    // A cached view is served only to who may read it now, checked from the in-process lookups.
    this.cache.addReadCheck('portfolio', (reader, id) => this.access.assert(reader, id, 'read'));
    this.cache.addReadCheck('account', async (reader, id) => {
      await this.accounts.visibleAccount(reader, id, 'read');
    });
    // A grant given or revoked on any instance is forgotten by every instance at once.
    this.cache.onInvalidate((tags) => {
      for (const { kind, id } of tags.map(parseTag)) {
        if (kind !== 'grant') continue;
        const [portfolioId, userId] = id.split(':');
        this.access.forgetGrant(portfolioId, userId);
      }
    });
    this.cache.trackMaps('access', this.access.maps);
    this.cache.trackMaps('directory', this.directory.maps);
    // Warming: a portfolio's summary and its accounts, as admins and auditors read them.
    this.cache.addWarmer(async (portfolioId) => {
      const tags = [portfolioTag(portfolioId)];
      const path = `/v1/portfolios/${portfolioId}`;
      await this.cache.put('portfolio', cacheKey('portfolio', 'all', path), tags, () =>
        this.accounts.getPortfolio(SYSTEM_READER, portfolioId),
      );
      await this.cache.put(
        'portfolio',
        cacheKey('portfolio', 'all', `${path}/accounts`),
        tags,
        () => this.accounts.listAccounts(SYSTEM_READER, portfolioId, {}), // the first page, as a request without a query
      );
    });
  }
}
