import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { TRANSACTION_KINDS } from '../transactions/domain/ledger.types';
import { LedgerPostedEvent } from '../transactions/ledger.events';
import { ledgerAmount, ledgerTransactions } from './metrics';

/**
 * Counts committed ledger transactions and what they moved, by kind, from the event every ledger
 * write announces after commit: one write path, and metrics are one more listener.
 */
@Injectable()
export class LedgerMetricsListener {
  constructor() {
    // Every kind exported from the start, so the first transaction of a kind shows as an increase.
    for (const kind of TRANSACTION_KINDS) {
      ledgerTransactions.inc({ kind }, 0);
      ledgerAmount.inc({ kind }, 0);
    }
  }

  @OnEvent(LedgerPostedEvent.topic)
  onPosted(event: LedgerPostedEvent): void {
    for (let i = 0; i < event.kinds.length; i++) {
      const labels = { kind: event.kinds[i] };
      ledgerTransactions.inc(labels);
      // Cents as a float: exact up to 2^53 cents per series, about 90 trillion dollars.
      ledgerAmount.inc(labels, Number(event.amounts[i] ?? 0n));
    }
  }
}
