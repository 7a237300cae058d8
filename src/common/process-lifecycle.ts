import { INestApplicationContext, Logger } from '@nestjs/common';
import { EnvError, validateConfiguration } from '../config/configuration';
import { lifecycle } from './lifecycle';

/** Stops the process with a message naming the variable when the configuration is invalid. */
export function validateConfigurationOrExit(): void {
  try {
    validateConfiguration();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

/**
 * On SIGTERM or SIGINT: close the application (its hooks let in-flight work finish), exit 0;
 * exit 1 if closing fails or takes longer than `graceMs`.
 */
export function closeOnSignals(app: INestApplicationContext, graceMs: number, logger: Logger): void {
  const stop = (signal: string) => {
    if (lifecycle.closing) return;
    lifecycle.closing = true;
    logger.log(`${signal} received, shutting down`);
    setTimeout(() => process.exit(1), graceMs).unref();
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
