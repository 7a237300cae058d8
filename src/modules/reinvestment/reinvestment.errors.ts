import { AppError } from '@app/errors';

/** REINVESTMENT is for REV and COM accounts only (docs/domain.md §3, §7). */
export const reinvestmentNotAllowed = (type: string) =>
  new AppError('unprocessable', 'REINVESTMENT_NOT_ALLOWED', `a ${type} account does not reinvest; only REV and COM do`);

/** The rule's amount is zero, or below the account's minReinvestment. */
export const nothingToReinvest = (message: string, extra: Record<string, unknown>) =>
  new AppError('unprocessable', 'NOTHING_TO_REINVEST', message, extra);

export const nothingToClose = (accountId: string) =>
  new AppError('unprocessable', 'NOTHING_TO_CLOSE', `account ${accountId} holds no contracts or LEAPS to close`);

export const invalidQuarter = (value: unknown) =>
  new AppError('validation', 'VALIDATION_FAILED', `quarter ${String(value)} is not a quarter such as 2026-Q4`, {
    errors: [{ field: 'quarter', message: 'must be a quarter such as 2026-Q4' }],
  });

/** A quarter that has not started yet cannot be reinvested: its income is still to come. */
export const quarterNotStarted = (key: string) =>
  new AppError('unprocessable', 'QUARTER_NOT_STARTED', `quarter ${key} has not started yet`);
