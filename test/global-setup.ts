import { runMigrations } from '../src/database/data-source';
import { createTemplate } from '../libs/testing/src/databases';

/** Builds this run's migrated template database, which every spec file clones. */
export default async function globalSetup(): Promise<void> {
  const name = `alluse_test_template_${process.pid}`;
  process.env.TEST_TEMPLATE_DATABASE = name; // inherited by the Jest workers started after this
  await createTemplate(name, (url) => runMigrations({ url, statementTimeoutMs: 0 }));
}
