import { applyDecorators, Body, Controller, Get, Param, Post, Query, Type } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdempotencyHeader, IdempotencyKey } from '../../common/idempotency';
import { uuidPipe } from '../../common/uuid.pipe';
import { CurrentPrincipal } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { BatchDto, MovementDto, ReversalDto, TransferDto } from './dto/movement.dto';
import {
  BalanceQuery,
  BalanceView,
  BatchResultView,
  TransactionListQuery,
  TransactionPageView,
  TransactionView,
} from './dto/transaction.view';
import { LedgerService } from './ledger.service';

/** A money-moving POST: answers 201 with what it wrote and honours Idempotency-Key. */
const MovementRoute = (path: string, summary: string, type: Type<unknown> = TransactionView) =>
  applyDecorators(Post(path), ApiOperation({ summary }), IdempotencyHeader(), ApiCreatedResponse({ type }));

@ApiTags('ledger')
@ApiBearerAuth()
@Controller('v1')
export class MovementsController {
  constructor(private readonly ledger: LedgerService) {}

  @MovementRoute('accounts/:id/deposits', 'Deposit from the bank into the account (GEN: raises the baseline)')
  deposit(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: MovementDto,
    @IdempotencyKey() k?: string,
  ) {
    return this.ledger.move(p, 'DEPOSIT', id, b, k);
  }

  @MovementRoute(
    'accounts/:id/withdrawals',
    'Withdraw available cash to the bank (never from COM; GEN: lowers the baseline)',
  )
  withdraw(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: MovementDto,
    @IdempotencyKey() k?: string,
  ) {
    return this.ledger.move(p, 'WITHDRAWAL', id, b, k);
  }

  @MovementRoute('accounts/:id/premiums', 'Record premium income from the market')
  premium(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: MovementDto,
    @IdempotencyKey() k?: string,
  ) {
    return this.ledger.move(p, 'PREMIUM', id, b, k);
  }

  @MovementRoute('accounts/:id/losses', 'Record a trading loss (may use the buffer; cash never below zero)')
  loss(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: MovementDto,
    @IdempotencyKey() k?: string,
  ) {
    return this.ledger.move(p, 'TRADING_LOSS', id, b, k);
  }

  @MovementRoute('accounts/:id/fees', 'Charge a fee (cash never below zero)')
  fee(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: MovementDto,
    @IdempotencyKey() k?: string,
  ) {
    return this.ledger.move(p, 'FEE', id, b, k);
  }

  @MovementRoute('transfers', 'Move available cash between two accounts of one portfolio (never out of COM)')
  transfer(@CurrentPrincipal() p: Principal, @Body() b: TransferDto, @IdempotencyKey() key?: string) {
    return this.ledger.transfer(p, b, key);
  }

  @MovementRoute(
    'transactions/batch',
    'Up to 1,000 movements in one atomic request: all are applied, or none',
    BatchResultView,
  )
  batch(@CurrentPrincipal() p: Principal, @Body() b: BatchDto, @IdempotencyKey() key?: string) {
    return this.ledger.batch(p, b.items, key);
  }

  @MovementRoute('transactions/:id/reversal', 'Reverse a movement with a transaction of the opposite postings (once)')
  reverse(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Body() b: ReversalDto,
    @IdempotencyKey() key?: string,
  ) {
    return this.ledger.reverse(p, id, b, key);
  }

  @Get('transactions/:id')
  @ApiOperation({ summary: 'A transaction with its postings' })
  @ApiOkResponse({ type: TransactionView })
  get(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.ledger.getTransaction(p, id);
  }

  @Get('accounts/:id/transactions')
  @ApiOperation({
    summary: "An account's transactions, newest first, with cursor pagination",
  })
  @ApiOkResponse({ type: TransactionPageView })
  list(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: TransactionListQuery) {
    return this.ledger.listForAccount(p, id, q);
  }

  @Get('accounts/:id/balance')
  @ApiOperation({
    summary: "An account's pockets at a point in time (sum of postings effective by then)",
  })
  @ApiOkResponse({ type: BalanceView })
  balance(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: BalanceQuery) {
    return this.ledger.balanceAt(p, id, q.at);
  }
}
