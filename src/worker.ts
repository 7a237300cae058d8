import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { lifecycle } from './common/lifecycle';
import { createRootLogger, JsonLogger } from './common/logger';
import { appConfig, EnvError, validateConfiguration } from './config/configuration';

/**
 * The queue workers without the HTTP API (`node dist/worker.js`), so that API and workers scale
 * apart. SIGTERM lets running tasks finish (up to TASKS_SHUTDOWN_GRACE_MS) before exiting.
 */
async function bootstrap() {
  process.env.TASKS_RUN_WORKERS = 'true';
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
  const app = await NestFactory.createApplicationContext(AppModule, {
    logger: new JsonLogger(createRootLogger(config.logLevel).child({ component: 'worker' })),
  });
  const logger = new Logger('Worker');
  logger.log('workers running');

  const stop = (signal: string) => {
    if (lifecycle.closing) return;
    lifecycle.closing = true;
    logger.log(`${signal} received, finishing running tasks`);
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
