import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { lifecycle } from './common/lifecycle';
import { appConfig, databaseConfig, validateConfiguration, EnvError } from './config/configuration';
import { runMigrations } from './database/data-source';
import { AuthService } from './modules/auth/auth.service';

async function bootstrap() {
  try {
    validateConfiguration();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const config = appConfig();
  const db = databaseConfig();
  if (db.migrateOnStart) await runMigrations(db);

  const app = await createApp();
  if (config.adminApiKey) await app.get(AuthService).ensureAdminKey(config.adminApiKey);
  await app.listen({ host: config.host, port: config.port });
  new Logger('Bootstrap').log(`listening on ${await app.getUrl()}`);

  // Graceful shutdown: stop accepting, let in-flight requests finish, close pools; force after a grace period.
  const stop = (signal: string) => {
    if (lifecycle.closing) return;
    lifecycle.closing = true;
    new Logger('Bootstrap').log(`${signal} received, shutting down`);
    setTimeout(() => process.exit(1), config.shutdownGraceMs).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void bootstrap();
