import { AppError } from '@app/errors';

export const unitNotFound = (id: string) => new AppError('not_found', 'UNIT_NOT_FOUND', `unit ${id} was not found`);

export const proposalNotFound = (id: string) =>
  new AppError('not_found', 'MERGE_PROPOSAL_NOT_FOUND', `merge proposal ${id} was not found`);

export const forkNotEligible = (reason: string, message: string, extra: Record<string, unknown>) =>
  new AppError('unprocessable', 'FORK_NOT_ELIGIBLE', `the account cannot fork: ${message}`, { reason, ...extra });

export const mergeNotEligible = (reason: string, message: string, extra: Record<string, unknown>) =>
  new AppError('unprocessable', 'MERGE_NOT_ELIGIBLE', `the unit cannot merge: ${message}`, { reason, ...extra });

export const proposalDecided = (id: string, status: string) =>
  new AppError('conflict', 'MERGE_PROPOSAL_DECIDED', `merge proposal ${id} is already ${status}`, {
    proposalStatus: status,
  });
