export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** One page of a list keyed by row ids: the rows after the one `after` names, at most `limit`. */
export interface PageRequest {
  after?: string;
  limit: number;
}

/**
 * Keyset pagination: the query asks for one row more than the page; when it comes back, there is a
 * next page, which starts after the last row shown.
 */
export async function keysetPage<Row, View>(
  limit: number,
  fetch: (limitPlusOne: number) => Promise<Row[]>,
  cursorOf: (row: Row) => string,
  toView: (row: Row) => View,
): Promise<Page<View>> {
  const rows = await fetch(limit + 1);
  const page = rows.slice(0, limit);
  return { items: page.map(toView), nextCursor: rows.length > limit ? cursorOf(page[page.length - 1]) : null };
}
