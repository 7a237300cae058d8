import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { closeOnSignals, validateConfigurationOrExit } from './common/process-lifecycle';
import { appConfig, databaseConfig } from './config/configuration';
import { runMigrations } from './database/data-source';
import { AuthService } from './modules/auth/auth.service';

async function bootstrap() {
  validateConfigurationOrExit();
  const config = appConfig();
  const db = databaseConfig();
  if (db.migrateOnStart) await runMigrations(db);

  const app = await createApp();
  if (config.adminApiKey) await app.get(AuthService).ensureAdminKey(config.adminApiKey);
  await app.listen({ host: config.host, port: config.port });
  const logger = new Logger('Bootstrap');
  logger.log(`listening on ${await app.getUrl()}`);

  // Graceful shutdown: stop accepting, let in-flight requests and tasks finish, close the pools.
  closeOnSignals(app, config.shutdownGraceMs, logger);
}

void bootstrap();
