import { accountNotEmpty, invalidStatusChange } from '../accounts.errors';
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
  if (!TRANSITIONS[from].includes(to)) throw invalidStatusChange(from, to);
  if (to === 'CLOSED' && totalCents !== 0n) throw accountNotEmpty();
}
