import { formatCents } from '@app/money';
import type { PlannedTransaction } from './domain/ledger.types';
import type { TransactionRow } from './ledger.repository';
import type { TransactionView } from './dto/transaction.view';

export function toTransactionView(row: TransactionRow): TransactionView {
  return {
    id: row.id,
    kind: row.kind,
    portfolioId: row.portfolio_id,
    effectiveAt: row.effective_at.toISOString(),
    createdAt: row.created_at.toISOString(),
    memo: row.memo,
    reversesId: row.reverses_id,
    reversedById: row.reversed_by_id,
    postings: (row.postings ?? []).map((p) => ({
      accountId: p.accountId,
      ledger: p.ledger,
      amount: formatCents(p.amount),
    })),
  };
}

/** The view of a transaction just written, from its plan and what the database assigned. */
export function plannedView(
  plan: PlannedTransaction,
  stored: { effectiveAt: string; createdAt: string },
): TransactionView {
  return {
    id: plan.id,
    kind: plan.kind,
    portfolioId: plan.portfolioId,
    effectiveAt: new Date(stored.effectiveAt).toISOString(),
    createdAt: new Date(stored.createdAt).toISOString(),
    memo: plan.memo ?? null,
    reversesId: plan.reversesId ?? null,
    reversedById: null,
    postings: plan.legs.map((l) => ({ accountId: l.accountId, ledger: l.ledger, amount: formatCents(l.amount) })),
  };
}
