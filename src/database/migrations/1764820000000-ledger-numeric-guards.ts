import { MigrationInterface, QueryRunner } from 'typeorm';
import { loadSqlFunction } from '../functions/sql-function';
import { LEDGER_POST_FUNCTION as LEDGER_POST_BIGINT } from './1764400000000-initial-schema';

/**
 * `ledger_post` with its guards computed in numeric: the available-cash guard multiplied an
 * account's total value by its buffer in bigint, which overflowed (a 500) for any account above
 * about 46 trillion dollars; the window sums and the net deltas were cast back to bigint, which
 * overflowed near bigint's own limit. Now nothing is cast before it is checked, and a movement that
 * would take an account's total value (or a GEN baseline) above what a bigint column holds
 * (92,233,720,368,547,758.07) is refused with BALANCE_LIMIT_EXCEEDED. An account's total value
 * therefore always fits a bigint, so code that adds one account's pockets in SQL cannot overflow.
 *
 * It installs `src/database/functions/ledger_post.sql`, the function's current source, which
 * describes it; the hash pins the version this migration was written for.
 */
export const LEDGER_POST_SHA256 = 'e5b53a09d129d8b3e558ef0d9d1ea8408fbfaf681b51158b52f401ba99e61899';

export class LedgerNumericGuards1764820000000 implements MigrationInterface {
  name = 'LedgerNumericGuards1764820000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(loadSqlFunction('ledger_post', LEDGER_POST_SHA256));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(LEDGER_POST_BIGINT.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
  }
}
