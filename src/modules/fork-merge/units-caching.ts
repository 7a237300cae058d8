import { Injectable, OnModuleInit } from '@nestjs/common';
import { AccountDirectory } from '../accounts/account-directory.service';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import { CacheWarming } from '../caching/cache-warming';
import { cachedRoute } from '../caching/cached-route';
import { TagRules } from '../caching/tag-rules';
import { ForkMergeController } from './fork-merge.controller';
import { unitNotFound } from './fork-merge.errors';
import { UnitsService } from './units.service';

/** Who may read a unit's cached views, and warming: a portfolio's family tree, as admins and auditors read it. */
@Injectable()
export class UnitsCaching implements OnModuleInit {
  constructor(
    private readonly rules: TagRules,
    private readonly warming: CacheWarming,
    private readonly units: UnitsService,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
  ) {}

  onModuleInit(): void {
    this.rules.addReadCheck('unit', async (reader, id) => {
      const portfolioId = await this.directory.portfolioOfUnit(id);
      if (!portfolioId) throw unitNotFound(id);
      await this.access.assertWithin(reader, portfolioId, 'read', () => unitNotFound(id));
    });
    this.warming.add(cachedRoute(ForkMergeController, 'tree'), (reader, id) => this.units.tree(reader, id));
  }
}
