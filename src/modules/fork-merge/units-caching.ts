import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountDirectory } from '../accounts/account-directory.service';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import { CacheService } from '../caching/cache.service';
import { cacheKey, portfolioTag } from '../caching/domain/cache-keys';
import { SYSTEM_READER } from '../caching/warming';
import { unitNotFound } from './fork-merge.errors';
import { UnitsService } from './units.service';

/** Who may read a unit's cached views, and warming: a portfolio's family tree, as admins and auditors read it. */
@Injectable()
export class UnitsCaching implements OnModuleInit {
  constructor(
    private readonly cache: CacheService,
    private readonly units: UnitsService,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
  ) {}

  onModuleInit(): void {
    this.cache.addReadCheck('unit', async (reader, id) => {
      const portfolioId = await this.directory.portfolioOfUnit(id);
      if (!portfolioId) throw unitNotFound(id);
      await this.access.assertWithin(reader, portfolioId, 'read', () => unitNotFound(id));
    });
    this.cache.addWarmer((portfolioId) =>
      this.cache.put(
        'units',
        cacheKey('units', 'all', `/v1/portfolios/${portfolioId}/tree`),
        [portfolioTag(portfolioId)],
        () => this.units.tree(SYSTEM_READER, portfolioId),
      ),
    );
  }
}
