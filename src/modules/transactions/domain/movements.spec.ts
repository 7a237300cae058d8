import type { AccountFactsLite } from './ledger.types';
import { planMovement, planReversal } from './movements';
import { planOpeningDeposit } from './opening';
import { assertBalanced } from './postings';

const created = new Date('2026-01-01T00:00:00Z');
const now = new Date('2026-06-01T00:00:00Z');
const facts = new Map<string, AccountFactsLite>(
  (
    [
      ['gen', 'p1', 'GEN'],
      ['rev', 'p1', 'REV'],
      ['com', 'p1', 'COM'],
      ['gen2', 'p2', 'GEN'],
    ] as const
  ).map(([id, portfolioId, type]) => [id, { id, portfolioId, type, createdAt: created }]),
);

const plan = (input: Parameters<typeof planMovement>[1]) => planMovement('tx', input, facts, now);

describe('planMovement', () => {
  it.each([
    // kind, account, external ledger, signed amount to the account, baseline change, guard, statuses
    ['DEPOSIT', 'gen', 'external:bank', 500n, 500n, undefined, ['ACTIVE']],
    ['DEPOSIT', 'rev', 'external:bank', 500n, 0n, undefined, ['ACTIVE']],
    ['WITHDRAWAL', 'gen', 'external:bank', -500n, -500n, 500n, ['ACTIVE']],
    ['WITHDRAWAL', 'rev', 'external:bank', -500n, 0n, 500n, ['ACTIVE']],
    ['PREMIUM', 'gen', 'external:market', 500n, 0n, undefined, ['ACTIVE', 'SUSPENDED']],
    ['TRADING_LOSS', 'gen', 'external:market', -500n, 0n, undefined, ['ACTIVE', 'SUSPENDED']],
    ['TRADING_LOSS', 'com', 'external:market', -500n, 0n, undefined, ['ACTIVE', 'SUSPENDED']],
    ['FEE', 'com', 'external:fees', -500n, 0n, undefined, ['ACTIVE', 'SUSPENDED']],
  ] as const)('%s on %s posts against %s', (kind, accountId, external, signed, baseline, guard, statuses) => {
    const p = plan({ kind, accountId, amount: 500n });
    expect(p.legs).toEqual([
      { accountId, ledger: 'cash', amount: signed },
      { accountId: null, ledger: external, amount: -signed },
    ]);
    expect(p.accounts).toEqual([
      { id: accountId, cash: signed, contracts: 0n, leaps: 0n, baseline, statuses, availableDebit: guard },
    ]);
    expect(p).toMatchObject({ kind, portfolioId: 'p1' });
  });

  it('moves GEN baselines with a transfer, and checks the source has the cash available', () => {
    const p = plan({ kind: 'TRANSFER', accountId: 'gen', toAccountId: 'rev', amount: 700n });
    expect(p.legs).toEqual([
      { accountId: 'gen', ledger: 'cash', amount: -700n },
      { accountId: 'rev', ledger: 'cash', amount: 700n },
    ]);
    expect(p.accounts).toEqual([
      { id: 'gen', cash: -700n, contracts: 0n, leaps: 0n, baseline: -700n, statuses: ['ACTIVE'], availableDebit: 700n },
      {
        id: 'rev',
        cash: 700n,
        contracts: 0n,
        leaps: 0n,
        baseline: 0n,
        statuses: ['ACTIVE'],
        availableDebit: undefined,
      },
    ]);
  });

  it('raises the baseline of a GEN account receiving a transfer', () => {
    const p = plan({ kind: 'TRANSFER', accountId: 'rev', toAccountId: 'gen', amount: 700n });
    expect(p.accounts.find((a) => a.id === 'gen')?.baseline).toBe(700n);
  });

  it.each([
    ['a withdrawal from COM', { kind: 'WITHDRAWAL', accountId: 'com' }, 'COM_WITHDRAWAL_FORBIDDEN'],
    ['a transfer out of COM', { kind: 'TRANSFER', accountId: 'com', toAccountId: 'gen' }, 'COM_WITHDRAWAL_FORBIDDEN'],
    [
      'a transfer to the same account',
      { kind: 'TRANSFER', accountId: 'gen', toAccountId: 'gen' },
      'SAME_ACCOUNT_TRANSFER',
    ],
    [
      'a transfer across portfolios',
      { kind: 'TRANSFER', accountId: 'gen', toAccountId: 'gen2' },
      'CROSS_PORTFOLIO_TRANSFER',
    ],
    ['a transfer without a receiver', { kind: 'TRANSFER', accountId: 'gen' }, 'VALIDATION_FAILED'],
    ['a receiver on a deposit', { kind: 'DEPOSIT', accountId: 'gen', toAccountId: 'rev' }, 'VALIDATION_FAILED'],
    ['an unknown account', { kind: 'DEPOSIT', accountId: 'nope' }, 'ACCOUNT_NOT_FOUND'],
    ['an unknown receiver', { kind: 'TRANSFER', accountId: 'gen', toAccountId: 'nope' }, 'ACCOUNT_NOT_FOUND'],
    [
      'a future effective time',
      { kind: 'DEPOSIT', accountId: 'gen', effectiveAt: new Date('2026-06-02T00:00:00Z') },
      'EFFECTIVE_AT_IN_FUTURE',
    ],
    [
      'a time before the account',
      { kind: 'DEPOSIT', accountId: 'gen', effectiveAt: new Date('2025-12-31T23:59:59Z') },
      'EFFECTIVE_AT_BEFORE_ACCOUNT',
    ],
  ] as const)('refuses %s with %s', (_name, input, code) => {
    expect(() => plan({ amount: 100n, ...input })).toThrow(expect.objectContaining({ code }));
  });

  it('accepts a backdated movement between the account creation and now', () => {
    const effectiveAt = new Date('2026-03-31T16:00:00Z');
    expect(plan({ kind: 'PREMIUM', accountId: 'gen', amount: 1n, effectiveAt }).effectiveAt).toEqual(effectiveAt);
  });
});

describe('planReversal', () => {
  const transfer = plan({ kind: 'TRANSFER', accountId: 'gen', toAccountId: 'rev', amount: 700n });
  const original = {
    id: 'orig',
    kind: 'TRANSFER' as const,
    portfolioId: 'p1',
    legs: transfer.legs,
    baselineChanges: [{ id: 'gen', baseline: -700n }],
    reversedById: null,
  };

  it('negates the postings and the baseline change', () => {
    const r = planReversal('rev-tx', original, { memo: 'oops' });
    expect(r).toMatchObject({ kind: 'REVERSAL', reversesId: 'orig', memo: 'oops' });
    expect(r.legs.map((l) => [l.accountId, l.amount])).toEqual([
      ['gen', 700n],
      ['rev', -700n],
    ]);
    const gen = r.accounts.find((a) => a.id === 'gen');
    expect(gen?.baseline).toBe(700n);
    expect(gen?.availableDebit).toBeUndefined();
  });

  it.each([
    ['an already reversed transaction', { reversedById: 'other' }, 'TRANSACTION_ALREADY_REVERSED'],
    ['a reversal', { kind: 'REVERSAL' }, 'TRANSACTION_NOT_REVERSIBLE'],
    ['a fork', { kind: 'FORK' }, 'TRANSACTION_NOT_REVERSIBLE'],
  ] as const)('refuses %s', (_name, change, code) => {
    expect(() => planReversal('x', { ...original, ...change }, {})).toThrow(expect.objectContaining({ code }));
  });
});

describe('planOpeningDeposit', () => {
  it('splits the capital into one balanced DEPOSIT with the GEN share as baseline', () => {
    const p = planOpeningDeposit(
      'tx',
      'p1',
      25_000_001n,
      { gen: 40, rev: 30, com: 30, bufferBp: 500 },
      {
        GEN: 'gen',
        REV: 'rev',
        COM: 'com',
      },
    );
    expect(p.kind).toBe('DEPOSIT');
    expect(p.legs.map((l) => [l.accountId ?? l.ledger, l.amount])).toEqual([
      ['external:bank', -25_000_001n],
      ['gen', 10_000_001n],
      ['rev', 7_500_000n],
      ['com', 7_500_000n],
    ]);
    expect(p.accounts.map((a) => [a.id, a.baseline])).toEqual([
      ['gen', 10_000_001n],
      ['rev', 0n],
      ['com', 0n],
    ]);
  });

  it('leaves out an account whose share is zero', () => {
    const p = planOpeningDeposit(
      'tx',
      'p1',
      1_000n,
      { gen: 100, rev: 0, com: 0, bufferBp: 0 },
      { GEN: 'g', REV: 'r', COM: 'c' },
    );
    expect(p.legs).toHaveLength(2);
  });
});

describe('assertBalanced', () => {
  it.each([
    [
      'legs that do not sum to zero',
      [
        { accountId: 'a', ledger: 'cash', amount: 5n },
        { accountId: null, ledger: 'external:bank', amount: -4n },
      ],
    ],
    ['a single leg', [{ accountId: 'a', ledger: 'cash', amount: 0n }]],
    [
      'a zero leg',
      [
        { accountId: 'a', ledger: 'cash', amount: 0n },
        { accountId: null, ledger: 'external:bank', amount: 0n },
      ],
    ],
  ] as const)('refuses %s', (_name, legs) => {
    expect(() => assertBalanced(legs as never)).toThrow();
  });
});
