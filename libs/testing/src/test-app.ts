import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import request from 'supertest';

import { createApp } from '../../../src/app.factory';
import { AuthService } from '../../../src/modules/auth/auth.service';
import { createTestDatabase, databaseUrl, dropTestDatabase } from './databases';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof request>;
  /** A direct connection to this spec file's database, for asserting state. */
  db: Pool;
  databaseName: string;
  adminKey: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment for this app (rate limits, log level). */
  env?: Record<string, string>;
  /** Reuse an existing database (a second instance against the same data). */
  databaseName?: string;
  /**
   * A full DATABASE_URL, for a database on another server (e.g. a throwaway cluster): used as is,
   * migrated by the caller, never created or dropped here.
   */
  databaseUrl?: string;
}

/**
 * Boots the real application on its own cloned database, with real Redis, exactly as main does,
 * and an admin key to start from.
 */
export async function startTestApp(label: string, options: TestAppOptions = {}): Promise<TestApp> {
  const external = options.databaseUrl ? new URL(options.databaseUrl) : undefined;
  const databaseName = external?.pathname.slice(1) || options.databaseName || (await createTestDatabase(label));
  const ownsDatabase = !options.databaseName && !external;
  const url = options.databaseUrl ?? databaseUrl(databaseName);
  const overridden = Object.fromEntries(Object.keys(options.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, {
    DATABASE_URL: url,
    DATABASE_POOL_SIZE: '10',
    REDIS_KEY_PREFIX: `test:${databaseName}:`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
    RATE_LIMIT_LIMIT: '100000',
    AUTH_FAILURE_LIMIT: '100000', // specs send many unknown keys, all from 127.0.0.1
    ...options.env,
  });
  const app = await createApp();
  try {
    await app.init();
  } finally {
    // The configuration is read during init: this app's own settings (another Redis, workers off)
    // must not leak into the apps and processes the spec starts after it.
    restoreEnv(overridden);
  }
  await app.getHttpAdapter().getInstance().ready();

  const adminKey = `au_${randomBytes(32).toString('base64url')}`;
  await app.get(AuthService).ensureAdminKey(adminKey);
  const db = new Pool({ connectionString: url, max: 4 });
  // close() drops the database WITH (FORCE): connections still closing are killed, which is expected.
  db.on('error', () => undefined);

  return {
    app,
    http: request(app.getHttpServer()),
    db,
    databaseName,
    adminKey,
    async close() {
      await app.close();
      await db.end();
      if (ownsDatabase) await dropTestDatabase(databaseName);
    },
  };
}

function restoreEnv(previous: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(previous)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}
