import { TreeView } from '../../fork-merge/dto/unit.view';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES } from '../../accounts/domain/account-types';
import type { AccountStatus, AccountType } from '../../accounts/domain/account-types';
import { IsInstant, Optional } from '../../../common/validators';
import { GROWTH_TRIGGERS } from '../../async-tasks/queues';
import { UNIT_STATUSES, type UnitStatus } from '../../fork-merge/domain/merge';
import { MONEY } from '../../../common/money-property';

const PCT = (description: string) => ({
  type: Number,
  nullable: true,
  example: 1.2345,
  description: `${description}; percent, 4 decimals (1.5 = 1.5 %); null when undefined`,
});

export class AnalyticsQuery {
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'start of the period (inclusive); defaults to the account (portfolio) creation',
  })
  @Optional()
  @IsInstant()
  from?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'end of the period (exclusive); defaults to now' })
  @Optional()
  @IsInstant()
  to?: string;
}

export class WeekView {
  @ApiProperty({ format: 'date-time', description: 'Monday 00:00 UTC' }) weekStart: string;
  @ApiProperty({ ...MONEY, description: 'total value at the start of the week (or of the period)' })
  startValue: string;
  @ApiProperty({ ...MONEY, description: 'net external flow: deposits, withdrawals, transfers, forks, merges' })
  netFlow: string;
  @ApiProperty({ ...MONEY, description: 'PREMIUM − TRADING_LOSS − FEE, reversals included' }) income: string;
  @ApiProperty({ ...MONEY, description: 'cash at the end of the week' }) cash: string;
  @ApiProperty(MONEY) contracts: string;
  @ApiProperty(MONEY) leaps: string;
  @ApiProperty({ ...MONEY, description: 'total value at the end of the week' }) total: string;
  @ApiProperty(PCT('modified Dietz return of the week; null when no capital was at work')) returnPct: number | null;
}

export class ReturnsView {
  @ApiProperty({ description: 'weeks with capital at work (the ones with a return)' }) weeks: number;
  @ApiProperty(PCT('chain-linked: Π(1 + r) − 1')) totalPct: number | null;
  @ApiProperty(PCT('arithmetic mean of the weekly returns')) meanWeeklyPct: number | null;
  @ApiProperty(PCT('(1 + mean weekly)^52 − 1')) annualisedPct: number | null;
  @ApiProperty(PCT('sample standard deviation of the weekly returns')) weeklySdPct: number | null;
  @ApiProperty(PCT('weekly sd × √52')) volatilityPct: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 1.2345,
    description: '(mean weekly − 0.02/52) / weekly sd × √52; a ratio, 4 decimals',
  })
  sharpe: number | null;
  @ApiProperty(PCT('largest fall of the time-weighted index from its running peak (positive)'))
  maxDrawdownPct: number | null;
  @ApiProperty(PCT('share of weeks with a return > 0')) positiveWeeksPct: number | null;
}

export class IncomeView {
  @ApiProperty({ ...MONEY, description: 'premiums less reversed premiums' }) premium: string;
  @ApiProperty({ ...MONEY, example: '-200.00', description: 'trading losses, signed (≤ 0 unless reversed)' })
  tradingLoss: string;
  @ApiProperty({ ...MONEY, example: '-10.00', description: 'fees, signed' }) fee: string;
  @ApiProperty({ ...MONEY, description: 'premium + tradingLoss + fee' }) net: string;
}

export class TargetView {
  @ApiProperty({ example: 1.5, description: "the account's weeklyTargetPct, percent" }) targetWeeklyPct: number;
  @ApiProperty(PCT('mean weekly return')) actualWeeklyPct: number | null;
  @ApiProperty(PCT('actual − target, percentage points')) differencePct: number | null;
  @ApiProperty({ description: 'weeks whose return reached the target' }) weeksAtOrAboveTarget: number;
}

export class ForkOutlookView {
  @ApiProperty(MONEY) baseline: string;
  @ApiProperty(MONEY) total: string;
  @ApiProperty({ ...MONEY, description: 'total − baseline (may be negative)' }) surplus: string;
  @ApiProperty(MONEY) forkThreshold: string;
  @ApiProperty(PCT('max(surplus, 0) / fork threshold; ≥ 100 means eligible')) progressPct: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'weeks of growth at the target rate (value × (1 − buffer) × target, compounding) to the threshold; 0 when eligible; null if never',
  })
  weeksToFork: number | null;
}

export class UnitProgressView {
  @ApiProperty({ format: 'uuid' }) unitId: string;
  @ApiProperty({ enum: UNIT_STATUSES }) status: UnitStatus;
  @ApiProperty({ ...MONEY, description: "the unit's GEN + COM, all pockets" }) value: string;
  @ApiProperty(MONEY) mergeThreshold: string;
  @ApiProperty(PCT('value / merge threshold')) progressPct: number;
}

export class AccountAnalyticsView {
  @ApiProperty({ format: 'uuid' }) accountId: string;
  @ApiProperty({ format: 'uuid' }) portfolioId: string;
  @ApiProperty({ enum: ACCOUNT_TYPES }) type: AccountType;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) status: AccountStatus;
  @ApiProperty({
    format: 'date-time',
    description: 'the period analysed: the requested from, not earlier than the account creation',
  })
  from: string;
  @ApiProperty({ format: 'date-time', description: 'the requested to, not later than now' }) to: string;
  @ApiProperty({ type: [WeekView], description: 'every week of the period, oldest first' }) weeks: WeekView[];
  @ApiProperty({ type: ReturnsView }) returns: ReturnsView;
  @ApiProperty({ type: IncomeView }) income: IncomeView;
  @ApiProperty({ ...MONEY, description: 'net external flow over the period' }) netFlow: string;
  @ApiProperty({ type: TargetView }) target: TargetView;
  @ApiProperty({ type: ForkOutlookView, nullable: true, description: 'GEN accounts only; as of now' })
  fork: ForkOutlookView | null;
  @ApiProperty({ type: UnitProgressView, nullable: true, description: 'accounts of a forked unit only; as of now' })
  unit: UnitProgressView | null;
}

export class AnalyticsTypeTotalView {
  @ApiProperty({ enum: ACCOUNT_TYPES }) type: AccountType;
  @ApiProperty({ description: 'accounts of this type, root and forked, merged ones included' }) accounts: number;
  @ApiProperty(MONEY) cash: string;
  @ApiProperty(MONEY) contracts: string;
  @ApiProperty(MONEY) leaps: string;
  @ApiProperty(MONEY) total: string;
}

export class UnitTotalView {
  @ApiProperty({ format: 'uuid' }) unitId: string;
  @ApiProperty({ description: 'creation order, from 1' }) seq: number;
  @ApiProperty({ enum: UNIT_STATUSES }) status: UnitStatus;
  @ApiProperty({ format: 'uuid' }) genAccountId: string;
  @ApiProperty({ format: 'uuid' }) comAccountId: string;
  @ApiProperty(MONEY) gen: string;
  @ApiProperty(MONEY) com: string;
  @ApiProperty(MONEY) total: string;
}

export class ForkEventView {
  @ApiProperty({ format: 'uuid' }) unitId: string;
  @ApiProperty({ format: 'uuid', description: 'the GEN account that forked' }) parentAccountId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null when a root GEN forked' })
  parentUnitId: string | null;
  @ApiProperty({ ...MONEY, description: 'surplus forked' }) amount: string;
  @ApiProperty({ enum: GROWTH_TRIGGERS }) trigger: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the user who asked, if any' })
  createdBy: string | null;
  @ApiProperty({ format: 'uuid' }) transactionId: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class MergeEventView {
  @ApiProperty({ format: 'uuid' }) unitId: string;
  @ApiProperty({ ...MONEY, nullable: true, description: 'value the merge moved out of the unit' })
  amount: string | null;
  @ApiProperty({ format: 'uuid' }) transactionId: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class EventCountsView {
  @ApiProperty({ description: 'forks in the period' }) forks: number;
  @ApiProperty({ description: 'merges in the period' }) merges: number;
  @ApiProperty({ description: 'units active now' }) activeUnits: number;
  @ApiProperty({ description: 'units merged now' }) mergedUnits: number;
}

export class PeriodIncomeView {
  @ApiProperty({ example: '2026-Q1', description: "week: its Monday '2026-03-02'; '2026-03'; '2026-Q1'; '2026'" })
  period: string;
  @ApiProperty({ format: 'date-time', description: 'start of the calendar period, UTC' }) start: string;
  @ApiProperty({ ...MONEY, description: 'PREMIUM − TRADING_LOSS − FEE, reversals included' }) income: string;
}

export class IncomeByPeriodView {
  @ApiProperty({ ...MONEY, description: 'over the whole period' }) total: string;
  @ApiProperty({ type: [PeriodIncomeView] }) weeks: PeriodIncomeView[];
  @ApiProperty({ type: [PeriodIncomeView] }) months: PeriodIncomeView[];
  @ApiProperty({ type: [PeriodIncomeView] }) quarters: PeriodIncomeView[];
  @ApiProperty({ type: [PeriodIncomeView] }) years: PeriodIncomeView[];
}

export class PortfolioAnalyticsView {
  @ApiProperty({ format: 'uuid' }) portfolioId: string;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ ...MONEY, description: 'every account, now' }) total: string;
  @ApiProperty({ type: [AnalyticsTypeTotalView], description: 'now' }) byType: AnalyticsTypeTotalView[];
  @ApiProperty({ type: [UnitTotalView], description: 'forked units, in creation order, now' }) units: UnitTotalView[];
  @ApiProperty({ type: [ForkEventView], description: 'every fork, oldest first' }) forks: ForkEventView[];
  @ApiProperty({ type: [MergeEventView], description: 'every merge, oldest first' }) merges: MergeEventView[];
  @ApiProperty({ type: EventCountsView }) counts: EventCountsView;
  @ApiProperty({ type: IncomeByPeriodView, description: 'periods with income movements in [from, to)' })
  income: IncomeByPeriodView;
  @ApiProperty({ type: TreeView, description: 'the family tree: root accounts, units, parents and children, now' })
  tree: TreeView;
}
