import { formatCents } from '@app/money';
import type { FamilyTree, TreeAccount, TreeNode } from './domain/tree';
import { accountValue } from './domain/merge';
import type { ProposalRow, UnitRow } from './fork-merge.repository';
import type { MergeProposalView, TreeAccountView, TreeUnitView, UnitView } from './dto/unit.view';

/** The unit's GEN and COM accounts, as pockets in cents. */
export function unitAccounts(row: UnitRow) {
  const [gen, com] = row.accounts.map((a) => ({
    id: a.id,
    status: a.status,
    baseline: BigInt(a.baseline),
    cash: BigInt(a.cash),
    contracts: BigInt(a.contracts),
    leaps: BigInt(a.leaps),
  }));
  return { gen, com };
}

export function toUnitView(row: UnitRow): UnitView {
  const { gen, com } = unitAccounts(row);
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    status: row.status,
    parentAccountId: row.parent_account_id,
    parentUnitId: row.parent_unit_id,
    gen: { id: gen.id, status: gen.status, value: formatCents(accountValue(gen)) },
    com: { id: com.id, status: com.status, value: formatCents(accountValue(com)) },
    value: formatCents(accountValue(gen) + accountValue(com)),
    amount: formatCents(row.amount),
    trigger: row.trigger,
    createdBy: row.created_by,
    forkTransactionId: row.fork_transaction_id,
    mergeTransactionId: row.merge_transaction_id,
    createdAt: row.created_at.toISOString(),
    mergedAt: row.merged_at?.toISOString() ?? null,
  };
}

export function toProposalView(row: ProposalRow): MergeProposalView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    unitId: row.unit_id,
    status: row.status,
    value: formatCents(row.value),
    createdAt: row.created_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    decidedBy: row.decided_by,
    note: row.note,
  };
}

const accountView = (a: TreeAccount): TreeAccountView => ({
  id: a.id,
  type: a.type,
  status: a.status,
  value: formatCents(a.value),
});

const nodeView = (n: TreeNode): TreeUnitView => ({
  id: n.id,
  status: n.status,
  value: formatCents(n.value),
  amount: formatCents(n.amount),
  parentAccountId: n.parentAccountId,
  createdAt: n.createdAt.toISOString(),
  gen: accountView(n.gen),
  com: accountView(n.com),
  children: n.children.map(nodeView),
});

export const toTreeRootsView = (tree: FamilyTree) =>
  tree.roots.map((r) => ({ account: accountView(r.account), units: r.units.map(nodeView) }));
