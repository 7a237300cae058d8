import { Inject, Injectable } from '@nestjs/common';
import { databaseConfig, type DatabaseConfig } from '../../config/configuration';
import { Semaphore } from '../../common/semaphore';
import { uuid7 } from '../../common/uuid7';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { AppError } from '@app/errors';
import { toCents } from '@app/money';
import { Clock } from '../../common/clock';
import { keysetPage } from '../../common/pagination';
import { requestHash } from '../../common/idempotency';
import { currentContext } from '../../common/request-context';
import { AccountDirectory } from '../accounts/account-directory.service';
import { accountNotFound } from '../accounts/accounts.errors';
import type { AccountFacts } from '../accounts/accounts.repository';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import type { Principal } from '../auth/principal';
import type { BatchItemDto, MovementDto, ReversalDto, TransferDto } from './dto/movement.dto';
import type { BalanceView, TransactionListQuery, TransactionPageView, TransactionView } from './dto/transaction.view';
import { POCKETS, type MovementKind, type PlannedTransaction } from './domain/ledger.types';
import { assertEffectiveAt, planMovement, planReversal } from './domain/movements';
import { announcePosted } from './ledger.events';
import { LedgerRepository } from './ledger.repository';
import { LedgerWriter } from './ledger-writer.service';
import { atBatchItem, transactionNotFound } from './transactions.errors';
import { plannedView, toTransactionView } from './views';
import { formatCents } from '@app/money';

interface Operation {
  action: string;
  idempotencyKey?: string;
  /** What makes two requests "the same" for an idempotency key: route and body. */
  fingerprint: unknown;
}

/** The ledger's use cases: movements, transfers, batches, reversals, and reading them back. */
@Injectable()
export class LedgerService {
  /**
   * Batches lock hundreds of accounts each; beyond a couple at once they mostly wait on each
   * other's row locks inside PostgreSQL, which costs more than waiting here.
   */
  private readonly batchLane: Semaphore;

  constructor(
    @Inject(databaseConfig.KEY) config: DatabaseConfig,
    private readonly repository: LedgerRepository,
    private readonly writer: LedgerWriter,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {
    this.batchLane = new Semaphore(config.batchConcurrency);
  }

  async move(principal: Principal, kind: MovementKind, accountId: string, body: MovementDto, key?: string) {
    const [view] = await this.post(
      principal,
      { action: 'ledger.movement', idempotencyKey: key, fingerprint: { kind, accountId, body } },
      [accountId],
      (facts, now) => [planMovement(uuid7(), toInput(kind, accountId, undefined, body), facts, now)],
    );
    return view;
  }

  async transfer(principal: Principal, body: TransferDto, key?: string) {
    const [view] = await this.post(
      principal,
      { action: 'ledger.transfer', idempotencyKey: key, fingerprint: { kind: 'TRANSFER', body } },
      [body.fromAccountId, body.toAccountId],
      (facts, now) => [
        planMovement(uuid7(), toInput('TRANSFER', body.fromAccountId, body.toAccountId, body), facts, now),
      ],
    );
    return view;
  }

  /** Up to 1,000 movements, all or nothing, in one database transaction. */
  async batch(principal: Principal, items: BatchItemDto[], key?: string) {
    const ids = items.flatMap((i) => (i.toAccountId ? [i.accountId, i.toAccountId] : [i.accountId]));
    const views = await this.batchLane.run(() =>
      this.post(
        principal,
        { action: 'ledger.batch', idempotencyKey: key, fingerprint: { batch: items } },
        ids,
        (facts, now) =>
          items.map((item, index) => {
            try {
              return planMovement(uuid7(), toInput(item.kind, item.accountId, item.toAccountId, item), facts, now);
            } catch (error) {
              throw error instanceof AppError ? atBatchItem(error, index) : error;
            }
          }),
      ),
    );
    return { items: views };
  }

  async reverse(principal: Principal, transactionId: string, body: ReversalDto, key?: string) {
    const original = await this.loadVisible(principal, transactionId, 'move');
    const op: Operation = {
      action: 'ledger.reversal',
      idempotencyKey: key,
      fingerprint: { reverse: transactionId, body },
    };
    // The plan depends on whether the original is reversed, which the first request with this key
    // changed: a retry is answered from the key, not refused as already reversed. The original was
    // read before this look-up, so a first request that commits after it left that read unreversed
    // too, and ledger_post answers this one from the key it claims first.
    const earlier = await this.replayed(principal, op);
    if (earlier) return earlier[0];
    const accountIds = original.postings.flatMap((p) => (p.accountId ? [p.accountId] : []));
    const [view] = await this.post(principal, op, accountIds, (facts, now) => {
      const effectiveAt = body.effectiveAt ? new Date(body.effectiveAt) : undefined;
      assertEffectiveAt(effectiveAt, [], now);
      return [
        planReversal(
          uuid7(),
          {
            id: original.id,
            kind: original.kind,
            portfolioId: original.portfolio_id,
            legs: original.postings.map((p) => ({ ...p, amount: BigInt(p.amount) })),
            baselineChanges: original.baseline_changes.map((b) => ({ id: b.id, baseline: BigInt(b.baseline) })),
            reversedById: original.reversed_by_id,
          },
          { effectiveAt, memo: body.memo },
        ),
      ];
    });
    return view;
  }

  async getTransaction(principal: Principal, id: string): Promise<TransactionView> {
    return toTransactionView(await this.loadVisible(principal, id, 'read'));
  }

  async listForAccount(principal: Principal, accountId: string, q: TransactionListQuery): Promise<TransactionPageView> {
    await this.visibleAccount(principal, accountId, 'read');
    return keysetPage(
      q.limit ?? 50,
      (limit) =>
        this.repository.listForAccount({
          accountId,
          kind: q.kind,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          beforeSeq: q.cursor,
          limit,
        }),
      (row) => row.seq,
      toTransactionView,
    );
  }

  async balanceAt(principal: Principal, accountId: string, at?: string): Promise<BalanceView> {
    await this.visibleAccount(principal, accountId, 'read');
    const when = at ? new Date(at) : this.clock.now();
    const sums = new Map((await this.repository.balancesAt(accountId, when)).map((r) => [r.ledger, BigInt(r.amount)]));
    const [cash, contracts, leaps] = POCKETS.map((p) => sums.get(p) ?? 0n);
    return {
      accountId,
      at: when.toISOString(),
      cash: formatCents(cash),
      contracts: formatCents(contracts),
      leaps: formatCents(leaps),
      total: formatCents(cash + contracts + leaps),
    };
  }

  /** Authorise, plan with the pure rules, write in one round trip, announce after commit. */
  private async post(
    principal: Principal,
    op: Operation,
    accountIds: string[],
    plan: (facts: Map<string, AccountFacts>, now: Date) => PlannedTransaction[],
  ): Promise<TransactionView[]> {
    const facts = await this.directory.lookup(accountIds);
    await this.authorise(principal, facts, 'move');
    const plans = plan(facts, this.clock.now());
    const context = currentContext();
    const result = await this.writer.write({
      action: op.action,
      actorId: principal.userId,
      correlationId: context?.correlationId,
      ip: context?.ip,
      idempotencyKey: op.idempotencyKey,
      requestHash: op.idempotencyKey ? requestHash(op.action, op.fingerprint) : undefined,
      transactions: plans,
    });
    if (result.replayed) return this.views(result.transactionIds);
    await announcePosted(this.events, plans);
    return plans.map((p, i) => plannedView(p, result.transactions[i]));
  }

  /** What an Idempotency-Key of this caller already wrote for this operation, if anything. */
  private async replayed(principal: Principal, op: Operation): Promise<TransactionView[] | undefined> {
    if (!op.idempotencyKey) return undefined;
    const hash = requestHash(op.action, op.fingerprint);
    const ids = await this.repository.replayOf(principal.userId, op.idempotencyKey, hash);
    return ids && this.views(ids);
  }

  private async views(transactionIds: string[]): Promise<TransactionView[]> {
    return (await this.repository.findTransactions(transactionIds)).map(toTransactionView);
  }

  /** Every account must exist and be visible; each portfolio must allow the action. */
  private async authorise(principal: Principal, facts: Map<string, AccountFacts>, action: 'read' | 'move') {
    const seen = new Set<string>();
    for (const fact of facts.values()) {
      if (seen.has(fact.portfolioId)) continue;
      seen.add(fact.portfolioId);
      await this.access.assertWithin(principal, fact.portfolioId, action, () => accountNotFound(fact.id), fact.ownerId);
    }
  }

  private async visibleAccount(principal: Principal, accountId: string, action: 'read' | 'move') {
    const facts = await this.directory.lookup([accountId]);
    if (!facts.has(accountId)) throw accountNotFound(accountId);
    await this.authorise(principal, facts, action);
  }

  private async loadVisible(principal: Principal, id: string, action: 'read' | 'move') {
    const [row] = await this.repository.findTransactions([id]);
    if (!row) throw transactionNotFound(id);
    await this.access.assertWithin(principal, row.portfolio_id, action, () => transactionNotFound(id));
    return row;
  }
}

function toInput(kind: MovementKind, accountId: string, toAccountId: string | undefined, body: MovementDto) {
  return {
    kind,
    accountId,
    toAccountId,
    amount: toCents(body.amount),
    effectiveAt: body.effectiveAt ? new Date(body.effectiveAt) : undefined,
    memo: body.memo,
  };
}
