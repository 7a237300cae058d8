import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, Max, Min, registerDecorator } from 'class-validator';
import { MIN_REINVESTMENT_RULE, parseMoneyAtLeastZero } from '../domain/account-config';
import { SETTABLE_STATUSES, WEEKDAYS, type SettableStatus, type Weekday } from '../domain/account-types';
import { IsDecimalNumber, IsNested, Optional } from '../../../common/validators';

/** A money amount that may be zero: "0.00" … "1000000000000.00", at most two decimals. */
function IsMoneyAtLeastZero() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isMoneyAtLeastZero',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => parseMoneyAtLeastZero(value) !== undefined,
        defaultMessage: (args) => `${args?.property} ${MIN_REINVESTMENT_RULE}`,
      },
    });
}

export class DeltaRangeDto {
  @ApiPropertyOptional({ minimum: 10, maximum: 60 }) @IsInt() @Min(10) @Max(60) min: number;
  @ApiPropertyOptional({ minimum: 20, maximum: 70 }) @IsInt() @Min(20) @Max(70) max: number;
}

/** docs/domain.md §1: every field optional; ranges per field, cross-field rules in the domain. */
export class UpdateAccountDto {
  @ApiPropertyOptional({ enum: SETTABLE_STATUSES, description: 'CLOSED only at zero value' })
  @Optional()
  @IsIn(SETTABLE_STATUSES)
  status?: SettableStatus;

  @ApiPropertyOptional({ minimum: 0.1, maximum: 5 })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0.1)
  @Max(5)
  weeklyTargetPct?: number;

  @ApiPropertyOptional({ type: DeltaRangeDto })
  @Optional()
  @IsNested(() => DeltaRangeDto)
  deltaRange?: DeltaRangeDto;

  @ApiPropertyOptional({ enum: WEEKDAYS, isArray: true })
  @Optional()
  @ArrayMinSize(1)
  @ArrayMaxSize(5)
  @IsIn(WEEKDAYS, { each: true })
  entryDays?: Weekday[];

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0)
  @Max(100)
  positionSizingPct?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'contracts share of a reinvestment' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  contractsPct?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, description: 'LEAPS share; contractsPct + leapsPct = 100' })
  @Optional()
  @IsInt()
  @Min(0)
  @Max(100)
  leapsPct?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 20 })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0)
  @Max(20)
  bufferPct?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0)
  @Max(100)
  maxDrawdownPct?: number;

  @ApiPropertyOptional({
    minimum: 0,
    maximum: 100,
    description: 'percent of the net trading income since the last reinvestment that is reinvested',
  })
  @Optional()
  @IsDecimalNumber(2)
  @Min(0)
  @Max(100)
  reinvestRatePct?: number;

  @ApiPropertyOptional({
    type: String,
    example: '100.00',
    description: 'smallest reinvestment that happens, USD; "0.00" means no minimum',
  })
  @Optional()
  @IsMoneyAtLeastZero()
  minReinvestment?: string;
}
