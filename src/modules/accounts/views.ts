import { formatCents } from '@app/money';
import { accountFigures } from './domain/balances';
import { ACCOUNT_TYPES } from './domain/account-types';
import type { AccountRow, PortfolioRow, TypeTotals } from './accounts.repository';
import type { AccountView, PortfolioTotalsView, PortfolioView, TypeTotalView } from './dto/account.view';

export function toAccountView(row: AccountRow): AccountView {
  const pockets = { cash: BigInt(row.cash), contracts: BigInt(row.contracts), leaps: BigInt(row.leaps) };
  const figures = accountFigures(pockets, row.buffer_bp);
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    type: row.type,
    status: row.status,
    unitId: row.unit_id,
    parentAccountId: row.parent_account_id,
    baseline: formatCents(row.baseline),
    cash: formatCents(pockets.cash),
    contracts: formatCents(pockets.contracts),
    leaps: formatCents(pockets.leaps),
    total: formatCents(figures.total),
    buffer: formatCents(figures.buffer),
    available: formatCents(figures.available),
    config: { ...row.config, bufferPct: row.buffer_bp / 100 },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function toPortfolioView(row: PortfolioRow): PortfolioView {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.owner_id,
    template: row.template,
    allocation: { gen: row.gen_pct, rev: row.rev_pct, com: row.com_pct, bufferPct: row.buffer_bp / 100 },
    forkThreshold: formatCents(row.fork_threshold),
    mergeThreshold: formatCents(row.merge_threshold),
    mergeMode: row.merge_mode,
    createdAt: row.created_at.toISOString(),
  };
}

export function toTotalsView(rows: TypeTotals[]): PortfolioTotalsView {
  let grand = 0n;
  const byType = Object.fromEntries(
    ACCOUNT_TYPES.map((type) => {
      const row = rows.find((r) => r.type === type);
      const [cash, contracts, leaps] = [row?.cash, row?.contracts, row?.leaps].map((v) => BigInt(v ?? 0));
      const total = cash + contracts + leaps;
      grand += total;
      const view: TypeTotalView = {
        accounts: row?.accounts ?? 0,
        cash: formatCents(cash),
        contracts: formatCents(contracts),
        leaps: formatCents(leaps),
        total: formatCents(total),
      };
      return [type, view];
    }),
  ) as Record<(typeof ACCOUNT_TYPES)[number], TypeTotalView>;
  return { ...byType, total: formatCents(grand) };
}
