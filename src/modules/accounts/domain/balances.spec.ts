import { accountFigures } from './balances';

describe('accountFigures', () => {
  it.each([
    // cash, contracts, leaps, bufferBp → total, buffer, available
    ['all cash, 5 %', 10_000_000n, 0n, 0n, 500, 10_000_000n, 500_000n, 9_500_000n],
    ['the buffer rounds up to the cent', 10_000_001n, 0n, 0n, 500, 10_000_001n, 500_001n, 9_500_000n],
    ['positions count towards the buffer', 100_000n, 900_000n, 0n, 1_000, 1_000_000n, 100_000n, 0n],
    ['available never goes below zero', 50_000n, 950_000n, 0n, 1_000, 1_000_000n, 100_000n, 0n],
    ['leaps are part of the total', 600n, 200n, 200n, 500, 1_000n, 50n, 550n],
    ['no buffer', 1_234n, 0n, 0n, 0, 1_234n, 0n, 1_234n],
    ['empty account', 0n, 0n, 0n, 500, 0n, 0n, 0n],
  ])('%s', (_name, cash, contracts, leaps, bp, total, buffer, available) => {
    expect(accountFigures({ cash, contracts, leaps }, bp)).toEqual({ total, buffer, available });
  });
});
