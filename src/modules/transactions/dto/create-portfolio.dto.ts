import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsAmount, IsDecimalNumber, IsNested, Optional, IsStorableText } from '../../../common/validators';
import {
  DEFAULT_MERGE_MODE,
  MERGE_MODES,
  TEMPLATES,
  type MergeMode,
  type Template,
} from '../../accounts/domain/templates';
import { ThresholdsDto } from '../../accounts/dto/thresholds.dto';

export class AllocationDto {
  @ApiProperty({ example: 40 }) @IsInt() @Min(0) @Max(100) gen: number;
  @ApiProperty({ example: 30 }) @IsInt() @Min(0) @Max(100) rev: number;
  @ApiProperty({ example: 30 }) @IsInt() @Min(0) @Max(100) com: number;
  @ApiProperty({ example: 5, minimum: 0, maximum: 20 })
  @IsDecimalNumber(2)
  @Min(0)
  @Max(20)
  bufferPct: number;
}

export class CreatePortfolioDto extends ThresholdsDto {
  @ApiProperty({ example: 'Family ALL-USE', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @IsStorableText()
  @Matches(/\S/, { message: 'name must not be blank' })
  name: string;

  @ApiProperty({ example: '250000.00', description: 'split GEN / REV / COM by the allocation' })
  @IsAmount()
  initialCapital: string;

  @ApiPropertyOptional({ enum: TEMPLATES, default: 'moderate' })
  @Optional()
  @IsIn(TEMPLATES)
  template?: Template;

  @ApiPropertyOptional({ type: AllocationDto, description: 'required with template "custom", refused otherwise' })
  @Optional()
  @IsNested(() => AllocationDto)
  allocation?: AllocationDto;

  @ApiPropertyOptional({ enum: MERGE_MODES, default: DEFAULT_MERGE_MODE })
  @Optional()
  @IsIn(MERGE_MODES)
  mergeMode?: MergeMode;
}
