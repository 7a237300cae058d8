import { assertBalanced } from '../../transactions/domain/postings';
import { decideMerge, planMerge, shouldPropose, unitValue, type UnitAccount } from './merge';

const account = (id: string, over: Partial<UnitAccount> = {}): UnitAccount => ({
  id,
  status: 'ACTIVE',
  baseline: 0n,
  cash: 0n,
  contracts: 0n,
  leaps: 0n,
  ...over,
});
const unit = (gen: Partial<UnitAccount>, com: Partial<UnitAccount>, status: 'ACTIVE' | 'MERGED' = 'ACTIVE') => ({
  id: 'u',
  portfolioId: 'p',
  status,
  gen: account('g', gen),
  com: account('c', com),
});
const THRESHOLD = 50_000_000n; // 500,000.00

describe(decideMerge.name, () => {
  it.each([
    ['one cent below', unit({ cash: 2_500_000n }, { cash: 47_499_999n }), false, 49_999_999n],
    ['exactly at the threshold', unit({ cash: 2_500_000n }, { cash: 47_500_000n }), true, 50_000_000n],
    [
      'above, counting every pocket of both accounts',
      unit({ cash: 1n, contracts: 2n, leaps: 3n }, { cash: 49_999_990n, contracts: 4n, leaps: 5n }),
      true,
      50_000_005n,
    ],
  ])('%s', (_name, candidate, eligible, value) => {
    const decision = decideMerge(candidate, THRESHOLD);
    expect(decision.eligible).toBe(eligible);
    expect(decision.value).toBe(value);
    if (!decision.eligible) expect(decision.reason).toBe('BELOW_THRESHOLD');
  });

  it('refuses a unit that has already merged', () => {
    expect(decideMerge(unit({}, {}, 'MERGED'), THRESHOLD)).toMatchObject({ eligible: false, reason: 'ALREADY_MERGED' });
  });
});

describe(planMerge.name, () => {
  const candidate = unit(
    { baseline: 2_500_000n, cash: 3_000_000n },
    { cash: 10_000_000n, contracts: 30_000_000n, leaps: 7_000_001n },
  );
  const plan = planMerge('tx', candidate, 'root-com', new Date('2026-12-31T22:00:00Z'));

  it('closes the positions and moves every cent of the unit to the root COM cash, balanced', () => {
    expect(plan.kind).toBe('MERGE');
    expect(plan.legs).toEqual([
      { accountId: 'g', ledger: 'cash', amount: -3_000_000n },
      { accountId: 'c', ledger: 'cash', amount: -10_000_000n },
      { accountId: 'c', ledger: 'contracts', amount: -30_000_000n },
      { accountId: 'c', ledger: 'leaps', amount: -7_000_001n },
      { accountId: 'root-com', ledger: 'cash', amount: unitValue(candidate) },
    ]);
    expect(() => assertBalanced(plan.legs)).not.toThrow();
  });

  it('leaves both accounts at zero, the GEN baseline included, and lets suspended accounts merge', () => {
    const byId = Object.fromEntries(plan.accounts.map((a) => [a.id, a]));
    expect(byId.g).toMatchObject({ cash: -3_000_000n, contracts: 0n, leaps: 0n, baseline: -2_500_000n });
    expect(byId.c).toMatchObject({ cash: -10_000_000n, contracts: -30_000_000n, leaps: -7_000_001n, baseline: 0n });
    expect(byId['root-com']).toMatchObject({ cash: 50_000_001n, baseline: 0n });
    expect(byId.g.statuses).toEqual(['ACTIVE', 'SUSPENDED']);
  });
});

describe(shouldPropose.name, () => {
  const now = new Date('2026-12-10T00:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
  it.each([
    ['no proposal yet', false, undefined, true],
    ['one already open', true, undefined, false],
    ['rejected yesterday', false, daysAgo(1), false],
    ['rejected exactly a week ago', false, daysAgo(7), true],
    ['rejected long ago', false, daysAgo(30), true],
  ])('%s → %p', (_name, open, lastRejectedAt, expected) => {
    expect(shouldPropose(open, lastRejectedAt, now, 7)).toBe(expected);
  });
});
