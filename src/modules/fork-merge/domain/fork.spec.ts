import { decideFork, planFork, type ForkCandidate } from './fork';
import { assertBalanced } from '../../transactions/domain/postings';

const gen = (over: Partial<ForkCandidate> = {}): ForkCandidate => ({
  id: 'gen',
  portfolioId: 'p',
  type: 'GEN',
  status: 'ACTIVE',
  baseline: 10_000_000n, // 100,000.00
  cash: 10_000_000n,
  contracts: 0n,
  leaps: 0n,
  ...over,
});
const THRESHOLD = 5_000_000n; // 50,000.00

describe(decideFork.name, () => {
  it.each([
    ['one cent below the threshold', 14_999_999n, false, 'BELOW_THRESHOLD', 4_999_999n],
    ['exactly at the threshold', 15_000_000n, true, undefined, 5_000_000n],
    ['one cent above the threshold (odd surplus)', 15_000_001n, true, undefined, 5_000_001n],
    ['far above the threshold: the whole surplus forks at once', 32_345_679n, true, undefined, 22_345_679n],
    ['below the baseline (a loss): negative surplus', 9_000_000n, false, 'BELOW_THRESHOLD', -1_000_000n],
    ['no surplus at all', 10_000_000n, false, 'BELOW_THRESHOLD', 0n],
  ])('%s', (_name, cash, eligible, reason, surplus) => {
    const decision = decideFork(gen({ cash }), THRESHOLD);
    expect(decision.eligible).toBe(eligible);
    expect(decision.surplus).toBe(surplus);
    if (!decision.eligible) expect(decision.reason).toBe(reason);
  });

  it.each([
    [5_000_000n, 2_500_000n, 2_500_000n],
    [5_000_001n, 2_500_001n, 2_500_000n], // the remainder cent goes to the new GEN
    [7_777_777n, 3_888_889n, 3_888_888n],
  ])('splits a surplus of %p cents into GEN %p and COM %p', (surplus, genShare, comShare) => {
    const decision = decideFork(gen({ cash: 10_000_000n + surplus }), THRESHOLD);
    expect(decision).toEqual({ eligible: true, surplus, genShare, comShare });
  });

  it.each([
    ['a REV account', { type: 'REV' as const }, 'NOT_GEN'],
    ['a COM account', { type: 'COM' as const }, 'NOT_GEN'],
    ['a SUSPENDED GEN account', { status: 'SUSPENDED' as const }, 'NOT_ACTIVE'],
    ['a MERGED GEN account', { status: 'MERGED' as const }, 'NOT_ACTIVE'],
    ['a CLOSED GEN account', { status: 'CLOSED' as const }, 'NOT_ACTIVE'],
    ['a surplus held in positions', { cash: 4_000_000n, contracts: 11_000_000n }, 'SURPLUS_NOT_IN_CASH'],
  ])('refuses %s', (_name, over, reason) => {
    const decision = decideFork(gen({ cash: 20_000_000n, ...over }), THRESHOLD);
    expect(decision).toMatchObject({ eligible: false, reason });
    if (!decision.eligible) expect(decision.message.length).toBeGreaterThan(0);
  });

  it('counts positions in the value but forks only when the surplus is all in cash', () => {
    const decision = decideFork(gen({ cash: 15_000_000n, contracts: 100n }), THRESHOLD);
    expect(decision).toEqual({ eligible: true, surplus: 5_000_100n, genShare: 2_500_050n, comShare: 2_500_050n });
  });

  it('cascades: a forked GEN funded with its share forks once its own surplus reaches the threshold', () => {
    const forked = gen({ baseline: 2_500_001n, cash: 2_500_001n });
    expect(decideFork(forked, THRESHOLD).eligible).toBe(false);
    expect(decideFork({ ...forked, cash: 7_500_001n }, THRESHOLD)).toEqual({
      eligible: true,
      surplus: 5_000_000n,
      genShare: 2_500_000n,
      comShare: 2_500_000n,
    });
  });
});

describe(planFork.name, () => {
  const at = new Date('2026-11-26T21:30:00Z');
  const plan = planFork(
    'tx',
    { id: 'gen', portfolioId: 'p' },
    { genAccountId: 'g2', comAccountId: 'c2' },
    { surplus: 5_000_001n, genShare: 2_500_001n, comShare: 2_500_000n },
    at,
  );

  it('moves the whole surplus from the parent cash to the new GEN and COM, balanced', () => {
    expect(plan).toMatchObject({ id: 'tx', kind: 'FORK', portfolioId: 'p', effectiveAt: at });
    expect(plan.legs).toEqual([
      { accountId: 'gen', ledger: 'cash', amount: -5_000_001n },
      { accountId: 'g2', ledger: 'cash', amount: 2_500_001n },
      { accountId: 'c2', ledger: 'cash', amount: 2_500_000n },
    ]);
    expect(() => assertBalanced(plan.legs)).not.toThrow();
  });

  it("leaves the parent's baseline alone and gives the new GEN its share as baseline", () => {
    expect(plan.accounts.map((a) => [a.id, a.baseline])).toEqual([
      ['gen', 0n],
      ['g2', 2_500_001n],
      ['c2', 0n],
    ]);
    expect(plan.accounts.every((a) => a.statuses.join() === 'ACTIVE')).toBe(true);
  });
});
