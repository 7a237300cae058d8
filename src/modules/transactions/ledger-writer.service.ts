import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '@app/errors';
import { databaseConfig, type DatabaseConfig } from '../../config/configuration';
import { LedgerRepository, LedgerRequest, LedgerResult, StoredTransaction } from './ledger.repository';

/** A combined call never holds more transactions than one full batch request. */
const MAX_TRANSACTIONS_PER_CALL = 1_000;

interface Pending {
  request: LedgerRequest;
  resolve: (result: LedgerResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the ledger. At most `LEDGER_WRITE_CONCURRENCY` ledger calls run at once; the
 * requests that arrive meanwhile wait and go together in the next call, as one database
 * transaction. Under light load every request goes alone at once; under heavy load many share
 * the fixed cost of a call (its statements, its row locks, its commit), which is what limits
 * throughput, above all on a hot account. Requests keep their own order, actor, audit entry and
 * result. If a combined call is refused, the request at fault is answered on its own and the
 * others go again; a request with an idempotency key is always written alone.
 */
@Injectable()
export class LedgerWriter {
  private readonly queue: Pending[] = [];
  private running = 0;
  private readonly concurrency: number;

  constructor(
    private readonly repository: LedgerRepository,
    @Inject(databaseConfig.KEY) config: DatabaseConfig,
  ) {
    this.concurrency = config.writeConcurrency;
  }

  write(request: LedgerRequest): Promise<LedgerResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const group = this.takeGroup();
      this.running++;
      void this.settle(group).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  /** The next requests in arrival order that may share one call. */
  private takeGroup(): Pending[] {
    const first = this.queue.shift()!;
    if (first.request.idempotencyKey) return [first];
    const group = [first];
    let size = first.request.transactions.length;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (next.request.idempotencyKey) break;
      if (size + next.request.transactions.length > MAX_TRANSACTIONS_PER_CALL) break;
      size += next.request.transactions.length;
      group.push(this.queue.shift()!);
    }
    return group;
  }

  private async settle(group: Pending[]): Promise<void> {
    while (group.length > 1) {
      try {
        const result = await this.repository.postTogether(group.map((p) => p.request));
        if (result.replayed) throw new Error('a combined call cannot be a replay');
        splitResult(group, result.transactions);
        return;
      } catch (error) {
        // The refused transaction's index tells which request is at fault: it is answered on
        // its own (with its own item index), and the rest go again together.
        const culprit = requestAt(group, error);
        if (culprit === undefined) {
          await Promise.all(group.map((p) => this.alone(p)));
          return;
        }
        const [refused] = group.splice(culprit, 1);
        await this.alone(refused);
      }
    }
    if (group.length === 1) await this.alone(group[0]);
  }

  private async alone(pending: Pending): Promise<void> {
    try {
      pending.resolve(await this.repository.postTogether([pending.request]));
    } catch (error) {
      pending.reject(error);
    }
  }
}

function splitResult(group: Pending[], stored: StoredTransaction[]): void {
  let offset = 0;
  for (const pending of group) {
    const count = pending.request.transactions.length;
    pending.resolve({ replayed: false, transactions: stored.slice(offset, offset + count) });
    offset += count;
  }
}

/** The position in `group` of the request that holds the refused transaction, if known. */
function requestAt(group: Pending[], error: unknown): number | undefined {
  const index = error instanceof AppError ? error.extra.itemIndex : undefined;
  if (typeof index !== 'number') return undefined;
  let offset = 0;
  for (let i = 0; i < group.length; i++) {
    offset += group[i].request.transactions.length;
    if (index < offset) return i;
  }
  return undefined;
}
