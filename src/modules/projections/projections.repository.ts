import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AccountType } from '../accounts/domain/account-types';

export interface ProjectionSourceRow {
  buffer_bp: number;
  fork_threshold: string;
  merge_threshold: string;
  /** Root accounts: type, total value, baseline, configured weekly target. */
  roots: { type: AccountType; value: string; baseline: string; weeklyTargetPct: number | null }[];
  /** Active forked units in creation order (units.seq): GEN value and baseline, COM value. */
  units: { gen: string; baseline: string; com: string }[];
}

@Injectable()
export class ProjectionsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A portfolio's current state for a projection, in one round trip; undefined if it does not exist. */
  async loadSource(portfolioId: string): Promise<ProjectionSourceRow | undefined> {
    const rows: ProjectionSourceRow[] = await this.db.query(
      `SELECT p.buffer_bp, p.fork_threshold::text, p.merge_threshold::text,
              (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'type', a.type,
                        'value', (a.cash + a.contracts + a.leaps)::text,
                        'baseline', a.baseline::text,
                        'weeklyTargetPct', a.config -> 'weeklyTargetPct')), '[]'::jsonb)
                 FROM accounts a WHERE a.portfolio_id = p.id AND a.unit_id IS NULL) AS roots,
              (SELECT coalesce(jsonb_agg(jsonb_build_object(
                        'gen', (g.cash + g.contracts + g.leaps)::text,
                        'baseline', g.baseline::text,
                        'com', (c.cash + c.contracts + c.leaps)::text) ORDER BY u.seq), '[]'::jsonb)
                 FROM units u
                 JOIN accounts g ON g.id = u.gen_account_id
                 JOIN accounts c ON c.id = u.com_account_id
                WHERE u.portfolio_id = p.id AND u.status = 'ACTIVE') AS units
         FROM portfolios p WHERE p.id = $1`,
      [portfolioId],
    );
    return rows[0];
  }
}
