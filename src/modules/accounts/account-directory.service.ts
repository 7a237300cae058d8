import { Injectable } from '@nestjs/common';
import { AccountFacts, AccountsRepository } from './accounts.repository';

const CACHE_MAX = 100_000;

/**
 * Immutable facts about accounts (portfolio, owner, type, creation time), cached in process so
 * the write path can authorise and plan a movement without a database round trip.
 */
@Injectable()
export class AccountDirectory {
  private readonly facts = new Map<string, AccountFacts>();

  constructor(private readonly repository: AccountsRepository) {}

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
      if (this.facts.size + missing.length > CACHE_MAX) this.facts.clear();
      for (const fact of await this.repository.accountFacts(missing)) {
        this.facts.set(fact.id, fact);
        found.set(fact.id, fact);
      }
    }
    return found;
  }
}
