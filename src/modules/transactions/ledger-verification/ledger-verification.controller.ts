import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../auth/auth.decorators';
import { LedgerVerificationService } from './ledger-verification.service';
import { LedgerVerificationView } from './ledger-verification.view';

@ApiTags('ledger')
@ApiBearerAuth()
@Controller('v1/admin/ledger/verification')
export class LedgerVerificationController {
  constructor(private readonly verification: LedgerVerificationService) {}

  @Get()
  @Roles('admin', 'auditor')
  @ApiOperation({
    summary:
      "Check the ledger's invariants now, in one snapshot: balanced transactions, pockets equal to their postings, nothing negative, no orphan rows, keys and growth records that match their transactions",
  })
  @ApiOkResponse({ type: LedgerVerificationView })
  verify(): Promise<LedgerVerificationView> {
    return this.verification.verifyNow();
  }
}
