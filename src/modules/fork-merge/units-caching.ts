import { Injectable, OnModuleInit } from '@nestjs/common';
import { CacheService } from '../caching/cache.service';
import { cacheKey, portfolioTag } from '../caching/domain/cache-keys';
import { SYSTEM_READER } from '../caching/warming';
import { UnitsService } from './units.service';

/** Warming: a portfolio's family tree, as admins and auditors read it. */
@Injectable()
export class UnitsCaching implements OnModuleInit {
  constructor(
    private readonly cache: CacheService,
    private readonly units: UnitsService,
  ) {}

  onModuleInit(): void {
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
