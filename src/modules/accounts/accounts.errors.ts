import { AppError } from '@app/errors';

export const portfolioNotFound = (id: string) =>
  new AppError('not_found', 'PORTFOLIO_NOT_FOUND', `portfolio ${id} was not found`);

export const accountNotFound = (id: string) =>
  new AppError('not_found', 'ACCOUNT_NOT_FOUND', `account ${id} was not found`);

export const grantNotAllowed = (message: string) => new AppError('unprocessable', 'GRANT_NOT_ALLOWED', message);
