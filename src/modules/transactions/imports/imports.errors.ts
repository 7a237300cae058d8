import { AppError } from '@app/errors';

export const MAX_IMPORT_LINES = 100_000;

export const unsupportedImport = () =>
  new AppError('validation', 'UNSUPPORTED_IMPORT', 'send the file as text/csv or application/x-ndjson');

export const importSize = (lines: number) =>
  new AppError('validation', 'IMPORT_SIZE', `an import holds 1 to ${MAX_IMPORT_LINES} lines, this one ${lines}`);

export const importTooLarge = (limitBytes: number) =>
  new AppError('too_large', 'IMPORT_TOO_LARGE', `an import file may hold at most ${limitBytes} bytes`);

/** Checked again when the task runs: the grant, the key or the user may be gone since it was submitted. */
export const importNotAuthorized = (portfolioId: string) =>
  new AppError(
    'forbidden',
    'IMPORT_NOT_AUTHORIZED',
    `whoever submitted this import may no longer move money in portfolio ${portfolioId} ` +
      '(their access or API key was revoked): no line was posted from then on',
  );

/** A task of an import that was refused when submitted (503), or whose file was purged. */
export const importNotRunnable = (id: string, why: string) =>
  new AppError('conflict', 'IMPORT_NOT_RUNNABLE', `import ${id} cannot run: ${why}`);

/** How a failure reads on the import (and in the task's error): its code, then what happened. */
export const describeError = (error: AppError) => `${error.code}: ${error.message}`;
