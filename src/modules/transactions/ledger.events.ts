import type { TransactionKind } from './domain/ledger.types';

/** Announced after a ledger write commits; caches, metrics and the growth engine listen. */
export class LedgerPostedEvent {
  static readonly topic = 'ledger.posted';

  constructor(
    readonly portfolioIds: string[],
    readonly accountIds: string[],
    readonly kinds: TransactionKind[],
    readonly transactionIds: string[],
  ) {}
}
