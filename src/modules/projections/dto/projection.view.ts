import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

const MONEY = { example: '250000.00', description: 'decimal string, rounded to the cent at output only' };

export class ProjectionYearView {
  @ApiProperty({ example: 1 }) year: number;
  @ApiProperty({ ...MONEY, description: 'root GEN account' }) genBalance: string;
  @ApiProperty({ ...MONEY, description: 'root REV account' }) revBalance: string;
  @ApiProperty({ ...MONEY, description: 'root COM account (receives merges)' }) comBalance: string;
  @ApiProperty({ ...MONEY, description: 'every active forked unit, GEN + COM' }) forkedUnitsValue: string;
  @ApiProperty(MONEY) totalValue: string;
  @ApiProperty({ ...MONEY, description: 'earned during the year, all accounts' }) income: string;
  @ApiProperty() activeUnits: number;
  @ApiProperty({ description: 'units created by forks during the year' }) forks: number;
  @ApiProperty({ description: 'units merged during the year' }) merges: number;
}

export class ProjectionEventView {
  @ApiProperty({ description: 'week of the simulation, from 1 (52 weeks a year)' }) week: number;
  @ApiProperty({ enum: ['fork', 'merge'] }) kind: 'fork' | 'merge';
  @ApiProperty({
    description:
      'first unit concerned (fork: created; merge: merged); units are numbered in creation order, ' +
      "a portfolio's existing active units first",
  })
  unit: number;
  @ApiProperty({ description: 'units unit … unit + count − 1 did the same (a cohort), 1 for a single unit' })
  count: number;
  @ApiPropertyOptional({ description: 'fork only: first forking unit, 0 for the root GEN account' })
  parent?: number;
  @ApiProperty({ ...MONEY, description: 'per unit: the surplus forked, or the value merged' }) amount: string;
}

export class ProjectionView {
  @ApiProperty({ type: [ProjectionYearView] }) years: ProjectionYearView[];
  @ApiProperty({ type: [ProjectionEventView], description: 'in order; at most the first 10,000' })
  events: ProjectionEventView[];
  @ApiProperty({ description: 'events after the first 10,000, not listed' }) eventsOmitted: number;
  @ApiProperty({ ...MONEY, description: 'total value at the start' }) initialValue: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 63.5159,
    description:
      'compound annual growth rate, (final / initial)^(1 / years) − 1, as a PERCENT (63.5159 = 63.5159 %/year), ' +
      '4 decimals; null when the starting value is zero',
  })
  cagr: number | null;
}

export class ProjectionTaskView {
  @ApiProperty({ example: 'projections:0193a3c1-…', description: 'GET /v1/tasks/{id} follows it' }) id: string;
  @ApiProperty({ example: '/v1/projections/tasks/projections:0193a3c1-…?format=json' }) resultUrl: string;
}
