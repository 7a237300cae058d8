import type { Type } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { Page } from './pagination';

/**
 * The documented shape of a page of `item` (`{items, nextCursor}`), to extend with a named class:
 * `class UserPageView extends PageView(UserView) {}`.
 */
export function PageView<T>(item: Type<T>) {
  class PageOf implements Page<T> {
    @ApiProperty({ type: [item] }) items: T[];
    @ApiProperty({ nullable: true, type: String, description: 'pass as cursor for the next page; null on the last' })
    nextCursor: string | null;
  }
  return PageOf;
}
