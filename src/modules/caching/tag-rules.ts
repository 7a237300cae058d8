import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { parseTag } from './domain/cache-keys';

/** Adds the tags that a set of tags implies (an account's unit, for instance). */
export type TagExpander = (tags: string[]) => Promise<string[]>;

/** Throws the route's own error (a 404) unless `reader` may read what one tag names. */
export type ReadCheck = (reader: Principal, id: string) => Promise<void>;

/**
 * What the features tell the cache about their tags: which tags one implies, and who may read what
 * a kind of tag names. The cache knows no feature; the features register these at start.
 */
@Injectable()
export class TagRules {
  private readonly expanders: TagExpander[] = [];
  private readonly readChecks = new Map<string, ReadCheck>();

  /** Features register how one tag implies others (an account's unit, for instance). */
  addExpander(expander: TagExpander): void {
    this.expanders.push(expander);
  }

  /** Features register who may read what a kind of tag names (`account`, `portfolio`, `unit`). */
  addReadCheck(kind: string, check: ReadCheck): void {
    this.readChecks.set(kind, check);
  }

  /** `tags` and every tag they imply. */
  async expand(tags: string[]): Promise<string[]> {
    const all = new Set(tags);
    for (const expander of this.expanders) for (const tag of await expander(tags)) all.add(tag);
    return [...all];
  }

  /**
   * Throws unless `reader` may read what every tag names: checked before a cached view is served,
   * since a hit skips the handler and its own check. A kind without a check refuses (a 500).
   */
  async authorize(reader: Principal, tags: string[]): Promise<void> {
    for (const tag of tags) {
      const { kind, id } = parseTag(tag);
      const check = this.readChecks.get(kind);
      if (!check) throw new Error(`no read check for tags of kind ${kind}`);
      await check(reader, id);
    }
  }
}
