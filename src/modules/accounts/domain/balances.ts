import { Cents, ceilBasisPoints } from '@app/money';

export interface Pockets {
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
}

export interface AccountFigures {
  total: Cents;
  buffer: Cents;
  available: Cents;
}

/**
 * docs/domain.md §1, §2: total = cash + contracts + leaps; the buffer is bufferPct of the total (rounded up
 * to the cent, so the reserve is never short); available cash = cash − buffer, never below 0.
 */
export function accountFigures(pockets: Pockets, bufferBp: number): AccountFigures {
  const total = pockets.cash + pockets.contracts + pockets.leaps;
  const buffer = ceilBasisPoints(total, bufferBp);
  const available = pockets.cash > buffer ? pockets.cash - buffer : 0n;
  return { total, buffer, available };
}
