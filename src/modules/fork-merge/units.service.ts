import { Injectable } from '@nestjs/common';
import { formatCents } from '@app/money';
import { DEFAULT_PAGE_LIMIT, type IdPageQuery } from '../../common/page-query';
import { keysetPage, type Page } from '../../common/pagination';
import { AccountsRepository } from '../accounts/accounts.repository';
import { AccountsService } from '../accounts/accounts.service';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import { toAccountView } from '../accounts/views';
import type { Principal } from '../auth/principal';
import { buildTree } from './domain/tree';
import { accountValue } from './domain/merge';
import { forkNotEligible, mergeNotEligible, proposalNotFound, unitNotFound } from './fork-merge.errors';
import { ForkMergeRepository, type ProposalRow, type UnitRow } from './fork-merge.repository';
import { ForkMergeService } from './fork-merge.service';
import type { MergeProposalView, ProposalListQuery, TreeView, UnitDetailView, UnitView } from './dto/unit.view';
import { toProposalView, toTreeRootsView, toUnitView, unitAccounts } from './views';

/** What users ask of the growth engine: read units and the tree, fork, merge, decide proposals (docs/domain.md §10). */
@Injectable()
export class UnitsService {
  constructor(
    private readonly repository: ForkMergeRepository,
    private readonly engine: ForkMergeService,
    private readonly accounts: AccountsRepository,
    private readonly accountsService: AccountsService,
    private readonly access: PortfolioAccessService,
  ) {}

  /** POST /v1/accounts/:id/fork: forks now, or refuses with FORK_NOT_ELIGIBLE and the reason. */
  async fork(principal: Principal, accountId: string, idempotencyKey?: string): Promise<UnitDetailView> {
    const fact = await this.accountsService.visibleAccount(principal, accountId, 'move');
    const outcome = await this.engine.fork(fact.portfolioId, accountId, 'user', {
      actorId: principal.userId,
      idempotencyKey,
    });
    if ('refused' in outcome) {
      const { reason, message, surplus } = outcome.refused;
      throw forkNotEligible(reason, message, { accountId, surplus: formatCents(surplus) });
    }
    return this.detail((await this.repository.findUnit(outcome.unitId))!);
  }

  /** POST /v1/units/:id/merge: merges an eligible unit now, whatever the portfolio's merge mode. */
  async merge(principal: Principal, unitId: string, idempotencyKey?: string): Promise<UnitDetailView> {
    const unit = await this.visibleUnit(principal, unitId, 'move');
    const outcome = await this.engine.merge(unitId, unit.portfolio_id, 'user', {
      actorId: principal.userId,
      idempotencyKey,
    });
    if ('refused' in outcome) throw this.mergeRefusal(outcome.refused, unitId);
    return this.detail((await this.repository.findUnit(unitId))!);
  }

  async confirm(principal: Principal, proposalId: string): Promise<MergeProposalView> {
    const proposal = await this.visibleProposal(principal, proposalId, 'move');
    const outcome = await this.engine.merge(
      proposal.unit_id,
      proposal.portfolio_id,
      'user',
      { actorId: principal.userId },
      proposalId,
    );
    if ('refused' in outcome) throw this.mergeRefusal(outcome.refused, proposal.unit_id);
    return toProposalView((await this.repository.findProposal(proposalId))!);
  }

  async reject(principal: Principal, proposalId: string, note?: string): Promise<MergeProposalView> {
    const proposal = await this.visibleProposal(principal, proposalId, 'move');
    await this.engine.reject(proposalId, proposal.portfolio_id, principal.userId, note);
    return toProposalView((await this.repository.findProposal(proposalId))!);
  }

  /** A portfolio's units, oldest first, a page at a time. */
  async listUnits(principal: Principal, portfolioId: string, q: IdPageQuery): Promise<Page<UnitView>> {
    await this.access.assert(principal, portfolioId, 'read');
    return keysetPage(
      q.limit ?? DEFAULT_PAGE_LIMIT,
      (limit) => this.repository.listUnits(portfolioId, { after: q.cursor, limit }),
      (row) => row.id,
      toUnitView,
    );
  }

  async getUnit(principal: Principal, unitId: string): Promise<UnitDetailView> {
    return this.detail(await this.visibleUnit(principal, unitId, 'read'));
  }

  async listProposals(principal: Principal, portfolioId: string, q: ProposalListQuery): Promise<MergeProposalView[]> {
    await this.access.assert(principal, portfolioId, 'read');
    return (await this.repository.listProposals(portfolioId, q.status)).map(toProposalView);
  }

  async tree(principal: Principal, portfolioId: string): Promise<TreeView> {
    await this.access.assert(principal, portfolioId, 'read');
    const [roots, units] = await Promise.all([
      this.repository.rootAccounts(portfolioId),
      this.repository.listUnits(portfolioId),
    ]);
    const rootAccounts = roots.map((r) => ({ ...r, value: BigInt(r.value) }));
    const tree = buildTree(
      rootAccounts,
      units.map((u) => {
        const { gen, com } = unitAccounts(u);
        return {
          id: u.id,
          status: u.status,
          parentAccountId: u.parent_account_id,
          parentUnitId: u.parent_unit_id,
          amount: BigInt(u.amount),
          createdAt: u.created_at,
          gen: { id: gen.id, type: 'GEN' as const, status: gen.status, value: accountValue(gen) },
          com: { id: com.id, type: 'COM' as const, status: com.status, value: accountValue(com) },
        };
      }),
    );
    const active = units.filter((u) => u.status === 'ACTIVE');
    const total =
      rootAccounts.reduce((sum, a) => sum + a.value, 0n) +
      active.reduce((sum, u) => {
        const { gen, com } = unitAccounts(u);
        return sum + accountValue(gen) + accountValue(com);
      }, 0n);
    return {
      portfolioId,
      roots: toTreeRootsView(tree),
      units: units.length,
      activeUnits: active.length,
      totalValue: formatCents(total),
    };
  }

  private async detail(unit: UnitRow): Promise<UnitDetailView> {
    const [gen, com, children] = await Promise.all([
      this.accounts.findAccount(unit.gen_account_id),
      this.accounts.findAccount(unit.com_account_id),
      this.repository.childUnitIds(unit.gen_account_id),
    ]);
    const { gen: g, com: c } = unitAccounts(unit);
    const value = accountValue(g) + accountValue(c);
    const threshold = BigInt(unit.merge_threshold);
    return {
      ...toUnitView(unit),
      accounts: [toAccountView(gen!), toAccountView(com!)],
      mergeProgress: {
        mergeThreshold: formatCents(threshold),
        progressPct: Number((value * 10_000n) / threshold) / 100,
        remaining: formatCents(value >= threshold ? 0n : threshold - value),
      },
      childUnitIds: children,
    };
  }

  private async visibleUnit(principal: Principal, unitId: string, action: 'read' | 'move'): Promise<UnitRow> {
    const unit = await this.repository.findUnit(unitId);
    if (!unit) throw unitNotFound(unitId);
    await this.access.assertWithin(principal, unit.portfolio_id, action, () => unitNotFound(unitId));
    return unit;
  }

  private async visibleProposal(principal: Principal, id: string, action: 'read' | 'move'): Promise<ProposalRow> {
    const proposal = await this.repository.findProposal(id);
    if (!proposal) throw proposalNotFound(id);
    await this.access.assertWithin(principal, proposal.portfolio_id, action, () => proposalNotFound(id));
    return proposal;
  }

  private mergeRefusal(refused: { reason: string; message: string; value?: bigint }, unitId: string) {
    return mergeNotEligible(refused.reason, refused.message, {
      unitId,
      ...(refused.value === undefined ? {} : { value: formatCents(refused.value) }),
    });
  }
}
