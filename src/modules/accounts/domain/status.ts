import { AppError } from '@app/errors';
import type { AccountStatus } from './account-types';

/** Which status an owner may move an account to from each status (MERGED is set only by a merge). */
const TRANSITIONS: Record<AccountStatus, AccountStatus[]> = {
  ACTIVE: ['SUSPENDED', 'CLOSED'],
  SUSPENDED: ['ACTIVE', 'CLOSED'],
  CLOSED: [],
  MERGED: [],
};

export function assertStatusChange(from: AccountStatus, to: AccountStatus, totalCents: bigint): void {
  if (from === to) return;
  if (!TRANSITIONS[from].includes(to)) {
    throw new AppError('unprocessable', 'INVALID_STATUS_CHANGE', `an account cannot go from ${from} to ${to}`);
  }
  if (to === 'CLOSED' && totalCents !== 0n) {
    throw new AppError('unprocessable', 'ACCOUNT_NOT_EMPTY', 'only an account with zero value can be closed');
  }
}
