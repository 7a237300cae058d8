import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsAmount, Optional } from '../../../common/validators';

/** A portfolio's fork and merge thresholds as a request gives them (docs/domain.md §1, §5, §6). */
export class ThresholdsDto {
  @ApiPropertyOptional({ example: '50000.00', default: '50000.00' })
  @Optional()
  @IsAmount()
  forkThreshold?: string;

  @ApiPropertyOptional({ example: '500000.00', default: '500000.00', description: 'must exceed forkThreshold' })
  @Optional()
  @IsAmount()
  mergeThreshold?: string;
}
