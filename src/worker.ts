import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createRootLogger, JsonLogger } from './common/logger';
import { closeOnSignals, validateConfigurationOrExit } from './common/process-lifecycle';
import { appConfig } from './config/configuration';

/**
 * The queue workers without the HTTP API (`node dist/worker.js`), so that API and workers scale
 * apart. SIGTERM lets running tasks finish (up to TASKS_SHUTDOWN_GRACE_MS) before exiting. Its
 * metrics are at http://HOST:WORKER_METRICS_PORT/metrics (MetricsServer, as the API's METRICS_PORT).
 */
async function bootstrap() {
  process.env.TASKS_RUN_WORKERS = 'true';
  validateConfigurationOrExit();
  const config = appConfig();
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: new JsonLogger(createRootLogger(config.logLevel).child({ component: 'worker' })),
  });
  const logger = new Logger('Worker');
  logger.log('workers running');
  closeOnSignals(app, config.shutdownGraceMs, logger);
}

void bootstrap();
