import { AppError, ErrorKind, validationError } from '@app/errors';
import { formatCents, MAX_BALANCE_CENTS } from '@app/money';

export const transactionNotFound = (id: string) =>
  new AppError('not_found', 'TRANSACTION_NOT_FOUND', `transaction ${id} was not found`);

/** Refusals raised inside ledger_post (SQLSTATE P0001, message = code, detail = JSON): src/database/functions/ledger_post.sql. */
const LEDGER_REFUSALS: Record<string, { kind: ErrorKind; message: (d: Record<string, unknown>) => string }> = {
  IDEMPOTENCY_KEY_REUSED: {
    kind: 'conflict',
    message: () => 'this Idempotency-Key was already used with a different request',
  },
  ACCOUNT_NOT_FOUND: { kind: 'not_found', message: (d) => `account ${String(d.accountId)} was not found` },
  ACCOUNT_NOT_ACTIVE: {
    kind: 'unprocessable',
    message: (d) => `account ${String(d.accountId)} is ${String(d.status)} and cannot take this movement`,
  },
  BALANCE_LIMIT_EXCEEDED: {
    kind: 'unprocessable',
    message: (d) =>
      `account ${String(d.accountId)} would hold more than ${formatCents(MAX_BALANCE_CENTS)}, the most the ledger can store`,
  },
  INSUFFICIENT_FUNDS: {
    kind: 'unprocessable',
    message: (d) =>
      `account ${String(d.accountId)} does not have enough ${
        d.availableDebit ? 'available cash (cash above the buffer)' : 'funds'
      } for this movement`,
  },
};

export function ledgerRefusal(code: string, detail: string | undefined): AppError | undefined {
  const refusal = LEDGER_REFUSALS[code];
  if (!refusal) return undefined;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = detail ? JSON.parse(detail) : {};
  } catch {
    /* keep the generic message */
  }
  const extra = parsed.accountId ? { accountId: parsed.accountId, itemIndex: parsed.itemIndex } : {};
  return new AppError(refusal.kind, code, refusal.message(parsed), extra);
}

export const toAccountIdOnlyForTransfer = () =>
  validationError('toAccountId is only accepted for TRANSFER', [
    { field: 'toAccountId', message: 'only accepted for TRANSFER' },
  ]);

export const toAccountIdRequired = () =>
  validationError('toAccountId is required for TRANSFER', [{ field: 'toAccountId', message: 'required for TRANSFER' }]);

export const effectiveAtInFuture = () =>
  new AppError('validation', 'EFFECTIVE_AT_IN_FUTURE', 'effectiveAt must not be in the future', {
    errors: [{ field: 'effectiveAt', message: 'must not be in the future' }],
  });

export const effectiveAtBeforeAccount = (accountId: string, createdAt: Date) =>
  new AppError('validation', 'EFFECTIVE_AT_BEFORE_ACCOUNT', `effectiveAt is before account ${accountId} existed`, {
    errors: [{ field: 'effectiveAt', message: `must not be before ${createdAt.toISOString()}` }],
  });

/** The owner never takes money out of a COM account (docs/domain.md §3). */
export const comWithdrawalForbidden = (how: 'withdrawn from' | 'transferred out of') =>
  new AppError('unprocessable', 'COM_WITHDRAWAL_FORBIDDEN', `money can never be ${how} a COM account`);

export const sameAccountTransfer = () =>
  new AppError('unprocessable', 'SAME_ACCOUNT_TRANSFER', 'a transfer needs two different accounts');

export const crossPortfolioTransfer = () =>
  new AppError('unprocessable', 'CROSS_PORTFOLIO_TRANSFER', 'transfers stay within one portfolio');

export const transactionNotReversible = (kind: string) =>
  new AppError('unprocessable', 'TRANSACTION_NOT_REVERSIBLE', `a ${kind} transaction cannot be reversed`);

/** A refusal of one item of a batch, pointed at that item. */
export const atBatchItem = (error: AppError, index: number) =>
  new AppError(error.kind, error.code, `items[${index}]: ${error.message}`, { ...error.extra, itemIndex: index });

export const alreadyReversed = (id: string) =>
  new AppError('conflict', 'TRANSACTION_ALREADY_REVERSED', `transaction ${id} was already reversed`);

export const idempotencyKeyReused = (key: string) =>
  new AppError('conflict', 'IDEMPOTENCY_KEY_REUSED', LEDGER_REFUSALS.IDEMPOTENCY_KEY_REUSED.message({}), { key });

export const balanceLimitExceeded = (accountId: string | null) =>
  ledgerRefusal('BALANCE_LIMIT_EXCEEDED', JSON.stringify({ accountId }))!;

export const verificationTimedOut = () =>
  new AppError(
    'unavailable',
    'LEDGER_VERIFICATION_TIMEOUT',
    'the ledger could not be verified within the statement timeout; run npm run ledger:verify, or read the nightly result in alluse_ledger_invariant_violations',
  );
