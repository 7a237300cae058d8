import { DataSource, DataSourceOptions } from 'typeorm';
import { InitialSchema1764400000000 } from './migrations/1764400000000-initial-schema';
import { Imports1764500000000 } from './migrations/1764500000000-imports';
import { Growth1764600000000 } from './migrations/1764600000000-growth';
import { Alerts1764700000000 } from './migrations/1764700000000-alerts';
import { ImportPipeline1764800000000 } from './migrations/1764800000000-import-pipeline';
import { ListPages1764810000000 } from './migrations/1764810000000-list-pages';
import { LedgerNumericGuards1764820000000 } from './migrations/1764820000000-ledger-numeric-guards';
import { timedClient } from './timed-client';

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  /** Time every statement of this pool (metrics), counting those at least this slow; absent: no timing (migrations). */
  timeQueries?: { slowQueryMs: number };
}

/** Every migration, in order. Listed explicitly so the build and the tests load the same set. */
export const MIGRATIONS = [
  InitialSchema1764400000000,
  Imports1764500000000,
  Growth1764600000000,
  Alerts1764700000000,
  ImportPipeline1764800000000,
  ListPages1764810000000,
  LedgerNumericGuards1764820000000,
];

/** The one place that builds connection options: used by the app, the migration script and tests. */
export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    synchronize: false,
    migrationsRun: false,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    entities: [],
    logging: false,
    extra: {
      max: settings.poolSize,
      statement_timeout: settings.statementTimeoutMs || undefined,
      application_name: 'alluse-api',
      ...(settings.timeQueries && { Client: timedClient(settings.timeQueries.slowQueryMs) }),
    },
  };
}

/** Runs pending migrations on a short-lived connection. */
export async function runMigrations(settings: Omit<DataSourceSettings, 'poolSize'>): Promise<string[]> {
  const dataSource = new DataSource(buildDataSourceOptions({ ...settings, poolSize: 1 }));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
