import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the keyset-paginated lists: every user and every portfolio in creation order (the
 * admin lists), and a manager's portfolios in that same order, id included, so that a page
 * after a cursor starts where the index says instead of sorting what precedes it.
 */
export class ListPages1764810000000 implements MigrationInterface {
  name = 'ListPages1764810000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX users_created_at_idx ON users (created_at, id);
      CREATE INDEX portfolios_created_at_idx ON portfolios (created_at, id);
      DROP INDEX portfolios_owner_id_idx;
      CREATE INDEX portfolios_owner_id_idx ON portfolios (owner_id, created_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX users_created_at_idx;
      DROP INDEX portfolios_created_at_idx;
      DROP INDEX portfolios_owner_id_idx;
      CREATE INDEX portfolios_owner_id_idx ON portfolios (owner_id, created_at);
    `);
  }
}
