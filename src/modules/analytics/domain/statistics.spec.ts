import Decimal from 'decimal.js';
import { percent, ratio, returnStatistics } from './statistics';

const stats = (returns: number[]) => {
  const s = returnStatistics(returns.map((r) => new Decimal(r)));
  return {
    weeks: s.weeks,
    totalPct: percent(s.total),
    meanWeeklyPct: percent(s.meanWeekly),
    annualisedPct: percent(s.annualised),
    weeklySdPct: percent(s.weeklySd),
    volatilityPct: percent(s.volatility),
    sharpe: ratio(s.sharpe),
    maxDrawdownPct: percent(s.maxDrawdown),
    positiveWeeksPct: percent(s.positiveShare),
  };
};

describe(returnStatistics.name, () => {
  it.each([
    {
      name: 'four weeks +1 %, +2 %, −1 %, +2 %',
      // index 1.01 → 1.0302 → 1.019898 → 1.04029596: total 4.029596 %
      // mean (0.01 + 0.02 − 0.01 + 0.02) / 4 = 0.01; annualised 1.01^52 − 1 = 0.676889 → 67.7689 %
      // deviations 0, .01, −.02, .01 → Σ² = 0.0006; sample var 0.0006 / 3 = 0.0002; sd √0.0002 = 0.0141421
      // volatility 0.0141421 × √52 (7.2111026) = 0.1019804; Sharpe (0.01 − 0.02/52) / 0.0141421 × √52 = 4.9029
      // drawdown: peak 1.0302, then 1.019898 = 1.0302 × 0.99 → 1 %; 3 of 4 weeks positive
      returns: [0.01, 0.02, -0.01, 0.02],
      expected: {
        weeks: 4,
        totalPct: 4.0296,
        meanWeeklyPct: 1,
        annualisedPct: 67.7689,
        weeklySdPct: 1.4142,
        volatilityPct: 10.198,
        sharpe: 4.9029,
        maxDrawdownPct: 1,
        positiveWeeksPct: 75,
      },
    },
    {
      name: 'five weeks +1 %, +2 %, −1 %, 0, +1.5 % (the series of weekly-series.spec)',
      // index … 1.019898 → 1.019898 → 1.03519647: total 3.5196 %; mean 0.035 / 5 = 0.007
      // deviations .003 .013 −.017 −.007 .008 → Σ² = 0.00058; var 0.000145; sd 0.0120416
      // annualised 1.007^52 − 1 = 43.7251 %; volatility 0.0120416 × √52 = 8.6833 %
      // Sharpe (0.007 − 0.000384615) / 0.0120416 × √52 = 3.9616; 3 of 5 weeks positive (0 is not)
      returns: [0.01, 0.02, -0.01, 0, 0.015],
      expected: {
        weeks: 5,
        totalPct: 3.5196,
        meanWeeklyPct: 0.7,
        annualisedPct: 43.7251,
        weeklySdPct: 1.2042,
        volatilityPct: 8.6833,
        sharpe: 3.9616,
        maxDrawdownPct: 1,
        positiveWeeksPct: 60,
      },
    },
    {
      name: 'two falls from the start: the drawdown compounds from the first peak (1)',
      // 0.9^52 − 1 = −0.995825; index 0.9 → 0.81: drawdown 1 − 0.81 = 19 %; total −19 %; mean −0.1, sd 0 → Sharpe undefined
      returns: [-0.1, -0.1],
      expected: {
        weeks: 2,
        totalPct: -19,
        meanWeeklyPct: -10,
        annualisedPct: -99.5825,
        weeklySdPct: 0,
        volatilityPct: 0,
        sharpe: null,
        maxDrawdownPct: 19,
        positiveWeeksPct: 0,
      },
    },
    {
      name: 'one week: no standard deviation, hence no volatility or Sharpe',
      // 1.015^52 − 1 = 1.168873
      returns: [0.015],
      expected: {
        weeks: 1,
        totalPct: 1.5,
        meanWeeklyPct: 1.5,
        annualisedPct: 116.8873,
        weeklySdPct: null,
        volatilityPct: null,
        sharpe: null,
        maxDrawdownPct: 0,
        positiveWeeksPct: 100,
      },
    },
    {
      name: 'no week with capital at work: everything undefined',
      returns: [],
      expected: {
        weeks: 0,
        totalPct: null,
        meanWeeklyPct: null,
        annualisedPct: null,
        weeklySdPct: null,
        volatilityPct: null,
        sharpe: null,
        maxDrawdownPct: null,
        positiveWeeksPct: null,
      },
    },
  ])('$name', ({ returns, expected }) => {
    expect(stats(returns)).toEqual(expected);
  });
});
