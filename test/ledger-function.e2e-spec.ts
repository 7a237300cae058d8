import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '@app/testing';
import { sqlFunctionPath } from '../src/database/functions/sql-function';

/**
 * The ledger_post a migrated database runs is src/database/functions/ledger_post.sql, to the
 * letter: the file is created beside it in a schema of its own, and PostgreSQL's own definitions
 * of the two (signature, language, settings, body) are compared.
 */
describe('ledger_post in a migrated database', () => {
  let database: string;
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase('ledgerfunction');
    client = new Client({ connectionString: databaseUrl(database) });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    if (database) await dropTestDatabase(database);
  });

  const definition = async (schema: string) => {
    const { rows } = await client.query<{ def: string }>(
      `SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = $1 AND p.proname = 'ledger_post'`,
      [schema],
    );
    expect(rows).toHaveLength(1);
    return rows[0].def.replace(`FUNCTION ${schema}.ledger_post(`, 'FUNCTION ledger_post(');
  };

  it('is the function in ledger_post.sql', async () => {
    await client.query('CREATE SCHEMA sql_file');
    await client.query('SET search_path TO sql_file');
    await client.query(readFileSync(sqlFunctionPath('ledger_post'), 'utf8'));
    await client.query('SET search_path TO DEFAULT');

    const migrated = await definition('public');
    expect(migrated).toContain('SET plan_cache_mode TO');
    expect(migrated).toBe(await definition('sql_file'));
  });
});
