import type { Cents } from '@app/money';
import type { TransactionKind } from '../../transactions/domain/ledger.types';
import {
  closeAmounts,
  netTradingIncome,
  planPositionClose,
  planReinvestment,
  pocketMoves,
  reinvestmentAmount,
  splitReinvestment,
} from './reinvestment.rules';

const rev = { id: 'rev-1', portfolioId: 'p-1', type: 'REV' as const };
const com = { id: 'com-1', portfolioId: 'p-1', type: 'COM' as const };
const gen = { id: 'gen-1', portfolioId: 'p-1', type: 'GEN' as const };

describe('netTradingIncome', () => {
  const e = (kind: TransactionKind, amount: Cents, reversedKind: TransactionKind | null = null) => ({
    kind,
    amount,
    reversedKind,
  });

  it.each<[string, ReturnType<typeof e>[], Cents]>([
    ['nothing posted', [], 0n],
    ['premiums only', [e('PREMIUM', 150_000n)], 150_000n],
    ['premium − loss − fee', [e('PREMIUM', 150_000n), e('TRADING_LOSS', -20_000n), e('FEE', -1_234n)], 128_766n],
    ['losses above premiums', [e('PREMIUM', 10_000n), e('TRADING_LOSS', -30_000n)], -20_000n],
    [
      'a reversed premium counts as a negative premium',
      [e('PREMIUM', 50_000n), e('REVERSAL', -50_000n, 'PREMIUM')],
      0n,
    ],
    ['a reversed loss gives the income back', [e('TRADING_LOSS', -5_000n), e('REVERSAL', 5_000n, 'TRADING_LOSS')], 0n],
    ['a reversed fee gives the income back', [e('REVERSAL', 700n, 'FEE')], 700n],
    ['a reversed deposit is not income', [e('PREMIUM', 100n), e('REVERSAL', -9_999n, 'DEPOSIT')], 100n],
    [
      'capital and growth flows are not income',
      [
        e('DEPOSIT', 1_000_000n),
        e('WITHDRAWAL', -10_000n),
        e('TRANSFER', 5_000n),
        e('FORK', 20_000n),
        e('MERGE', 30_000n),
        e('POSITION_CLOSE', 40_000n),
        e('REINVESTMENT', -50_000n),
        e('PREMIUM', 1n),
      ],
      1n,
    ],
  ])('%s', (_name, entries, expected) => {
    expect(netTradingIncome(entries)).toBe(expected);
  });
});

describe('reinvestmentAmount', () => {
  const base = { netIncome: 500_000n, reinvestRatePct: 100, available: 10_000_000n, minimum: 10_000n };

  it.each([
    ['all the income at 100 %', {}, 500_000n],
    ['a share of it at 60 %', { reinvestRatePct: 60 }, 300_000n],
    ['a fractional rate, rounded down to the cent', { netIncome: 333n, reinvestRatePct: 33.33, minimum: 0n }, 110n], // 110.9889
    ['rounded down, never up', { netIncome: 199n, reinvestRatePct: 50, minimum: 0n }, 99n], // 99.5
    ['capped at the available cash', { available: 123_456n }, 123_456n],
    ['exactly the minimum', { netIncome: 10_000n }, 10_000n],
    ['any amount when there is no minimum', { netIncome: 1n, minimum: 0n }, 1n],
    ['the cap even when the share is larger', { netIncome: 10n ** 15n, available: 10n ** 13n }, 10n ** 13n],
  ])('reinvests %s', (_name, change, amount) => {
    expect(reinvestmentAmount({ ...base, ...change })).toEqual(expect.objectContaining({ reinvest: true, amount }));
  });

  it.each([
    ['no income', { netIncome: 0n }, 'NO_INCOME'],
    ['a net loss', { netIncome: -50_000n }, 'NO_INCOME'],
    ['a rate of 0 %', { reinvestRatePct: 0 }, 'NO_INCOME'],
    ['a share that rounds down to nothing', { netIncome: 1n, reinvestRatePct: 50, minimum: 0n }, 'NO_INCOME'],
    ['no available cash', { available: 0n }, 'NO_AVAILABLE_CASH'],
    ['no available cash even with no minimum', { available: 0n, minimum: 0n }, 'NO_AVAILABLE_CASH'],
    ['a share below the minimum', { netIncome: 9_999n }, 'BELOW_MINIMUM'],
    ['a share cut below the minimum by the cap', { available: 9_999n }, 'BELOW_MINIMUM'],
    ['a share below the minimum after the rate', { netIncome: 19_999n, reinvestRatePct: 50 }, 'BELOW_MINIMUM'],
  ])('skips %s (%s)', (_name, change, reason) => {
    expect(reinvestmentAmount({ ...base, ...change })).toEqual(expect.objectContaining({ reinvest: false, reason }));
  });

  it.each([[-1], [100.01], [50.005], [Number.NaN]])('refuses a rate of %p', (reinvestRatePct) => {
    expect(() => reinvestmentAmount({ ...base, reinvestRatePct })).toThrow(RangeError);
  });
});

describe('splitReinvestment', () => {
  it.each([
    [100_000n, 75, { contracts: 75_000n, leaps: 25_000n }],
    [100_001n, 75, { contracts: 75_001n, leaps: 25_000n }], // the remainder cent to contracts
    [3n, 75, { contracts: 3n, leaps: 0n }], // 2.25 + 0.75: LEAPS round down to 0
    [999n, 50, { contracts: 500n, leaps: 499n }],
    [12_345n, 100, { contracts: 12_345n, leaps: 0n }],
    [12_345n, 0, { contracts: 0n, leaps: 12_345n }],
  ])('splits %p cents at %p %% to contracts', (amount, pct, expected) => {
    const split = splitReinvestment(amount, pct);
    expect(split).toEqual(expected);
    expect(split.contracts + split.leaps).toBe(amount);
  });
});

describe('planReinvestment', () => {
  it.each([
    ['a REV account, 75/25', rev, 100_001n, 75, [-100_001n, 75_001n, 25_000n]],
    ['a COM account, 60/40', com, 50_000n, 60, [-50_000n, 30_000n, 20_000n]],
  ] as const)('moves cash to contracts and LEAPS for %s', (_name, account, amount, pct, [cash, contracts, leaps]) => {
    const plan = planReinvestment('tx-1', account, amount, pct, 'memo');
    expect(plan).toEqual({
      id: 'tx-1',
      kind: 'REINVESTMENT',
      portfolioId: 'p-1',
      memo: 'memo',
      legs: [
        { accountId: account.id, ledger: 'cash', amount: cash },
        { accountId: account.id, ledger: 'contracts', amount: contracts },
        { accountId: account.id, ledger: 'leaps', amount: leaps },
      ],
      accounts: [
        {
          id: account.id,
          cash,
          contracts,
          leaps,
          baseline: 0n,
          statuses: ['ACTIVE'],
          availableDebit: amount,
        },
      ],
    });
    expect(pocketMoves(plan.legs, account.id)).toEqual({ contracts, leaps });
  });

  it('leaves out a pocket that receives nothing', () => {
    const plan = planReinvestment('tx-1', rev, 5_000n, 100);
    expect(plan.legs.map((l) => l.ledger)).toEqual(['cash', 'contracts']);
    expect(plan.accounts[0]).toMatchObject({ cash: -5_000n, contracts: 5_000n, leaps: 0n });
  });

  it('refuses a GEN account with REINVESTMENT_NOT_ALLOWED', () => {
    expect(() => planReinvestment('tx-1', gen, 5_000n, 75)).toThrow(
      expect.objectContaining({ kind: 'unprocessable', code: 'REINVESTMENT_NOT_ALLOWED' }),
    );
  });

  it.each([[0n], [-1n]])('refuses an amount of %p', (amount) => {
    expect(() => planReinvestment('tx-1', rev, amount, 75)).toThrow(RangeError);
  });
});

describe('closeAmounts', () => {
  const held = { contracts: 7_500n, leaps: 2_500n };
  it.each([
    ['everything when nothing is named', {}, held],
    ['only contracts when only contracts are named', { contracts: 1_000n }, { contracts: 1_000n, leaps: 0n }],
    ['only LEAPS when only LEAPS are named', { leaps: 2_500n }, { contracts: 0n, leaps: 2_500n }],
    ['both as named', { contracts: 1n, leaps: 2n }, { contracts: 1n, leaps: 2n }],
    ['more than held (the ledger refuses it)', { contracts: 9_999n }, { contracts: 9_999n, leaps: 0n }],
  ])('closes %s', (_name, requested, expected) => {
    expect(closeAmounts(requested, held)).toEqual(expected);
  });
});

describe('planPositionClose', () => {
  it.each([
    ['both pockets', { contracts: 7_500n, leaps: 2_500n }, [-7_500n, -2_500n, 10_000n], ['contracts', 'leaps', 'cash']],
    ['contracts only', { contracts: 100n, leaps: 0n }, [-100n, 100n], ['contracts', 'cash']],
    ['LEAPS only', { contracts: 0n, leaps: 1n }, [-1n, 1n], ['leaps', 'cash']],
  ])('brings %s back to cash', (_name, amounts, signed, ledgers) => {
    const plan = planPositionClose('tx-2', com, amounts);
    expect(plan.kind).toBe('POSITION_CLOSE');
    expect(plan.legs.map((l) => [l.ledger, l.amount])).toEqual(ledgers.map((l, i) => [l, signed[i]]));
    expect(plan.accounts).toEqual([
      {
        id: com.id,
        cash: amounts.contracts + amounts.leaps,
        contracts: -amounts.contracts,
        leaps: -amounts.leaps,
        baseline: 0n,
        statuses: ['ACTIVE'],
      },
    ]);
    expect(pocketMoves(plan.legs, com.id)).toEqual({ contracts: -amounts.contracts, leaps: -amounts.leaps });
  });

  it('refuses to close nothing with NOTHING_TO_CLOSE', () => {
    expect(() => planPositionClose('tx-2', gen, { contracts: 0n, leaps: 0n })).toThrow(
      expect.objectContaining({ kind: 'unprocessable', code: 'NOTHING_TO_CLOSE' }),
    );
  });

  it('refuses a negative amount', () => {
    expect(() => planPositionClose('tx-2', rev, { contracts: -1n, leaps: 5n })).toThrow(RangeError);
  });
});
