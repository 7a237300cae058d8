import { forkOutlook, mergeProgress } from './growth';

const cents = (units: number) => BigInt(Math.round(units * 100));

describe(forkOutlook.name, () => {
  it.each([
    {
      name: 'already eligible: surplus above the threshold',
      input: { value: 160_000, baseline: 100_000, threshold: 50_000, bufferBp: 500, target: 1.5 },
      expected: { surplus: cents(60_000), progress: '1.2', weeksToFork: 0 },
    },
    {
      name: 'exactly at the threshold counts as eligible',
      input: { value: 150_000, baseline: 100_000, threshold: 50_000, bufferBp: 500, target: 1.5 },
      expected: { surplus: cents(50_000), progress: '1', weeksToFork: 0 },
    },
    {
      // g = 0.015: 1.015^27 = 1.49480 < 1.5 ≤ 1.015^28 = 1.51722 (value must reach 150,000)
      name: 'no buffer, 1.5 %/week from the baseline: 28 weeks',
      input: { value: 100_000, baseline: 100_000, threshold: 50_000, bufferBp: 0, target: 1.5 },
      expected: { surplus: 0n, progress: '0', weeksToFork: 28 },
    },
    {
      // g = (1 − 0.05) × 0.015 = 0.01425: 1.01425^28 = 1.48614 < 1.5 ≤ 1.01425^29 = 1.50732
      name: '5 % buffer earns nothing: 29 weeks',
      input: { value: 100_000, baseline: 100_000, threshold: 50_000, bufferBp: 500, target: 1.5 },
      expected: { surplus: 0n, progress: '0', weeksToFork: 29 },
    },
    {
      // 100 × 1.1² = 121 exactly: the threshold is reached (≥) in week 2, not 3
      name: 'an exact landing on the threshold',
      input: { value: 100, baseline: 0, threshold: 121, bufferBp: 0, target: 10 },
      expected: { surplus: cents(100), progress: '0.82644628099173553719', weeksToFork: 2 },
    },
    {
      // 90,000 below a baseline of 100,000: must grow to 150,000: 1.01425^n ≥ 1.6667 → n = 36.1… → 37
      name: 'below the baseline: no progress, but growth still gets there',
      input: { value: 90_000, baseline: 100_000, threshold: 50_000, bufferBp: 500, target: 1.5 },
      expected: { surplus: cents(-10_000), progress: '0', weeksToFork: 37 },
    },
    {
      name: 'an empty account never forks',
      input: { value: 0, baseline: 0, threshold: 50_000, bufferBp: 500, target: 1.5 },
      expected: { surplus: 0n, progress: '0', weeksToFork: null },
    },
    {
      name: 'a 100 % buffer earns nothing: never',
      input: { value: 100_000, baseline: 100_000, threshold: 50_000, bufferBp: 10_000, target: 1.5 },
      expected: { surplus: 0n, progress: '0', weeksToFork: null },
    },
  ])('$name', ({ input, expected }) => {
    const outlook = forkOutlook({
      value: cents(input.value),
      baseline: cents(input.baseline),
      forkThreshold: cents(input.threshold),
      bufferBp: input.bufferBp,
      weeklyTargetPct: input.target,
    });
    expect({ ...outlook, progress: outlook.progress.toDecimalPlaces(20).toString() }).toEqual(expected);
  });
});

describe(mergeProgress.name, () => {
  it.each([
    [cents(250_000), cents(500_000), '0.5'],
    [cents(500_000), cents(500_000), '1'],
    [0n, cents(500_000), '0'],
  ])('%s of %s is %s', (value, threshold, expected) => {
    expect(mergeProgress(value, threshold).toString()).toBe(expected);
  });
});
