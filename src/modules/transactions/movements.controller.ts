import { Body, Controller, Get, Param, ParseEnumPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AppError } from '@app/errors';
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
import type { MovementKind } from './domain/ledger.types';
import { LedgerService } from './ledger.service';

/** The single-account movements, by the last path segment that names them. */
const MOVEMENT_ROUTES: Record<string, MovementKind> = {
  deposits: 'DEPOSIT',
  withdrawals: 'WITHDRAWAL',
  premiums: 'PREMIUM',
  losses: 'TRADING_LOSS',
  fees: 'FEE',
};

const movementPipe = new ParseEnumPipe(
  Object.fromEntries(Object.keys(MOVEMENT_ROUTES).map((k) => [k, k])),
  { exceptionFactory: () => new AppError('not_found', 'ROUTE_NOT_FOUND', 'No such route.') },
);

@ApiTags('ledger')
@ApiBearerAuth()
@Controller('v1')
export class MovementsController {
  constructor(private readonly ledger: LedgerService) {}

  @Post('accounts/:id/:movement')
  @ApiOperation({
    summary: 'Post a single-account movement',
    description: [
      'deposits: DEPOSIT from the bank (GEN: raises the baseline).',
      'withdrawals: WITHDRAWAL of available cash to the bank (never from COM; GEN: lowers the baseline).',
      'premiums: PREMIUM income from the market.',
      'losses: TRADING_LOSS (may use the buffer; cash never below zero).',
      'fees: FEE.',
    ].join('\n\n'),
  })
  @ApiParam({ name: 'movement', enum: Object.keys(MOVEMENT_ROUTES) })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: TransactionView })
  move(
    @CurrentPrincipal() p: Principal,
    @Param('id', uuidPipe) id: string,
    @Param('movement', movementPipe) movement: string,
    @Body() b: MovementDto,
    @IdempotencyKey() key?: string,
  ) {
    return this.ledger.move(p, MOVEMENT_ROUTES[movement], id, b, key);
  }

  @Post('transfers')
  @ApiOperation({ summary: 'Move available cash between two accounts of one portfolio (never out of COM)' })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: TransactionView })
  transfer(@CurrentPrincipal() p: Principal, @Body() b: TransferDto, @IdempotencyKey() key?: string) {
    return this.ledger.transfer(p, b, key);
  }

  @Post('transactions/batch')
  @ApiOperation({ summary: 'Up to 1,000 movements in one atomic request: all are applied, or none' })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: BatchResultView })
  batch(@CurrentPrincipal() p: Principal, @Body() b: BatchDto, @IdempotencyKey() key?: string) {
    return this.ledger.batch(p, b.items, key);
  }

  @Post('transactions/:id/reversal')
  @ApiOperation({ summary: 'Reverse a movement with a transaction of the opposite postings (once)' })
  @IdempotencyHeader()
  @ApiCreatedResponse({ type: TransactionView })
  reverse(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Body() b: ReversalDto, @IdempotencyKey() key?: string) {
    return this.ledger.reverse(p, id, b, key);
  }

  @Get('transactions/:id')
  @ApiOperation({ summary: 'A transaction with its postings' })
  @ApiOkResponse({ type: TransactionView })
  get(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string) {
    return this.ledger.getTransaction(p, id);
  }

  @Get('accounts/:id/transactions')
  @ApiOperation({ summary: "An account's transactions, newest first, with cursor pagination" })
  @ApiOkResponse({ type: TransactionPageView })
  list(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: TransactionListQuery) {
    return this.ledger.listForAccount(p, id, q);
  }

  @Get('accounts/:id/balance')
  @ApiOperation({ summary: "An account's pockets at a point in time (sum of postings effective by then)" })
  @ApiOkResponse({ type: BalanceView })
  balance(@CurrentPrincipal() p: Principal, @Param('id', uuidPipe) id: string, @Query() q: BalanceQuery) {
    return this.ledger.balanceAt(p, id, q.at);
  }
}
