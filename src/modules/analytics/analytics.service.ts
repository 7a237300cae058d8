import { UnitsService } from '../fork-merge/units.service';
import { Injectable } from '@nestjs/common';
import Decimal from 'decimal.js';
import { formatCents } from '@app/money';
import { Clock } from '../../common/clock';
import { AccountDirectory } from '../accounts/account-directory.service';
import { accountNotFound } from '../accounts/accounts.errors';
import { ACCOUNT_TYPES } from '../accounts/domain/account-types';
import { PortfolioAccessService } from '../accounts/portfolio-access.service';
import type { Principal } from '../auth/principal';
import { invalidPeriod } from './analytics.errors';
import { AnalyticsRepository, type UnitRow, type WeeklyPostingsRow } from './analytics.repository';
import { INCOME_KINDS } from '../transactions/domain/ledger.types';
import { TIMED_KINDS } from './domain/classification';
import { forkOutlook, mergeProgress } from './domain/growth';
import { INCOME_PERIODS, periodLabel } from './domain/periods';
import { percent, ratio, returnStatistics } from './domain/statistics';
import { buildWeeks, totalIncome, type Pockets, type WeeklyPostings } from './domain/weekly-series';
import type {
  AccountAnalyticsView,
  AnalyticsQuery,
  IncomeByPeriodView,
  PortfolioAnalyticsView,
  AnalyticsTypeTotalView,
} from './dto/analytics.view';

const cents = (value: string | null) => BigInt(value ?? '0');

/** Account and portfolio analytics (docs/domain.md §8): SQL aggregates in, pure formulas on top. */
@Injectable()
export class AnalyticsService {
  constructor(
    private readonly repository: AnalyticsRepository,
    private readonly directory: AccountDirectory,
    private readonly access: PortfolioAccessService,
    private readonly clock: Clock,
    private readonly growth: UnitsService,
  ) {}

  async forAccount(principal: Principal, accountId: string, query: AnalyticsQuery): Promise<AccountAnalyticsView> {
    const requested = period(query);
    const facts = (await this.directory.lookup([accountId])).get(accountId);
    if (!facts) throw accountNotFound(accountId);
    await this.access.assertWithin(
      principal,
      facts.portfolioId,
      'read',
      () => accountNotFound(accountId),
      facts.ownerId,
    );

    // Nothing happens to an account before it exists or after now: clamp the period to its life.
    const now = this.clock.now();
    const end = new Date(Math.min((requested.to ?? now).getTime(), now.getTime()));
    const start = new Date(Math.max((requested.from ?? facts.createdAt).getTime(), facts.createdAt.getTime()));
    const [state, rows] = await Promise.all([
      this.repository.accountState(accountId),
      this.repository.weeklyPostings(accountId, start, end, TIMED_KINDS),
    ]);
    if (!state) throw accountNotFound(accountId);

    const { opening, weekly } = splitRows(rows);
    const weeks = buildWeeks(opening, weekly, start, end);
    const returns = weeks.flatMap((w) => (w.return ? [w.return] : []));
    const stats = returnStatistics(returns);
    const income = totalIncome(weeks);
    const target = new Decimal(state.weekly_target_pct).div(100);

    const value = cents(state.cash) + cents(state.contracts) + cents(state.leaps);
    const outlook =
      state.type === 'GEN'
        ? forkOutlook({
            value,
            baseline: cents(state.baseline),
            forkThreshold: cents(state.fork_threshold),
            bufferBp: state.buffer_bp,
            weeklyTargetPct: state.weekly_target_pct,
          })
        : null;

    return {
      accountId,
      portfolioId: state.portfolio_id,
      type: state.type,
      status: state.status,
      from: start.toISOString(),
      to: (end < start ? start : end).toISOString(),
      weeks: weeks.map((w) => ({
        weekStart: w.weekStart.toISOString(),
        startValue: formatCents(w.startValue),
        netFlow: formatCents(w.flow),
        income: formatCents(w.netIncome),
        cash: formatCents(w.closing.cash),
        contracts: formatCents(w.closing.contracts),
        leaps: formatCents(w.closing.leaps),
        total: formatCents(w.endValue),
        returnPct: percent(w.return),
      })),
      returns: {
        weeks: stats.weeks,
        totalPct: percent(stats.total),
        meanWeeklyPct: percent(stats.meanWeekly),
        annualisedPct: percent(stats.annualised),
        weeklySdPct: percent(stats.weeklySd),
        volatilityPct: percent(stats.volatility),
        sharpe: ratio(stats.sharpe),
        maxDrawdownPct: percent(stats.maxDrawdown),
        positiveWeeksPct: percent(stats.positiveShare),
      },
      income: {
        premium: formatCents(income.PREMIUM),
        tradingLoss: formatCents(income.TRADING_LOSS),
        fee: formatCents(income.FEE),
        net: formatCents(income.PREMIUM + income.TRADING_LOSS + income.FEE),
      },
      netFlow: formatCents(weeks.reduce((sum, w) => sum + w.flow, 0n)),
      target: {
        targetWeeklyPct: state.weekly_target_pct,
        actualWeeklyPct: percent(stats.meanWeekly),
        differencePct: percent(stats.meanWeekly ? stats.meanWeekly.minus(target) : null),
        weeksAtOrAboveTarget: returns.filter((r) => r.gte(target)).length,
      },
      fork: outlook && {
        baseline: formatCents(cents(state.baseline)),
        total: formatCents(value),
        surplus: formatCents(outlook.surplus),
        forkThreshold: formatCents(cents(state.fork_threshold)),
        progressPct: percent(outlook.progress)!,
        weeksToFork: outlook.weeksToFork,
      },
      unit:
        state.unit_id && state.unit_status
          ? {
              unitId: state.unit_id,
              status: state.unit_status,
              value: formatCents(cents(state.unit_value)),
              mergeThreshold: formatCents(cents(state.merge_threshold)),
              progressPct: percent(mergeProgress(cents(state.unit_value), cents(state.merge_threshold)))!,
            }
          : null,
    };
  }

  async forPortfolio(
    principal: Principal,
    portfolioId: string,
    query: AnalyticsQuery,
  ): Promise<PortfolioAnalyticsView> {
    const requested = period(query);
    await this.access.assert(principal, portfolioId, 'read');
    const to = requested.to ?? this.clock.now();
    const from = requested.from ?? (await this.repository.portfolioCreatedAt(portfolioId)) ?? to;
    const [accounts, units, income, tree] = await Promise.all([
      this.repository.portfolioAccounts(portfolioId),
      this.repository.units(portfolioId),
      this.repository.portfolioIncome(portfolioId, from, to, INCOME_KINDS),
      this.growth.tree(principal, portfolioId),
    ]);

    const valueOf = new Map(accounts.map((a) => [a.id, cents(a.cash) + cents(a.contracts) + cents(a.leaps)]));
    const byType: AnalyticsTypeTotalView[] = ACCOUNT_TYPES.map((type) => {
      const of = accounts.filter((a) => a.type === type);
      const sum = (pick: (p: Pockets) => bigint) =>
        of.reduce(
          (s, a) => s + pick({ cash: cents(a.cash), contracts: cents(a.contracts), leaps: cents(a.leaps) }),
          0n,
        );
      return {
        type,
        accounts: of.length,
        cash: formatCents(sum((p) => p.cash)),
        contracts: formatCents(sum((p) => p.contracts)),
        leaps: formatCents(sum((p) => p.leaps)),
        total: formatCents(sum((p) => p.cash + p.contracts + p.leaps)),
      };
    });
    const inPeriod = (at: Date | null) => at !== null && at >= from && at < to;
    const merged = units.filter((u): u is UnitRow & { merged_at: Date } => u.merged_at !== null);

    return {
      portfolioId,
      from: from.toISOString(),
      to: to.toISOString(),
      total: formatCents([...valueOf.values()].reduce((s, v) => s + v, 0n)),
      byType,
      units: units.map((u) => {
        const gen = valueOf.get(u.gen_account_id) ?? 0n;
        const com = valueOf.get(u.com_account_id) ?? 0n;
        return {
          unitId: u.id,
          seq: Number(u.seq),
          status: u.status,
          genAccountId: u.gen_account_id,
          comAccountId: u.com_account_id,
          gen: formatCents(gen),
          com: formatCents(com),
          total: formatCents(gen + com),
        };
      }),
      forks: units.map((u) => ({
        unitId: u.id,
        parentAccountId: u.parent_account_id,
        parentUnitId: u.parent_unit_id,
        amount: formatCents(cents(u.amount)),
        trigger: u.trigger,
        createdBy: u.created_by,
        transactionId: u.fork_transaction_id,
        at: u.created_at.toISOString(),
      })),
      merges: merged
        .sort((a, b) => a.merged_at.getTime() - b.merged_at.getTime())
        .map((u) => ({
          unitId: u.id,
          amount: u.merged_amount === null ? null : formatCents(cents(u.merged_amount)),
          transactionId: u.merge_transaction_id!,
          at: u.merged_at.toISOString(),
        })),
      counts: {
        forks: units.filter((u) => inPeriod(u.created_at)).length,
        merges: merged.filter((u) => inPeriod(u.merged_at)).length,
        activeUnits: units.filter((u) => u.status === 'ACTIVE').length,
        mergedUnits: merged.length,
      },
      income: incomeByPeriod(income),
      tree,
    };
  }
}

/** Parses and checks from < to (both optional). */
function period(query: AnalyticsQuery): { from?: Date; to?: Date } {
  const from = query.from ? new Date(query.from) : undefined;
  const to = query.to ? new Date(query.to) : undefined;
  if (from && to && from.getTime() >= to.getTime()) throw invalidPeriod();
  return { from, to };
}

function splitRows(rows: WeeklyPostingsRow[]): { opening: Pockets; weekly: WeeklyPostings[] } {
  const opening: Pockets = { cash: 0n, contracts: 0n, leaps: 0n };
  const weekly: WeeklyPostings[] = [];
  for (const row of rows) {
    if (row.week === null || row.kind === null) opening[row.ledger] += BigInt(row.amount);
    else {
      weekly.push({
        weekStart: row.week,
        ledger: row.ledger,
        kind: row.kind,
        reversedKind: row.reversed_kind,
        amount: BigInt(row.amount),
        moment: row.moment,
      });
    }
  }
  return { opening, weekly };
}

function incomeByPeriod(rows: { period: string; start: Date; income: string }[]): IncomeByPeriodView {
  const view: IncomeByPeriodView = { total: '0.00', weeks: [], months: [], quarters: [], years: [] };
  const lists = { week: view.weeks, month: view.months, quarter: view.quarters, year: view.years };
  let total = 0n;
  for (const period of INCOME_PERIODS) {
    for (const row of rows.filter((r) => r.period === period)) {
      lists[period].push({
        period: periodLabel(period, row.start),
        start: row.start.toISOString(),
        income: formatCents(BigInt(row.income)),
      });
      if (period === 'year') total += BigInt(row.income);
    }
  }
  view.total = formatCents(total);
  return view;
}
