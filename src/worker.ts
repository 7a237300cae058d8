import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createRootLogger, JsonLogger } from './common/logger';
import { closeOnSignals, validateConfigurationOrExit } from './common/process-lifecycle';
import { appConfig, metricsConfig } from './config/configuration';
import { serveMetrics } from './modules/monitoring/metrics-server';

/**
 * The queue workers without the HTTP API (`node dist/worker.js`), so that API and workers scale
 * apart. SIGTERM lets running tasks finish (up to TASKS_SHUTDOWN_GRACE_MS) before exiting. Its
 * metrics are at http://HOST:WORKER_METRICS_PORT/metrics.
 */
async function bootstrap() {
  process.env.TASKS_RUN_WORKERS = 'true';
  validateConfigurationOrExit();
  const config = appConfig();
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: new JsonLogger(createRootLogger(config.logLevel).child({ component: 'worker' })),
  });
  const logger = new Logger('Worker');
  const { workerPort } = metricsConfig();
  if (workerPort) await serveMetrics(app, workerPort, config.host);
  logger.log(`workers running${workerPort ? `; metrics on port ${workerPort}` : ''}`);
  closeOnSignals(app, config.shutdownGraceMs, logger);
}

void bootstrap();
