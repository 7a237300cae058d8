import { runMigrations } from '../src/database/data-source';
import { recreateTemplate } from '../libs/testing/src/databases';

/** Builds the migrated template database that every spec file clones. */
export default async function globalSetup(): Promise<void> {
  await recreateTemplate((url) => runMigrations({ url, statementTimeoutMs: 0 }));
}
