import { readFileSync } from 'node:fs';
import type { QueryRunner } from 'typeorm';
import { MIGRATIONS } from '../data-source';
import { loadSqlFunction, sqlFunctionPath } from './sql-function';

/** Every statement the migrations run, in order, as their `up` sends them (nothing is executed). */
async function migrationStatements(): Promise<{ migration: string; sql: string }[]> {
  const statements: { migration: string; sql: string }[] = [];
  for (const Migration of MIGRATIONS) {
    const migration = new Migration();
    const recorder = { query: (sql: string) => void statements.push({ migration: migration.name, sql }) };
    await migration.up(recorder as unknown as QueryRunner);
  }
  return statements;
}

describe('ledger_post.sql', () => {
  const file = readFileSync(sqlFunctionPath('ledger_post'), 'utf8');

  it('is what the latest migration that creates ledger_post installs', async () => {
    const creating = (await migrationStatements()).filter((s) =>
      /CREATE (OR REPLACE )?FUNCTION ledger_post\(/.test(s.sql),
    );
    expect(creating.length).toBeGreaterThan(1);
    expect(creating.at(-1)!.sql).toBe(file);
    // Older migrations keep the text they installed then.
    expect(creating.slice(0, -1).filter((s) => s.sql === file)).toEqual([]);
  });

  it('is refused to a migration written for another version of it', () => {
    expect(() => loadSqlFunction('ledger_post', '0'.repeat(64))).toThrow(
      /ledger_post\.sql \(sha256 [0-9a-f]{64}\) is not the version its latest migration installs .* needs a migration of its own/,
    );
  });
});
