import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { formatCents, toCents, type Cents } from '@app/money';
import { Clock } from '../../common/clock';
import { requestHash } from '../../common/idempotency';
import { currentContext } from '../../common/request-context';
import { uuid7 } from '../../common/uuid7';
import { growthConfig, type GrowthConfig } from '../../config/configuration';
import { AccountDirectory } from '../accounts/account-directory.service';
import { accountNotFound } from '../accounts/accounts.errors';
import type { AccountFacts } from '../accounts/accounts.repository';
import { parseMoneyAtLeastZero } from '../accounts/domain/account-config';
import { accountFigures } from '../accounts/domain/balances';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import type { TaskContext } from '../async-tasks/task-context';
import { TasksProducer } from '../async-tasks/tasks.producer';
import type { Principal } from '../auth/principal';
import { measureGrowth } from '../monitoring/growth-metrics';
import type { Leg, PlannedTransaction } from '../transactions/domain/ledger.types';
import type { TransactionView } from '../transactions/dto/transaction.view';
import { announcePosted } from '../transactions/ledger.events';
import { LedgerRepository, type LedgerRequest } from '../transactions/ledger.repository';
import { plannedView, toTransactionView } from '../transactions/views';
import { parseQuarter, quarterOf, type Quarter } from './domain/quarter';
import {
  closeAmounts,
  netTradingIncome,
  planPositionClose,
  planReinvestment,
  pocketMoves,
  reinvestmentAmount,
  type ReinvestmentDecision,
} from './domain/reinvestment.rules';
import type {
  PositionCloseDto,
  PositionCloseView,
  ReinvestmentDto,
  ReinvestmentRunView,
  ReinvestmentView,
} from './dto/reinvestment.dto';
import { invalidQuarter, nothingToReinvest, quarterNotStarted, reinvestmentNotAllowed } from './reinvestment.errors';
import { ReinvestmentRepository, type IncomeWindow, type LockedAccount } from './reinvestment.repository';

/** What one quarterly run did (the task's result). */
export interface ReinvestmentRunReport {
  quarter: string;
  accounts: number;
  reinvested: number;
  /** Below the minimum, no income, no available cash, or no longer ACTIVE. */
  skipped: number;
  /** Already reinvested for this quarter (an earlier or a concurrent run). */
  alreadyDone: number;
  failed: number;
  /** Total moved into positions. */
  amount: string;
  /** The first failures, for the operator who re-runs the quarter. */
  failures: { accountId: string; error: string }[];
}

type Outcome = 'reinvested' | 'skipped' | 'alreadyDone';

/** A request's transaction as written, or as first written when its Idempotency-Key replays. */
interface Written {
  view: TransactionView;
  legs: Leg[];
  /** Answered from an earlier request with the same Idempotency-Key: nothing was written now. */
  replayed: boolean;
}

/** Thrown inside the transaction to roll back a duplicate and answer with the first result. */
class Replayed extends Error {
  constructor(readonly transactionIds: string[]) {
    super('replayed');
  }
}

const PAGE = 500;
/** Accounts reinvested at once by one run: each is its own database transaction. */
const PARALLEL = 4;
const MAX_REPORTED_FAILURES = 20;

/**
 * docs/domain.md §7: reinvestment of REV and COM accounts (quarterly, or when a user asks) and the
 * closing of positions. Every write locks its account, plans with the pure rules and posts through
 * ledger_post in one database transaction, then announces it.
 */
@Injectable()
export class ReinvestmentService {
  private readonly logger = new Logger(ReinvestmentService.name);

  constructor(
    @Inject(growthConfig.KEY) private readonly growth: GrowthConfig,
    private readonly repository: ReinvestmentRepository,
    private readonly ledger: LedgerRepository,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
    private readonly producer: TasksProducer,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
  ) {}

  /**
   * A reinvestment a user asks for: of `amount`, or else of what the rule gives (422
   * NOTHING_TO_REINVEST when that is nothing or below the minimum). Recorded with quarter NULL; it
   * is the "last reinvestment" from which the next income window starts.
   */
  async reinvest(principal: Principal, accountId: string, dto: ReinvestmentDto, key?: string) {
    const written = await measureGrowth(
      'reinvestment',
      'user',
      () => this.reinvestAsUser(principal, accountId, dto, key),
      (w) => !w.replayed,
    );
    const moved = pocketMoves(written.legs, accountId);
    const view: ReinvestmentView = {
      ...written.view,
      accountId,
      amount: formatCents(moved.contracts + moved.leaps),
      contracts: formatCents(moved.contracts),
      leaps: formatCents(moved.leaps),
      quarter: null,
    };
    return view;
  }

  private reinvestAsUser(principal: Principal, accountId: string, dto: ReinvestmentDto, key?: string) {
    return this.asUser(
      principal,
      accountId,
      { action: 'reinvestment.request', body: dto, key },
      (fact) => {
        if (fact.type !== 'REV' && fact.type !== 'COM') throw reinvestmentNotAllowed(fact.type);
      },
      async (m, row) => {
        let amount: Cents;
        if (dto.amount !== undefined) {
          amount = toCents(dto.amount);
        } else {
          const decision = decide(row, await this.repository.incomeWindow(m, accountId, null));
          if (!decision.reinvest) throw refusal(decision, row);
          amount = decision.amount;
        }
        return planReinvestment(uuid7(), pocketAccount(row), amount, row.config.contractsPct);
      },
      async (m, plan) => {
        const amount = -plan.legs.find((l) => l.ledger === 'cash')!.amount;
        await this.repository.record(m, {
          transactionId: plan.id,
          accountId,
          quarter: null,
          amount,
          at: this.clock.now(),
        });
      },
    );
  }

  /** Brings positions back to cash: the amounts named, or everything (422 NOTHING_TO_CLOSE when nothing is held). */
  async closePositions(principal: Principal, accountId: string, dto: PositionCloseDto, key?: string) {
    const written = await this.asUser(
      principal,
      accountId,
      { action: 'positions.close', body: dto, key },
      () => undefined,
      (_m, row) => {
        const amounts = closeAmounts(
          {
            contracts: dto.contracts === undefined ? undefined : toCents(dto.contracts),
            leaps: dto.leaps === undefined ? undefined : toCents(dto.leaps),
          },
          { contracts: BigInt(row.contracts), leaps: BigInt(row.leaps) },
        );
        return Promise.resolve(planPositionClose(uuid7(), pocketAccount(row), amounts));
      },
    );
    const moved = pocketMoves(written.legs, accountId);
    const view: PositionCloseView = {
      ...written.view,
      accountId,
      amount: formatCents(-(moved.contracts + moved.leaps)),
      contracts: formatCents(-moved.contracts),
      leaps: formatCents(-moved.leaps),
    };
    return view;
  }

  /** Queues a quarterly run now (admin): for a missed quarter, or the current one. */
  async requestRun(quarterKey?: string): Promise<ReinvestmentRunView> {
    const quarter = this.resolveQuarter(quarterKey);
    const { id } = await this.producer.add('reinvestments', 'reinvest-quarter', { quarter: quarter.key });
    return { id, quarter: quarter.key };
  }

  /**
   * The quarterly job: every ACTIVE REV and COM account, each in its own database transaction.
   * Running it again, or twice at once, reinvests nothing more: the (account, quarter) unique
   * index admits one reinvestment per account and quarter.
   */
  async runQuarter(
    quarterKey: string | undefined,
    context?: TaskContext,
    meta: { actorId?: string; correlationId?: string } = {},
  ): Promise<ReinvestmentRunReport> {
    const quarter = this.resolveQuarter(quarterKey);
    const total = await this.repository.countReinvestingAccounts();
    const report: ReinvestmentRunReport = {
      quarter: quarter.key,
      accounts: 0,
      reinvested: 0,
      skipped: 0,
      alreadyDone: 0,
      failed: 0,
      amount: '0.00',
      failures: [],
    };
    let amount = 0n;
    let after: string | null = null;
    for (;;) {
      await context?.checkpoint();
      const ids = await this.repository.reinvestingAccounts(after, PAGE);
      if (ids.length === 0) break;
      const pending = [...ids];
      const work = async () => {
        for (let id = pending.shift(); id !== undefined; id = pending.shift()) {
          try {
            const result = await this.reinvestForQuarter(id, quarter, meta);
            report[result.outcome]++;
            amount += result.amount;
          } catch (error) {
            report.failed++;
            const message = error instanceof Error ? error.message : String(error);
            if (report.failures.length < MAX_REPORTED_FAILURES) report.failures.push({ accountId: id, error: message });
            this.logger.warn(`reinvestment of account ${id} for ${quarter.key} failed: ${message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, work));
      report.accounts += ids.length;
      after = ids[ids.length - 1];
      await context?.progress(total === 0 ? 100 : (100 * report.accounts) / Math.max(total, report.accounts));
    }
    report.amount = formatCents(amount);
    return report;
  }

  private async reinvestForQuarter(
    accountId: string,
    quarter: Quarter,
    meta: { actorId?: string; correlationId?: string },
  ): Promise<{ outcome: Outcome; amount: Cents }> {
    const result = await measureGrowth(
      'reinvestment',
      'schedule',
      () => this.reinvestUnderLock(accountId, quarter, meta),
      (r) => r.outcome === 'reinvested',
    );
    if (result.plan) await announcePosted(this.events, [result.plan]);
    return { outcome: result.outcome, amount: result.amount };
  }

  private reinvestUnderLock(
    accountId: string,
    quarter: Quarter,
    meta: { actorId?: string; correlationId?: string },
  ): Promise<{ outcome: Outcome; plan?: PlannedTransaction; amount: Cents }> {
    return this.repository.transaction(
      async (m): Promise<{ outcome: Outcome; plan?: PlannedTransaction; amount: Cents }> => {
        const row = await this.repository.lockAccount(m, accountId);
        // Suspended, closed or merged since the page was read: not this quarter's business.
        if (!row || row.status !== 'ACTIVE') return { outcome: 'skipped', amount: 0n };
        const window = await this.repository.incomeWindow(m, accountId, quarter.key);
        if (window.done) return { outcome: 'alreadyDone', amount: 0n };
        const decision = decide(row, window);
        if (!decision.reinvest) return { outcome: 'skipped', amount: 0n };
        const plan = planReinvestment(
          uuid7(),
          pocketAccount(row),
          decision.amount,
          row.config.contractsPct,
          `quarterly reinvestment ${quarter.key}`,
        );
        const at = this.clock.now();
        const claimed = await this.repository.record(m, {
          transactionId: plan.id,
          accountId,
          quarter: quarter.key,
          amount: decision.amount,
          at,
        });
        if (!claimed) return { outcome: 'alreadyDone', amount: 0n };
        await this.ledger.post(
          {
            action: 'reinvestment.quarterly',
            actorId: meta.actorId ?? null, // a scheduled run has no user
            correlationId: meta.correlationId,
            transactions: [plan],
          },
          m,
        );
        return { outcome: 'reinvested', plan, amount: decision.amount };
      },
    );
  }

  private resolveQuarter(key: string | undefined): Quarter {
    const now = this.clock.now();
    if (key === undefined) return quarterOf(now, this.growth.tz);
    const quarter = parseQuarter(key, this.growth.tz);
    if (!quarter) throw invalidQuarter(key);
    if (quarter.start.getTime() > now.getTime()) throw quarterNotStarted(quarter.key);
    return quarter;
  }

  /**
   * The shape of a movement a user asks for on one account: authorise ('move'), answer a replayed
   * Idempotency-Key with the first result, then lock the account, plan, post and record in one
   * database transaction, and announce it after commit.
   */
  private async asUser(
    principal: Principal,
    accountId: string,
    op: { action: string; body: object; key?: string },
    precheck: (fact: AccountFacts) => void,
    plan: (m: EntityManager, row: LockedAccount) => Promise<PlannedTransaction>,
    afterPost?: (m: EntityManager, plan: PlannedTransaction) => Promise<void>,
  ): Promise<Written> {
    const fact = (await this.directory.lookup([accountId])).get(accountId);
    if (!fact) throw accountNotFound(accountId);
    await this.access.assertWithin(principal, fact.portfolioId, 'move', () => accountNotFound(accountId), fact.ownerId);
    precheck(fact);

    const hash = op.key ? requestHash(op.action, { accountId, body: op.body }) : undefined;
    // A key already used answers with what it wrote, even when the rule would now give nothing.
    const replayed = (m?: EntityManager) =>
      op.key ? this.ledger.replayOf(principal.userId, op.key, hash!, m) : Promise.resolve(undefined);
    const earlier = await replayed();
    if (earlier) return this.replay(earlier);

    const context = currentContext();
    try {
      const written = await this.repository.transaction(async (m) => {
        const row = (await this.repository.lockAccount(m, accountId))!;
        // A request with the same key that held the lock before us has committed by now.
        const raced = await replayed(m);
        if (raced) throw new Replayed(raced);
        const planned = await plan(m, row);
        const request: LedgerRequest = {
          action: op.action,
          actorId: principal.userId,
          correlationId: context?.correlationId,
          ip: context?.ip,
          idempotencyKey: op.key,
          requestHash: hash,
          transactions: [planned],
        };
        const result = await this.ledger.post(request, m);
        // A concurrent request with the same key won the claim: answer with its result.
        if (result.replayed) throw new Replayed(result.transactionIds);
        await afterPost?.(m, planned);
        return { plan: planned, view: plannedView(planned, result.transactions[0]) };
      });
      await announcePosted(this.events, [written.plan]);
      return { view: written.view, legs: written.plan.legs, replayed: false };
    } catch (error) {
      if (error instanceof Replayed) return this.replay(error.transactionIds);
      throw error;
    }
  }

  private async replay(transactionIds: string[]): Promise<Written> {
    const [row] = await this.ledger.findTransactions(transactionIds);
    return {
      view: toTransactionView(row),
      legs: row.postings.map((p) => ({ accountId: p.accountId, ledger: p.ledger, amount: BigInt(p.amount) })),
      replayed: true,
    };
  }
}

function pocketAccount(row: LockedAccount) {
  return { id: row.id, portfolioId: row.portfolio_id, type: row.type };
}

/** The rule of docs/domain.md §7 applied to a locked account and its income window. */
function decide(row: LockedAccount, window: IncomeWindow): ReinvestmentDecision {
  const pockets = { cash: BigInt(row.cash), contracts: BigInt(row.contracts), leaps: BigInt(row.leaps) };
  return reinvestmentAmount({
    netIncome: netTradingIncome(
      window.income.map((i) => ({ kind: i.kind, reversedKind: i.reversed_kind, amount: BigInt(i.amount) })),
    ),
    reinvestRatePct: row.config.reinvestRatePct ?? 100,
    available: accountFigures(pockets, row.buffer_bp).available,
    minimum: parseMoneyAtLeastZero(row.config.minReinvestment) ?? 10_000n,
  });
}

function refusal(decision: Extract<ReinvestmentDecision, { reinvest: false }>, row: LockedAccount) {
  const messages = {
    NO_INCOME: 'there is no net trading income to reinvest since the last reinvestment',
    NO_AVAILABLE_CASH: 'there is no cash available above the buffer',
    BELOW_MINIMUM: `the amount to reinvest is below the account's minReinvestment of ${row.config.minReinvestment}`,
  };
  return nothingToReinvest(messages[decision.reason], {
    reason: decision.reason,
    amount: formatCents(decision.amount),
    minReinvestment: row.config.minReinvestment,
  });
}
