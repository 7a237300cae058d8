import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface BookCountRow {
  what: 'account' | 'portfolio' | 'unit';
  type: string | null;
  status: string | null;
  n: number;
}

/** The size of the book, for the gauges: accounts by type and status, portfolios, units by status. */
@Injectable()
export class BookCountsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** One round trip; each part is a count over one table (a sequential or index-only scan). */
  counts(): Promise<BookCountRow[]> {
    return this.dataSource.query(`
      SELECT 'account' AS what, type, status, count(*)::int AS n FROM accounts GROUP BY type, status
      UNION ALL
      SELECT 'portfolio', NULL, NULL, count(*)::int FROM portfolios
      UNION ALL
      SELECT 'unit', NULL, status, count(*)::int FROM units GROUP BY status`);
  }
}
