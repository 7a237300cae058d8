import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { requestHash } from '../../common/idempotency';
import { currentContext } from '../../common/request-context';
import { uuid7 } from '../../common/uuid7';
import { growthConfig, type GrowthConfig } from '../../config/configuration';
import { AccountsRepository } from '../accounts/accounts.repository';
import { DEFAULT_CONFIG } from '../accounts/domain/account-config';
import type { GrowthTrigger } from '../async-tasks/queues';
import { AuditService } from '../audit/audit.service';
import { measureGrowth } from '../monitoring/growth-metrics';
import type { PlannedTransaction } from '../transactions/domain/ledger.types';
import { announcePosted } from '../transactions/ledger.events';
import { LedgerRepository } from '../transactions/ledger.repository';
import { decideFork, planFork, type ForkDecision } from './domain/fork';
import { decideMerge, planMerge, shouldPropose, type MergeCandidate, type MergeDecision } from './domain/merge';
import { proposalDecided, proposalNotFound, unitNotFound } from './fork-merge.errors';
import { ForkMergeRepository, type ForkRow, type UnitRow } from './fork-merge.repository';
import { unitAccounts } from './views';

/** Who asked, and the Idempotency-Key they sent, if any. */
export interface Requester {
  actorId: string | null;
  idempotencyKey?: string;
}

export type ForkOutcome = { unitId: string } | { refused: Extract<ForkDecision, { eligible: false }> };
export type MergeOutcome =
  | { unitId: string; merged: true }
  | { unitId: string; proposalId: string; proposed: true }
  | { refused: Extract<MergeDecision, { eligible: false }> | { reason: 'ALREADY_PROPOSED'; message: string } };

/**
 * The growth engine's writes (docs/domain.md §5, §6): fork, merge, merge proposals. Each runs in one
 * database transaction under the portfolio's advisory lock, decides with the pure rules on rows
 * read under lock, and posts its FORK or MERGE through the ledger in the same transaction, so
 * however many triggers race, one surplus forks once and one unit merges once.
 */
@Injectable()
export class ForkMergeService {
  constructor(
    private readonly repository: ForkMergeRepository,
    private readonly accounts: AccountsRepository,
    private readonly ledger: LedgerRepository,
    private readonly audit: AuditService,
    private readonly events: EventEmitter2,
    private readonly clock: Clock,
    @Inject(growthConfig.KEY) private readonly config: GrowthConfig,
  ) {}

  /** Forks the GEN account if it is eligible; otherwise says why not. */
  async fork(portfolioId: string, accountId: string, trigger: GrowthTrigger, who: Requester): Promise<ForkOutcome> {
    const { outcome, plan } = await measureGrowth(
      'fork',
      trigger,
      () => this.forkOnce(portfolioId, accountId, trigger, who),
      (done) => done.plan !== undefined,
    );
    await this.announce(plan);
    return outcome;
  }

  /** The fork itself; `plan` is set when it forked (not on a refusal or a replay). */
  private async forkOnce(
    portfolioId: string,
    accountId: string,
    trigger: GrowthTrigger,
    who: Requester,
  ): Promise<{ outcome: ForkOutcome; plan?: PlannedTransaction }> {
    const hash = requestHash('growth.fork', { accountId });
    if (!who.idempotencyKey) {
      // Most checks find nothing to do: a plain read says so without a transaction or a lock.
      // Only an account that looks eligible is decided again under lock.
      const decision = forkDecision(await this.repository.forkCandidate(accountId));
      if (!decision.eligible) return { outcome: { refused: decision } };
    }
    return this.repository.transaction(async (m) => {
      await this.repository.lockPortfolio(m, portfolioId);
      const replayed = await this.replay(m, who, hash, 'fork_transaction_id');
      if (replayed) return { outcome: { unitId: replayed.id } };

      const row = (await this.repository.forkCandidate(accountId, m))!;
      const decision = forkDecision(row);
      if (!decision.eligible) return { outcome: { refused: decision } };

      const now = this.clock.now();
      const unitId = uuid7();
      // The new GEN trades like its parent; the new COM starts from the COM defaults.
      const [gen, com] = await this.accounts.insertAccounts(m, portfolioId, [
        { type: 'GEN', bufferBp: row.buffer_bp, config: row.config, unitId, parentAccountId: accountId },
        { type: 'COM', bufferBp: row.buffer_bp, config: DEFAULT_CONFIG.COM, unitId, parentAccountId: accountId },
      ]);
      const plan = planFork(
        uuid7(),
        { id: accountId, portfolioId },
        { genAccountId: gen.id, comAccountId: com.id },
        decision,
        now,
      );
      await this.repository.insertUnit(m, {
        id: unitId,
        portfolioId,
        parentAccountId: accountId,
        parentUnitId: row.unit_id,
        genAccountId: gen.id,
        comAccountId: com.id,
        amount: decision.surplus,
        trigger,
        createdBy: trigger === 'user' ? who.actorId : null,
        forkTransactionId: plan.id,
        createdAt: now,
      });
      await this.post(m, 'growth.fork', plan, who, hash);
      await this.audit.record(
        {
          action: 'unit.fork',
          entityType: 'unit',
          entityId: unitId,
          portfolioId,
          details: {
            trigger,
            parentAccountId: accountId,
            amount: decision.surplus.toString(),
            genAccountId: gen.id,
            comAccountId: com.id,
            transactionId: plan.id,
          },
        },
        m,
      );
      return { outcome: { unitId }, plan };
    });
  }

  /**
   * Merges the unit if it is eligible. `proposalId` confirms that proposal (it must still be
   * open); any other open proposal of the unit is closed as superseded.
   */
  async merge(
    unitId: string,
    portfolioId: string,
    trigger: GrowthTrigger,
    who: Requester,
    proposalId?: string,
  ): Promise<MergeOutcome> {
    const { outcome, plan } = await measureGrowth(
      'merge',
      trigger,
      () => this.mergeOnce(unitId, portfolioId, who, trigger, proposalId),
      (done) => done.plan !== undefined,
    );
    await this.announce(plan);
    return outcome;
  }

  /** The merge itself; `plan` is set when it merged (not on a refusal or a replay). */
  private async mergeOnce(
    unitId: string,
    portfolioId: string,
    who: Requester,
    trigger: GrowthTrigger,
    proposalId?: string,
  ): Promise<{ outcome: MergeOutcome; plan?: PlannedTransaction }> {
    const hash = requestHash('growth.merge', { unitId, proposalId });
    return this.repository.transaction(async (m) => {
      await this.repository.lockPortfolio(m, portfolioId);
      const replayed = await this.replay(m, who, hash, 'merge_transaction_id');
      if (replayed) return { outcome: { unitId: replayed.id, merged: true as const } };
      if (proposalId) {
        const proposal = await this.repository.findProposal(proposalId, m);
        if (!proposal) throw proposalNotFound(proposalId);
        if (proposal.status !== 'PENDING') throw proposalDecided(proposalId, proposal.status);
      }

      const unit = (await this.repository.findUnit(unitId, m))!;
      const candidate = toCandidate(unit);
      const decision = decideMerge(candidate, BigInt(unit.merge_threshold));
      if (!decision.eligible) return { outcome: { refused: decision } };

      const now = this.clock.now();
      const rootCom = await this.repository.rootAccountId(m, portfolioId, 'COM');
      const plan = planMerge(uuid7(), candidate, rootCom, now);
      await this.post(m, 'growth.merge', plan, who, hash);
      await this.repository.markMerged(m, unitId, plan.id, now);
      if (proposalId) {
        await this.repository.decideProposals(m, unitId, { status: 'CONFIRMED', by: who.actorId, at: now }, proposalId);
      }
      await this.repository.decideProposals(m, unitId, { status: 'SUPERSEDED', by: who.actorId, at: now });
      await this.audit.record(
        {
          action: 'unit.merge',
          entityType: 'unit',
          entityId: unitId,
          portfolioId,
          details: {
            trigger,
            proposalId,
            value: decision.value.toString(),
            rootComAccountId: rootCom,
            transactionId: plan.id,
          },
        },
        m,
      );
      return { outcome: { unitId, merged: true as const }, plan };
    });
  }

  /** The automatic and scheduled check: merges (mergeMode auto) or proposes (confirm) when eligible. */
  async checkMerge(unitId: string, trigger: 'automatic' | 'scan'): Promise<MergeOutcome> {
    const unit = await this.repository.findUnit(unitId);
    if (!unit) throw unitNotFound(unitId);
    const decision = decideMerge(toCandidate(unit), BigInt(unit.merge_threshold));
    if (!decision.eligible) return { refused: decision }; // decided again under lock when it looks eligible
    if (unit.merge_mode === 'auto') return this.merge(unitId, unit.portfolio_id, trigger, { actorId: null });

    return this.repository.transaction(async (m): Promise<MergeOutcome> => {
      await this.repository.lockPortfolio(m, unit.portfolio_id);
      const current = (await this.repository.findUnit(unitId, m))!;
      const decision = decideMerge(toCandidate(current), BigInt(current.merge_threshold));
      if (!decision.eligible) return { refused: decision };
      const now = this.clock.now();
      const state = await this.repository.proposalState(m, unitId);
      if (!shouldPropose(state.open, state.lastRejectedAt, now, this.config.reproposeAfterDays)) {
        return { refused: { reason: 'ALREADY_PROPOSED', message: 'a proposal is open or was rejected recently' } };
      }
      const proposal = await this.repository.insertProposal(m, {
        id: uuid7(),
        portfolioId: unit.portfolio_id,
        unitId,
        value: decision.value,
        at: now,
      });
      await this.audit.record(
        {
          action: 'merge.propose',
          entityType: 'merge_proposal',
          entityId: proposal!.id,
          portfolioId: unit.portfolio_id,
          details: { unitId, trigger, value: decision.value.toString() },
        },
        m,
      );
      return { unitId, proposalId: proposal!.id, proposed: true };
    });
  }

  /** Rejects an open proposal; the unit is not proposed again for a while (GROWTH_REPROPOSE_AFTER_DAYS). */
  async reject(proposalId: string, portfolioId: string, actorId: string, note?: string): Promise<void> {
    await this.repository.transaction(async (m) => {
      await this.repository.lockPortfolio(m, portfolioId);
      const proposal = (await this.repository.findProposal(proposalId, m))!;
      if (proposal.status !== 'PENDING') throw proposalDecided(proposalId, proposal.status);
      const at = this.clock.now();
      await this.repository.decideProposals(
        m,
        proposal.unit_id,
        { status: 'REJECTED', by: actorId, at, note },
        proposalId,
      );
      await this.audit.record(
        {
          action: 'merge.reject',
          entityType: 'merge_proposal',
          entityId: proposalId,
          portfolioId,
          details: { unitId: proposal.unit_id, note },
        },
        m,
      );
    });
  }

  /** A request repeated with its Idempotency-Key gets the unit its first run made. */
  private async replay(
    m: EntityManager,
    who: Requester,
    hash: string,
    by: 'fork_transaction_id' | 'merge_transaction_id',
  ): Promise<UnitRow | undefined> {
    if (!who.idempotencyKey || !who.actorId) return undefined;
    // Under the portfolio lock: a duplicate running at the same time waits for the first, then finds its key.
    const ids = await this.ledger.replayOf(who.actorId, who.idempotencyKey, hash, m);
    return ids ? this.repository.findUnitBy(by, ids[0], m) : undefined;
  }

  private async post(m: EntityManager, action: string, plan: PlannedTransaction, who: Requester, hash: string) {
    const context = currentContext();
    await this.ledger.post(
      {
        action,
        actorId: who.actorId,
        correlationId: context?.correlationId,
        ip: context?.ip,
        idempotencyKey: who.actorId ? who.idempotencyKey : undefined,
        requestHash: who.idempotencyKey ? hash : undefined,
        transactions: [plan],
      },
      m,
    );
  }

  private async announce(plan: PlannedTransaction | undefined): Promise<void> {
    if (plan) await announcePosted(this.events, [plan]);
  }
}

function forkDecision(row: ForkRow | undefined): ForkDecision {
  if (!row) throw new Error('the account vanished');
  return decideFork(
    {
      id: row.id,
      portfolioId: row.portfolio_id,
      type: row.type,
      status: row.status,
      baseline: BigInt(row.baseline),
      cash: BigInt(row.cash),
      contracts: BigInt(row.contracts),
      leaps: BigInt(row.leaps),
    },
    BigInt(row.fork_threshold),
  );
}

function toCandidate(unit: UnitRow): MergeCandidate {
  return { id: unit.id, portfolioId: unit.portfolio_id, status: unit.status, ...unitAccounts(unit) };
}
