import { MaxLength, IsString } from 'class-validator';
import { IsStorableText, Optional } from '../../../common/validators';
import { BatchItemDto } from '../dto/movement.dto';

/** One line of an import: a batch item, plus an optional key that makes it apply once. */
export class ImportLineDto extends BatchItemDto {
  @Optional() @IsString() @MaxLength(200) @IsStorableText() key?: string;
}
