import type { AccountFactsLite, MovementKind, PlannedTransaction } from './ledger.types';
import { LockedAccount, screenTransactions } from './ledger-screen';
import { planMovement } from './movements';

const created = new Date('2026-01-01T00:00:00Z');
const now = new Date('2026-06-01T00:00:00Z');
const facts = new Map<string, AccountFactsLite>(
  (
    [
      ['gen', 'GEN'],
      ['rev', 'REV'],
      ['com', 'COM'],
      ['gone', 'REV'],
    ] as const
  ).map(([id, type]) => [id, { id, portfolioId: 'p1', type, createdAt: created }]),
);
const move = (kind: MovementKind, accountId: string, cents: bigint, toAccountId?: string): PlannedTransaction =>
  planMovement(`tx-${kind}`, { kind, accountId, toAccountId, amount: cents }, facts, now);

/** rev: 300.00 cash with a 5 % buffer (15.00); com: suspended; gen: 1,000.00 in cash and a 0 % buffer. */
const accounts = new Map<string, LockedAccount>(
  (
    [
      { id: 'gen', status: 'ACTIVE', cash: 100_000n, contracts: 0n, leaps: 0n, bufferBp: 0 },
      { id: 'rev', status: 'ACTIVE', cash: 30_000n, contracts: 0n, leaps: 0n, bufferBp: 500 },
      { id: 'com', status: 'SUSPENDED', cash: 30_000n, contracts: 0n, leaps: 0n, bufferBp: 500 },
    ] as const
  ).map((a) => [a.id, a]),
);

describe(screenTransactions.name, () => {
  it.each([
    ['a withdrawal of the available cash', [move('WITHDRAWAL', 'rev', 28_500n)], [0], []],
    ['a withdrawal into the buffer', [move('WITHDRAWAL', 'rev', 28_501n)], [], [[0, 'INSUFFICIENT_FUNDS']]],
    ['a fee into the buffer, down to 0', [move('FEE', 'rev', 30_000n)], [0], []],
    ['a fee below 0', [move('FEE', 'rev', 30_001n)], [], [[0, 'INSUFFICIENT_FUNDS']]],
    ['a deposit to a suspended account', [move('DEPOSIT', 'com', 100n)], [], [[0, 'ACCOUNT_NOT_ACTIVE']]],
    ['a premium to a suspended account', [move('PREMIUM', 'com', 100n)], [0], []],
    ['an account that is not there', [move('PREMIUM', 'gone', 100n)], [], [[0, 'ACCOUNT_NOT_FOUND']]],
    [
      'a transfer of all the cash available, then one more cent',
      [move('TRANSFER', 'gen', 100_000n, 'rev'), move('TRANSFER', 'gen', 1n, 'com')],
      [0],
      [[1, 'INSUFFICIENT_FUNDS']],
    ],
    [
      'each line against the lines accepted before it, refused ones left out',
      [
        move('WITHDRAWAL', 'rev', 20_000n), // 300 → 100: 5.00 buffer, 95.00 available
        move('WITHDRAWAL', 'rev', 9_600n), // refused
        move('WITHDRAWAL', 'rev', 9_000n), // 100 → 10: 0.50 buffer
        move('PREMIUM', 'rev', 5_000n), // 60.00: 3.00 buffer
        move('WITHDRAWAL', 'rev', 5_700n), // 3.00 left
        move('FEE', 'rev', 301n), // refused
      ],
      [0, 2, 3, 4],
      [
        [1, 'INSUFFICIENT_FUNDS'],
        [5, 'INSUFFICIENT_FUNDS'],
      ],
    ],
  ] as const)('decides %s', (_case, plans, accepted, refused) => {
    const result = screenTransactions(accounts, plans);
    expect(result.accepted).toEqual(accepted);
    expect(result.refused.map((r) => [r.index, r.code])).toEqual(refused);
  });

  it('gives the details ledger_post would, and leaves the locked accounts as they were', () => {
    const result = screenTransactions(accounts, [
      move('WITHDRAWAL', 'rev', 28_501n),
      move('DEPOSIT', 'com', 1n),
      move('PREMIUM', 'gen', 1n),
    ]);
    expect(result.refused.map((r) => r.detail)).toEqual([
      { accountId: 'rev', availableDebit: '28501' },
      { accountId: 'com', status: 'SUSPENDED' },
    ]);
    expect(accounts.get('gen')!.cash).toBe(100_000n);
  });
});
