import { ApiProperty } from '@nestjs/swagger';
import { LEDGER_CHECK_NAMES, type LedgerCheckName } from './ledger-checks';

export class LedgerCheckView {
  @ApiProperty({ enum: LEDGER_CHECK_NAMES }) name: LedgerCheckName;
  @ApiProperty({ description: 'how many violations the check found (0: it holds)' }) violations: number;
}

export class LedgerViolationView {
  @ApiProperty({ enum: LEDGER_CHECK_NAMES }) check: LedgerCheckName;
  @ApiProperty({ example: '0193a6f0-…', description: 'what is wrong: an account, a transaction, a record' })
  subject: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'how it is wrong (stored and expected figures)',
  })
  detail: Record<string, unknown>;
}

export class LedgerVerificationView {
  @ApiProperty({ description: 'every check holds' }) ok: boolean;
  @ApiProperty({ format: 'date-time', description: 'when the snapshot the checks read was taken' }) checkedAt: string;
  @ApiProperty({ type: [LedgerCheckView] }) checks: LedgerCheckView[];
  @ApiProperty({ type: [LedgerViolationView], description: 'the violations found, check by check, at most 100' })
  violations: LedgerViolationView[];
}
