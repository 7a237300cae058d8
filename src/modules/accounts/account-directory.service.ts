import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { accessConfig, type AccessConfig } from '../../config/configuration';
import { AccountFacts, AccountsRepository } from './accounts.repository';

/**
 * Immutable facts about accounts (portfolio, owner, type, creation time) and the portfolio of
 * each forked unit, cached in process so that the write path and the read cache can authorise
 * without a database round trip. Bounded: the least recently used go first. Unknown ids are not
 * remembered, so ids that do not exist never take the place of those that do.
 */
@Injectable()
export class AccountDirectory {
  private readonly facts: LRUCache<string, AccountFacts>;
  /** Unit id → portfolio id. */
  private readonly units: LRUCache<string, string>;

  constructor(
    private readonly repository: AccountsRepository,
    @Inject(accessConfig.KEY) config: AccessConfig,
  ) {
    this.facts = new LRUCache({ max: config.maxEntries });
    this.units = new LRUCache({ max: config.maxEntries });
  }

  /** The bounded maps, for the cache statistics. */
  get maps() {
    return { accounts: this.facts, units: this.units } as const;
  }

  /** Facts for each id that exists; unknown ids are simply absent from the result. */
  async lookup(ids: readonly string[]): Promise<Map<string, AccountFacts>> {
    const found = new Map<string, AccountFacts>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = this.facts.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    if (missing.length) {
      for (const fact of await this.repository.accountFacts(missing)) {
        this.facts.set(fact.id, fact);
        found.set(fact.id, fact);
      }
    }
    return found;
  }

  /** The portfolio of a forked unit; undefined when there is no such unit. */
  async portfolioOfUnit(unitId: string): Promise<string | undefined> {
    const cached = this.units.get(unitId);
    if (cached) return cached;
    const portfolioId = await this.repository.unitPortfolio(unitId);
    if (portfolioId) this.units.set(unitId, portfolioId);
    return portfolioId;
  }
}
