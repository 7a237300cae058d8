import type { EventEmitter2 } from '@nestjs/event-emitter';
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
    /** What each transaction moved, in cents: the sum of its debits (same order as `kinds`). */
    readonly amounts: bigint[] = [],
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
      plans.map(debits),
    );
  }
}

/** The sum of a transaction's debits (legs below zero), as a positive amount. */
function debits(plan: PlannedTransaction): bigint {
  let sum = 0n;
  for (const leg of plan.legs) if (leg.amount < 0n) sum -= leg.amount;
  return sum;
}

/**
 * Announces committed transactions and waits for the listeners, so that the caches are coherent
 * before the write is answered (a read that follows it, on any instance, sees it). Listeners do
 * not throw: the write has committed whatever they do.
 */
export async function announcePosted(events: EventEmitter2, plans: readonly PlannedTransaction[]): Promise<void> {
  await events.emitAsync(LedgerPostedEvent.topic, LedgerPostedEvent.of(plans));
}
