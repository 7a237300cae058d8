import Decimal from 'decimal.js';
import type { Pocket, TransactionKind } from '../../transactions/domain/ledger.types';
import { classOf, FLOW_KINDS } from './classification';
import { buildWeeks, mondayOf, totalIncome, weeklyReturn, type WeeklyPostings } from './weekly-series';

const cents = (units: string) => BigInt(new Decimal(units).times(100).toFixed(0));

/** One posting as the SQL aggregate would return it (a group of one). */
const posting = (
  at: string,
  kind: TransactionKind,
  amount: string,
  ledger: Pocket = 'cash',
  reversedKind: TransactionKind | null = null,
): WeeklyPostings => {
  const when = new Date(at);
  const c = cents(amount);
  return {
    weekStart: mondayOf(when),
    ledger,
    kind,
    reversedKind,
    amount: c,
    moment: new Decimal(c.toString()).times(when.getTime()).div(1000).toString(),
  };
};

const NONE = { cash: 0n, contracts: 0n, leaps: 0n };

describe(mondayOf.name, () => {
  it.each([
    ['2026-03-02T00:00:00Z', '2026-03-02T00:00:00.000Z'], // a Monday at midnight is its own week
    ['2026-03-08T23:59:59.999Z', '2026-03-02T00:00:00.000Z'], // Sunday night still belongs to it
    ['2026-03-09T00:00:00Z', '2026-03-09T00:00:00.000Z'],
    ['2026-03-04T12:00:00+05:00', '2026-03-02T00:00:00.000Z'], // offsets count in UTC
    ['2026-01-01T10:00:00Z', '2025-12-29T00:00:00.000Z'], // across a year end
  ])('%s → %s', (at, monday) => expect(mondayOf(new Date(at)).toISOString()).toBe(monday));
});

describe(classOf.name, () => {
  it.each([
    ['PREMIUM', null, 'income'],
    ['TRADING_LOSS', null, 'income'],
    ['FEE', null, 'income'],
    ['DEPOSIT', null, 'flow'],
    ['WITHDRAWAL', null, 'flow'],
    ['TRANSFER', null, 'flow'],
    ['FORK', null, 'flow'],
    ['MERGE', null, 'flow'],
    ['REINVESTMENT', null, 'internal'],
    ['POSITION_CLOSE', null, 'internal'],
    ['REVERSAL', 'PREMIUM', 'income'],
    ['REVERSAL', 'DEPOSIT', 'flow'],
  ] as const)('%s (reversing %s) is %s', (kind, reversed, cls) => expect(classOf(kind, reversed)).toBe(cls));

  it('refuses a reversal without the kind it reverses', () => {
    expect(() => classOf('REVERSAL', null)).toThrow();
  });
});

describe(weeklyReturn.name, () => {
  it.each([
    // start value, time-weighted flows, income → return
    ['100000.00', '0', '1000.00', '0.01'],
    ['0.00', '50000.00', '500.00', '0.01'], // funded mid-week: half a week of 100,000
    ['103020.00', '-5000.00', '-980.20', '-0.01'], // withdrawal of 10,000 half-way through
    ['0.00', '0', '0.00', null], // nothing at work: no return
    ['1000.00', '-1000.00', '5.00', null], // everything left at the start: no base
  ])('V0 %s, weighted flows %s, income %s → %s', (v0, flows, income, expected) => {
    const r = weeklyReturn(cents(v0), new Decimal(flows).times(100), cents(income));
    expect(r === null ? null : r.toString()).toBe(expected);
  });
});

describe(buildWeeks.name, () => {
  // Account created Wednesday 2026-03-04 12:00 UTC; period to Friday 2026-04-03 12:00 UTC.
  // week 1 (from Wed 12:00): deposit 100,000.00 at the very start (weight 1), premium 1,000.00
  //   → r = 1,000 / (0 + 100,000) = 1 %
  // week 2: premium 2,020.00 on 101,000.00 → 2 %
  // week 3: withdrawal 10,000.00 on Thursday 12:00 (3.5 of 7 days left: weight ½ → −5,000),
  //   trading loss 980.20 → r = −980.20 / (103,020.00 − 5,000.00) = −1 %
  // week 4: nothing → 0 % on 92,039.80
  // week 5 (to Fri 12:00): transfer in 7,960.20 on Monday 00:00 (weight 1) → base 100,000.00;
  //   premium 3,000.00, its reversal −1,000.00 (counts as PREMIUM), fee 500.00 → income 1,500 → 1.5 %;
  //   a reinvestment moves 2,000.00 from cash to contracts 1,500.00 / LEAPS 500.00: no return.
  const start = new Date('2026-03-04T12:00:00Z');
  const end = new Date('2026-04-03T12:00:00Z');
  const rows = [
    posting('2026-03-04T12:00:00Z', 'DEPOSIT', '100000.00'),
    posting('2026-03-05T16:00:00Z', 'PREMIUM', '1000.00'),
    posting('2026-03-12T16:00:00Z', 'PREMIUM', '2020.00'),
    posting('2026-03-19T12:00:00Z', 'WITHDRAWAL', '-10000.00'),
    posting('2026-03-20T16:00:00Z', 'TRADING_LOSS', '-980.20'),
    posting('2026-03-30T00:00:00Z', 'TRANSFER', '7960.20'),
    posting('2026-03-31T16:00:00Z', 'PREMIUM', '3000.00'),
    posting('2026-04-01T09:00:00Z', 'REVERSAL', '-1000.00', 'cash', 'PREMIUM'),
    posting('2026-04-02T09:00:00Z', 'FEE', '-500.00'),
    posting('2026-04-02T10:00:00Z', 'REINVESTMENT', '-2000.00', 'cash'),
    posting('2026-04-02T10:00:00Z', 'REINVESTMENT', '1500.00', 'contracts'),
    posting('2026-04-02T10:00:00Z', 'REINVESTMENT', '500.00', 'leaps'),
  ];
  const weeks = buildWeeks(NONE, rows, start, end);

  it('lists every week of the period, clipped to it', () => {
    expect(weeks.map((w) => [w.weekStart.toISOString(), w.start.toISOString(), w.end.toISOString()])).toEqual([
      ['2026-03-02T00:00:00.000Z', '2026-03-04T12:00:00.000Z', '2026-03-09T00:00:00.000Z'],
      ['2026-03-09T00:00:00.000Z', '2026-03-09T00:00:00.000Z', '2026-03-16T00:00:00.000Z'],
      ['2026-03-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z', '2026-03-23T00:00:00.000Z'],
      ['2026-03-23T00:00:00.000Z', '2026-03-23T00:00:00.000Z', '2026-03-30T00:00:00.000Z'],
      ['2026-03-30T00:00:00.000Z', '2026-03-30T00:00:00.000Z', '2026-04-03T12:00:00.000Z'],
    ]);
  });

  it('computes the time-weighted return of each week, flows excluded', () => {
    expect(weeks.map((w) => w.return?.toString() ?? null)).toEqual(['0.01', '0.02', '-0.01', '0', '0.015']);
    expect(weeks.map((w) => w.weightedFlow.toString())).toEqual(['10000000', '0', '-500000', '0', '796020']);
    expect(weeks.map((w) => [w.startValue, w.flow, w.netIncome, w.endValue])).toEqual([
      [0n, cents('100000.00'), cents('1000.00'), cents('101000.00')],
      [cents('101000.00'), 0n, cents('2020.00'), cents('103020.00')],
      [cents('103020.00'), cents('-10000.00'), cents('-980.20'), cents('92039.80')],
      [cents('92039.80'), 0n, 0n, cents('92039.80')],
      [cents('92039.80'), cents('7960.20'), cents('1500.00'), cents('101500.00')],
    ]);
  });

  it('keeps the pockets at the end of each week', () => {
    expect(weeks[4].closing).toEqual({ cash: cents('99500.00'), contracts: cents('1500.00'), leaps: cents('500.00') });
    expect(weeks[3].closing).toEqual({ cash: cents('92039.80'), contracts: 0n, leaps: 0n });
  });

  it('sums income by kind, a reversal of a premium reducing premium', () => {
    expect(totalIncome(weeks)).toEqual({
      PREMIUM: cents('5020.00'),
      TRADING_LOSS: cents('-980.20'),
      FEE: cents('-500.00'),
    });
  });

  it('starts from the opening pockets and skips weeks with no capital', () => {
    // A period starting after everything was withdrawn, then a mid-week deposit (Thu 12:00 of a
    // Mon–Mon week: weight ½) of 100,000.00 and a premium of 500.00 → 500 / 50,000 = 1 %.
    const later = buildWeeks(
      { cash: 0n, contracts: 0n, leaps: 0n },
      [posting('2026-03-12T12:00:00Z', 'DEPOSIT', '100000.00'), posting('2026-03-13T12:00:00Z', 'PREMIUM', '500.00')],
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-16T00:00:00Z'),
    );
    expect(later.map((w) => w.return?.toString() ?? null)).toEqual([null, '0.01']);
    const opened = buildWeeks(
      { cash: cents('50.00'), contracts: cents('25.00'), leaps: cents('25.00') },
      [],
      new Date('2026-03-02T00:00:00Z'),
      new Date('2026-03-09T00:00:00Z'),
    );
    expect(opened.map((w) => [w.startValue, w.endValue, w.return?.toString()])).toEqual([
      [cents('100.00'), cents('100.00'), '0'],
    ]);
  });

  it('has no week in an empty period', () => {
    expect(buildWeeks(NONE, [], end, end)).toEqual([]);
  });
});

describe('FLOW_KINDS', () => {
  it('are the external flows of docs/domain.md §8', () => {
    expect(FLOW_KINDS).toEqual(['DEPOSIT', 'WITHDRAWAL', 'TRANSFER', 'FORK', 'MERGE']);
  });
});
