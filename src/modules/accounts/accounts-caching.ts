import { isUUID } from 'class-validator';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { cacheConfig, type CacheConfig } from '../../config/configuration';
import { CacheService } from '../caching/cache.service';
import { CacheWarming } from '../caching/cache-warming';
import { cachedRoute } from '../caching/cached-route';
import { parseTag, unitTag } from '../caching/domain/cache-keys';
import { TagRules } from '../caching/tag-rules';
import { TagTokens } from '../caching/tag-tokens';
import { AccountDirectory } from './account-directory.service';
import { AccountsRepository } from './accounts.repository';
import { AccountsService } from './accounts.service';
import { PortfolioAccessService } from './portfolio-access.service';
import { PortfoliosController } from './portfolios.controller';

/** What the cache needs to know about accounts, portfolios and who may read them. */
@Injectable()
export class AccountsCaching implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsCaching.name);

  constructor(
    private readonly cache: CacheService,
    private readonly rules: TagRules,
    private readonly tokens: TagTokens,
    private readonly warming: CacheWarming,
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
      .then((ids) => this.warming.warm(ids))
      .then((n) => this.logger.log(`cache warmed with ${n} portfolios`))
      .catch((error: Error) => this.logger.warn(`cache not warmed: ${error.message}`));
  }

  onModuleInit(): void {
    // An account's views and its unit's views go together: a write to one account of a forked
    // unit drops the views of the unit (its detail, its sibling's analytics).
    this.rules.addExpander(async (tags) => {
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
    this.rules.addReadCheck('portfolio', (reader, id) => this.access.assert(reader, id, 'read'));
    this.rules.addReadCheck('account', async (reader, id) => {
      await this.accounts.visibleAccount(reader, id, 'read');
    });
    // A grant given or revoked on any instance is forgotten by every instance at once.
    this.tokens.onInvalidate((tags) => {
      for (const { kind, id } of tags.map(parseTag)) {
        if (kind !== 'grant') continue;
        const [portfolioId, userId] = id.split(':');
        this.access.forgetGrant(portfolioId, userId);
      }
    });
    this.cache.trackMaps('access', this.access.maps);
    this.cache.trackMaps('directory', this.directory.maps);
    // Warming: a portfolio's summary and its accounts (the first page, as a request without a query).
    this.warming.add(cachedRoute(PortfoliosController, 'get'), (reader, id) => this.accounts.getPortfolio(reader, id));
    this.warming.add(cachedRoute(PortfoliosController, 'listAccounts'), (reader, id) =>
      this.accounts.listAccounts(reader, id, {}),
    );
  }
}
