import type { PlannedTransaction, TransactionKind } from './domain/ledger.types';

/** Announced after a ledger write commits; caches, metrics and the growth engine listen. */
export class LedgerPostedEvent {
  static readonly topic = 'ledger.posted';

  constructor(
    readonly portfolioIds: string[],
    readonly accountIds: string[],
    readonly kinds: TransactionKind[],
    readonly transactionIds: string[],
    /** Accounts whose total value (cash + contracts + leaps) rose in at least one of the transactions. */
    readonly raisedAccountIds: string[] = [],
  ) {}

  static of(plans: readonly PlannedTransaction[]): LedgerPostedEvent {
    const raised = new Set<string>();
    for (const plan of plans) {
      for (const a of plan.accounts) if (a.cash + a.contracts + a.leaps > 0n) raised.add(a.id);
    }
    return new LedgerPostedEvent(
      [...new Set(plans.map((p) => p.portfolioId))],
      [...new Set(plans.flatMap((p) => p.accounts.map((a) => a.id)))],
      plans.map((p) => p.kind),
      plans.map((p) => p.id),
      [...raised],
    );
  }
}
