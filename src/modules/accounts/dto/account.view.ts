import { ApiProperty } from '@nestjs/swagger';
import { MONEY } from '../../../common/money-property';
import { PageView } from '../../../common/page-view';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES, GRANT_ROLES, WEEKDAYS } from '../domain/account-types';
import type { AccountStatus, AccountType, Weekday } from '../domain/account-types';
import { MERGE_MODES, TEMPLATES, type MergeMode } from '../domain/templates';

export class DeltaRangeView {
  @ApiProperty({ minimum: 10, maximum: 60 }) min: number;
  @ApiProperty({ minimum: 20, maximum: 70 }) max: number;
}

export class AccountConfigView {
  @ApiProperty({ example: 1.5, description: 'weekly return target, percent' }) weeklyTargetPct: number;
  @ApiProperty({ type: DeltaRangeView }) deltaRange: DeltaRangeView;
  @ApiProperty({ enum: WEEKDAYS, isArray: true }) entryDays: Weekday[];
  @ApiProperty({ example: 90 }) positionSizingPct: number;
  @ApiProperty({ example: 75 }) contractsPct: number;
  @ApiProperty({ example: 25 }) leapsPct: number;
  @ApiProperty({ example: 5, description: 'share of total value kept in cash, percent' }) bufferPct: number;
  @ApiProperty({ example: 20 }) maxDrawdownPct: number;
  @ApiProperty({ example: 100, description: 'percent of the net trading income reinvested each quarter' })
  reinvestRatePct: number;
  @ApiProperty({ ...MONEY, example: '100.00', description: 'smallest reinvestment; "0.00" means no minimum' })
  minReinvestment: string;
}

export class AccountView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) portfolioId: string;
  @ApiProperty({ enum: ACCOUNT_TYPES }) type: AccountType;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) status: AccountStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'forked unit, null for root accounts' })
  unitId: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'the GEN account that forked this unit' })
  parentAccountId: string | null;
  @ApiProperty({ ...MONEY, description: 'GEN reference capital (0 for REV and COM)' }) baseline: string;
  @ApiProperty(MONEY) cash: string;
  @ApiProperty(MONEY) contracts: string;
  @ApiProperty(MONEY) leaps: string;
  @ApiProperty({ ...MONEY, description: 'cash + contracts + leaps' }) total: string;
  @ApiProperty({ ...MONEY, description: 'cash that must stay in the account: bufferPct of total, rounded up' })
  buffer: string;
  @ApiProperty({ ...MONEY, description: 'cash − buffer, never below 0' }) available: string;
  @ApiProperty({ type: AccountConfigView }) config: AccountConfigView;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class AccountPageView extends PageView(AccountView) {}

export class AllocationView {
  @ApiProperty() gen: number;
  @ApiProperty() rev: number;
  @ApiProperty() com: number;
  @ApiProperty() bufferPct: number;
}

export class TypeTotalView {
  @ApiProperty() accounts: number;
  @ApiProperty(MONEY) cash: string;
  @ApiProperty(MONEY) contracts: string;
  @ApiProperty(MONEY) leaps: string;
  @ApiProperty(MONEY) total: string;
}

export class PortfolioTotalsView {
  @ApiProperty({ type: TypeTotalView }) GEN: TypeTotalView;
  @ApiProperty({ type: TypeTotalView }) REV: TypeTotalView;
  @ApiProperty({ type: TypeTotalView }) COM: TypeTotalView;
  @ApiProperty(MONEY) total: string;
}

export class PortfolioView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ enum: TEMPLATES }) template: string;
  @ApiProperty({ type: AllocationView }) allocation: AllocationView;
  @ApiProperty(MONEY) forkThreshold: string;
  @ApiProperty(MONEY) mergeThreshold: string;
  @ApiProperty({ enum: MERGE_MODES }) mergeMode: MergeMode;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class PortfolioPageView extends PageView(PortfolioView) {}

export class PortfolioDetailView extends PortfolioView {
  @ApiProperty({ type: PortfolioTotalsView }) totals: PortfolioTotalsView;
}

export class CreatedPortfolioView extends PortfolioDetailView {
  @ApiProperty({ type: [AccountView], description: 'the three root accounts: GEN, REV, COM' })
  accounts: AccountView[];
}

export class GrantView {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: GRANT_ROLES }) role: string;
  @ApiProperty({ format: 'uuid' }) grantedBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}
