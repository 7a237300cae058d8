import type { Cents } from '@app/money';
import type { AccountStatus, AccountType } from '../../accounts/domain/account-types';
import type { UnitStatus } from './merge';

export interface TreeAccount {
  id: string;
  type: AccountType;
  status: AccountStatus;
  value: Cents;
}

export interface TreeUnit {
  id: string;
  status: UnitStatus;
  parentAccountId: string;
  parentUnitId: string | null;
  amount: Cents;
  createdAt: Date;
  gen: TreeAccount;
  com: TreeAccount;
}

export interface TreeNode extends TreeUnit {
  /** The unit's own value: its GEN + its COM. */
  value: Cents;
  /** Units forked from this unit's GEN account, oldest first. */
  children: TreeNode[];
}

export interface FamilyTree {
  roots: { account: TreeAccount; units: TreeNode[] }[];
}

/**
 * docs/domain.md §5: root accounts → the units their GEN forked → those units' children, in creation
 * order. Units are given oldest first; a unit merged stays in the tree with its children.
 */
export function buildTree(rootAccounts: readonly TreeAccount[], units: readonly TreeUnit[]): FamilyTree {
  const nodes = new Map<string, TreeNode>();
  for (const unit of units) {
    nodes.set(unit.id, { ...unit, value: unit.gen.value + unit.com.value, children: [] });
  }
  const underRoot = new Map<string, TreeNode[]>(rootAccounts.map((a) => [a.id, []]));
  for (const node of nodes.values()) {
    const parent = node.parentUnitId ? nodes.get(node.parentUnitId) : undefined;
    if (parent) parent.children.push(node);
    else underRoot.get(node.parentAccountId)?.push(node);
  }
  return { roots: rootAccounts.map((account) => ({ account, units: underRoot.get(account.id) ?? [] })) };
}
