import type { Cents } from '@app/money';
import type { AccountStatus } from '../../accounts/domain/account-types';
import { accountFigures } from '../../accounts/domain/balances';
import type { PlannedTransaction } from './ledger.types';

/** An account as read under its row lock: what the ledger's guards look at. */
export interface LockedAccount {
  id: string;
  status: AccountStatus;
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
  bufferBp: number;
}

/** A transaction the ledger would refuse: its index, the refusal's code, and the details ledger_post gives. */
export interface ScreenRefusal {
  index: number;
  code: 'ACCOUNT_NOT_FOUND' | 'ACCOUNT_NOT_ACTIVE' | 'INSUFFICIENT_FUNDS';
  detail: { accountId: string; status?: AccountStatus; availableDebit?: string };
}

/**
 * Decides, in order, which of many planned transactions the ledger accepts when those it refuses
 * are left out: each is checked against the locked accounts as changed by the ones accepted before
 * it, with ledger_post's guards (src/database/functions/ledger_post.sql: the account exists, its
 * status allows the movement, no pocket goes below 0, and the cash available above the buffer
 * covers `availableDebit`). A bulk import screens a chunk this way, then posts what passed in one
 * call: a chunk of refused lines costs one pass instead of one retry per refusal. ledger_post
 * remains the authority: it checks again what is posted.
 */
export function screenTransactions(
  accounts: ReadonlyMap<string, LockedAccount>,
  plans: readonly PlannedTransaction[],
): { accepted: number[]; refused: ScreenRefusal[] } {
  const state = new Map([...accounts].map(([id, a]) => [id, { ...a }]));
  const accepted: number[] = [];
  const refused: ScreenRefusal[] = [];
  plans.forEach((plan, index) => {
    const refusal = firstRefusal(state, plan);
    if (refusal) return void refused.push({ index, ...refusal });
    accepted.push(index);
    for (const delta of plan.accounts) {
      const account = state.get(delta.id)!;
      account.cash += delta.cash;
      account.contracts += delta.contracts;
      account.leaps += delta.leaps;
    }
  });
  return { accepted, refused };
}

function firstRefusal(
  state: ReadonlyMap<string, LockedAccount>,
  plan: PlannedTransaction,
): Omit<ScreenRefusal, 'index'> | undefined {
  for (const delta of plan.accounts) {
    const account = state.get(delta.id);
    const accountId = delta.id;
    if (!account) return { code: 'ACCOUNT_NOT_FOUND', detail: { accountId } };
    if (!delta.statuses.includes(account.status)) {
      return { code: 'ACCOUNT_NOT_ACTIVE', detail: { accountId, status: account.status } };
    }
    const short =
      account.cash + delta.cash < 0n ||
      account.contracts + delta.contracts < 0n ||
      account.leaps + delta.leaps < 0n ||
      (delta.availableDebit !== undefined &&
        accountFigures(account, account.bufferBp).available < delta.availableDebit);
    if (short) {
      return { code: 'INSUFFICIENT_FUNDS', detail: { accountId, availableDebit: delta.availableDebit?.toString() } };
    }
  }
  return undefined;
}
