import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { IsAmount, IsDecimalNumber, IsNested, Optional } from '../../../common/validators';
import { ThresholdsDto } from '../../accounts/dto/thresholds.dto';
import { MAX_WEEKLY_RATE_PCT, MAX_YEARS } from '../domain/projection-input';

export const PROJECTION_FORMATS = ['json', 'csv', 'svg'] as const;
export type ProjectionFormat = (typeof PROJECTION_FORMATS)[number];

export class ProjectionAllocationDto {
  @ApiProperty({ example: 40 }) @IsInt() @Min(0) @Max(100) gen: number;
  @ApiProperty({ example: 30 }) @IsInt() @Min(0) @Max(100) rev: number;
  @ApiProperty({ example: 30 }) @IsInt() @Min(0) @Max(100) com: number;
}

export class WeeklyRatesDto {
  @ApiPropertyOptional({ example: 1.5, default: 1.5, minimum: 0, maximum: MAX_WEEKLY_RATE_PCT })
  @Optional()
  @IsDecimalNumber(4)
  @Min(0)
  @Max(MAX_WEEKLY_RATE_PCT)
  gen?: number;

  @ApiPropertyOptional({ example: 1.0, default: 1.0, minimum: 0, maximum: MAX_WEEKLY_RATE_PCT })
  @Optional()
  @IsDecimalNumber(4)
  @Min(0)
  @Max(MAX_WEEKLY_RATE_PCT)
  rev?: number;

  @ApiPropertyOptional({ example: 0.5, default: 0.5, minimum: 0, maximum: MAX_WEEKLY_RATE_PCT })
  @Optional()
  @IsDecimalNumber(4)
  @Min(0)
  @Max(MAX_WEEKLY_RATE_PCT)
  com?: number;
}

export class ProjectionYearsDto {
  @ApiProperty({ example: 5, minimum: 1, maximum: MAX_YEARS, description: 'whole years of 52 weeks' })
  @IsInt()
  @Min(1)
  @Max(MAX_YEARS)
  years: number;
}

export class CreateProjectionDto extends IntersectionType(ProjectionYearsDto, ThresholdsDto) {
  @ApiProperty({ example: '250000.00', description: 'split GEN / REV / COM by the allocation' })
  @IsAmount()
  capital: string;

  @ApiPropertyOptional({
    type: ProjectionAllocationDto,
    description: 'whole percentages summing to 100; default moderate 40/30/30',
  })
  @Optional()
  @IsNested(() => ProjectionAllocationDto)
  allocation?: ProjectionAllocationDto;

  @ApiPropertyOptional({ example: 5, default: 5, minimum: 0, maximum: 20, description: 'percent; earns nothing' })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0)
  @Max(20)
  bufferPct?: number;

  @ApiPropertyOptional({
    type: WeeklyRatesDto,
    description: 'percent per week, 0–5, at most 4 decimals; each defaults to its type target',
  })
  @Optional()
  @IsNested(() => WeeklyRatesDto)
  weeklyRates?: WeeklyRatesDto;
}

export class ProjectionFormatQuery {
  @ApiPropertyOptional({ enum: PROJECTION_FORMATS, default: 'json', description: 'csv: the years table; svg: a chart' })
  @Optional()
  @IsIn(PROJECTION_FORMATS)
  format?: ProjectionFormat;
}
