import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, MaxLength } from 'class-validator';
import { PageView } from '../../../common/page-view';
import { IsStorableText, Optional } from '../../../common/validators';
import { ACCOUNT_STATUSES, ACCOUNT_TYPES } from '../../accounts/domain/account-types';
import { MONEY } from '../../../common/money-property';
import { AccountView } from '../../accounts/dto/account.view';
import { GROWTH_TRIGGERS } from '../../async-tasks/queues';
import { UNIT_STATUSES, type UnitStatus } from '../domain/merge';

/** Units are worth tens of thousands: so are the examples. */
const UNIT_MONEY = { ...MONEY, example: '50000.00' };
const UUID = { format: 'uuid' };
const NULLABLE_UUID = { format: 'uuid', type: String, nullable: true };

export class UnitAccountSummaryView {
  @ApiProperty(UUID) id: string;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) status: string;
  @ApiProperty(UNIT_MONEY) value: string;
}

export class UnitView {
  @ApiProperty(UUID) id: string;
  @ApiProperty(UUID) portfolioId: string;
  @ApiProperty({ enum: UNIT_STATUSES }) status: UnitStatus;
  @ApiProperty({ ...UUID, description: 'the GEN account that forked this unit' }) parentAccountId: string;
  @ApiProperty({ ...NULLABLE_UUID, description: "the parent GEN's unit; null when a root GEN forked" })
  parentUnitId: string | null;
  @ApiProperty({ type: UnitAccountSummaryView }) gen: UnitAccountSummaryView;
  @ApiProperty({ type: UnitAccountSummaryView }) com: UnitAccountSummaryView;
  @ApiProperty({ ...UNIT_MONEY, description: 'its GEN + its COM, all pockets (0 once merged)' }) value: string;
  @ApiProperty({ ...UNIT_MONEY, description: 'the surplus forked to create it' }) amount: string;
  @ApiProperty({ enum: GROWTH_TRIGGERS, description: 'what triggered the fork' }) trigger: string;
  @ApiProperty({ ...NULLABLE_UUID, description: 'the user who asked for the fork, if one did' })
  createdBy: string | null;
  @ApiProperty(UUID) forkTransactionId: string;
  @ApiProperty(NULLABLE_UUID) mergeTransactionId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) mergedAt: string | null;
}

export class UnitPageView extends PageView(UnitView) {}

export class MergeProgressView {
  @ApiProperty(UNIT_MONEY) mergeThreshold: string;
  @ApiProperty({ example: 42.5, description: 'value / merge threshold, percent (2 decimals)' }) progressPct: number;
  @ApiProperty({ ...UNIT_MONEY, description: 'what the unit still needs to reach the threshold (0 once reached)' })
  remaining: string;
}

export class UnitDetailView extends UnitView {
  @ApiProperty({ type: [AccountView], description: 'its GEN and COM accounts' }) accounts: AccountView[];
  @ApiProperty({ type: MergeProgressView }) mergeProgress: MergeProgressView;
  @ApiProperty({ type: [String], description: "units forked from this unit's GEN account, oldest first" })
  childUnitIds: string[];
}

export class TreeAccountView {
  @ApiProperty(UUID) id: string;
  @ApiProperty({ enum: ACCOUNT_TYPES }) type: string;
  @ApiProperty({ enum: ACCOUNT_STATUSES }) status: string;
  @ApiProperty(UNIT_MONEY) value: string;
}

export class TreeUnitView {
  @ApiProperty(UUID) id: string;
  @ApiProperty({ enum: UNIT_STATUSES }) status: string;
  @ApiProperty({ ...UNIT_MONEY, description: 'its GEN + its COM' }) value: string;
  @ApiProperty({ ...UNIT_MONEY, description: 'the surplus forked to create it' }) amount: string;
  @ApiProperty(UUID) parentAccountId: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: TreeAccountView }) gen: TreeAccountView;
  @ApiProperty({ type: TreeAccountView }) com: TreeAccountView;
  @ApiProperty({ type: () => [TreeUnitView], description: "units forked from this unit's GEN, oldest first" })
  children: TreeUnitView[];
}

export class TreeRootView {
  @ApiProperty({ type: TreeAccountView }) account: TreeAccountView;
  @ApiProperty({ type: [TreeUnitView], description: 'units this root account forked (GEN only), oldest first' })
  units: TreeUnitView[];
}

export class TreeView {
  @ApiProperty(UUID) portfolioId: string;
  @ApiProperty({ type: [TreeRootView], description: 'the root accounts GEN, REV, COM' }) roots: TreeRootView[];
  @ApiProperty({ description: 'units in the tree, merged ones included' }) units: number;
  @ApiProperty({ description: 'active units' }) activeUnits: number;
  @ApiProperty({ ...UNIT_MONEY, description: 'root accounts + active units' }) totalValue: string;
}

export const PROPOSAL_STATUSES = ['PENDING', 'CONFIRMED', 'REJECTED', 'SUPERSEDED'] as const;

export class MergeProposalView {
  @ApiProperty(UUID) id: string;
  @ApiProperty(UUID) portfolioId: string;
  @ApiProperty(UUID) unitId: string;
  @ApiProperty({
    enum: PROPOSAL_STATUSES,
    description: 'SUPERSEDED: the unit merged another way (automatic mode or a direct merge request)',
  })
  status: string;
  @ApiProperty({ ...UNIT_MONEY, description: "the unit's value when proposed" }) value: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true }) decidedAt: string | null;
  @ApiProperty(NULLABLE_UUID) decidedBy: string | null;
  @ApiProperty({ type: String, nullable: true }) note: string | null;
}

export class ProposalListQuery {
  @ApiPropertyOptional({ enum: PROPOSAL_STATUSES })
  @Optional()
  @IsIn(PROPOSAL_STATUSES)
  status?: (typeof PROPOSAL_STATUSES)[number];
}

export class RejectProposalDto {
  @ApiPropertyOptional({ maxLength: 500, description: 'why, kept with the proposal' })
  @Optional()
  @IsStorableText()
  @MaxLength(500)
  note?: string;
}

export class ScanAcceptedView {
  @ApiProperty({ description: 'the task: GET /v1/tasks/{id} shows what the scan queued' }) id: string;
}
