import { AppError, invalidField } from '@app/errors';

export const portfolioNotFound = (id: string) =>
  new AppError('not_found', 'PORTFOLIO_NOT_FOUND', `portfolio ${id} was not found`);

export const accountNotFound = (id: string) =>
  new AppError('not_found', 'ACCOUNT_NOT_FOUND', `account ${id} was not found`);

export const grantNotAllowed = (message: string) => new AppError('unprocessable', 'GRANT_NOT_ALLOWED', message);

export const grantNotFound = (portfolioId: string, userId: string) =>
  new AppError('not_found', 'GRANT_NOT_FOUND', `user ${userId} has no access to portfolio ${portfolioId}`);

export const invalidStatusChange = (from: string, to: string) =>
  new AppError('unprocessable', 'INVALID_STATUS_CHANGE', `an account cannot go from ${from} to ${to}`);

export const accountNotEmpty = () =>
  new AppError('unprocessable', 'ACCOUNT_NOT_EMPTY', 'only an account with zero value can be closed');

export const mergeThresholdNotAboveFork = () => invalidField('mergeThreshold', 'must be greater than forkThreshold');
