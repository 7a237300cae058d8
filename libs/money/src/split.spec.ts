import { ceilBasisPoints, splitByWeights } from './split';

describe('splitByWeights', () => {
  it.each([
    ['moderate 250,000.00', 25_000_000n, [40, 30, 30], [10_000_000n, 7_500_000n, 7_500_000n]],
    ['a cent that does not divide', 25_000_001n, [40, 30, 30], [10_000_001n, 7_500_000n, 7_500_000n]],
    ['conservative, remainder to the first', 10_001n, [30, 50, 20], [3_001n, 5_000n, 2_000n]],
    ['five cents three ways', 5n, [40, 30, 30], [3n, 1n, 1n]],
    ['one cent', 1n, [40, 30, 30], [1n, 0n, 0n]],
    ['a zero weight', 999n, [50, 50, 0], [500n, 499n, 0n]],
    ['halves (fork split)', 5_000_001n, [1, 1], [2_500_001n, 2_500_000n]],
  ])('%s', (_name, total, weights, expected) => {
    const shares = splitByWeights(
      total,
      weights,
      weights.reduce((a, b) => a + b, 0),
    );
    expect(shares).toEqual(expected);
    expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
  });

  it('conserves the total for every amount in a range', () => {
    for (let total = 0n; total < 2_000n; total += 7n) {
      const shares = splitByWeights(total, [50, 20, 30]);
      expect(shares.reduce((a, b) => a + b, 0n)).toBe(total);
      expect(shares.every((s) => s >= 0n)).toBe(true);
    }
  });

  it.each([
    [[40, 30, 31], 'weights that do not sum to the scale'],
    [[40.5, 29.5, 30], 'fractional weights'],
    [[-10, 60, 50], 'negative weights'],
    [[], 'no weights'],
  ])('refuses %p (%s)', (weights) => {
    expect(() => splitByWeights(100n, weights)).toThrow(RangeError);
  });
});

describe('ceilBasisPoints', () => {
  it.each([
    [10_000_000n, 500, 500_000n],
    [10_000_001n, 500, 500_001n], // 500000.05 rounds up
    [1n, 500, 1n],
    [0n, 500, 0n],
    [12_345n, 0, 0n],
    [20_000n, 2_000, 4_000n],
  ])('%p cents at %p bp is %p', (value, bp, expected) => {
    expect(ceilBasisPoints(value, bp)).toBe(expected);
  });
});
