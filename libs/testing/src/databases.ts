import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The migrated database every spec file's database is cloned from: one per test run (named by
 * the run's global setup), so that two runs at once never drop each other's template.
 */
export function templateDatabase(): string {
  return process.env.TEST_TEMPLATE_DATABASE || 'alluse_test_template';
}

/** An admin connection to the PostgreSQL server used by the tests (not a test database itself). */
export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Refuses to touch a database whose name does not say it is for tests. */
export function assertTestDatabase(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name) || !name.includes('test')) {
    throw new Error(`refusing to create or drop "${name}": test database names must contain "test"`);
  }
}

async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates a fresh database for one spec file by cloning the migrated template (fast). */
export async function createTestDatabase(label: string): Promise<string> {
  const name = `alluse_test_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  assertTestDatabase(name);
  await withAdmin(async (client) => {
    // CREATE DATABASE ... TEMPLATE needs the template to have no other sessions; retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE ${templateDatabase()}`);
        return;
      } catch (error) {
        if (attempt > 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });
  return name;
}

export async function dropTestDatabase(name: string): Promise<void> {
  assertTestDatabase(name);
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
}

/** Creates the template from scratch and migrates it (run once per test run). */
export async function createTemplate(name: string, migrate: (url: string) => Promise<unknown>): Promise<void> {
  assertTestDatabase(name);
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  });
  await migrate(databaseUrl(name));
}
