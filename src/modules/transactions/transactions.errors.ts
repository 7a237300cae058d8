import { AppError, ErrorKind } from '@app/errors';
import { formatCents, MAX_BALANCE_CENTS } from '@app/money';

export const transactionNotFound = (id: string) =>
  new AppError('not_found', 'TRANSACTION_NOT_FOUND', `transaction ${id} was not found`);

/** Refusals raised inside ledger_post (SQLSTATE P0001, message = code, detail = JSON; see its latest migration). */
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
