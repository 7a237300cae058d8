import Decimal from 'decimal.js';
import { WEEKS_PER_YEAR } from '../../accounts/domain/account-types';

/** The annual risk-free rate the Sharpe ratio is measured against (docs/domain.md §8). */
export const RISK_FREE_ANNUAL = new Decimal('0.02');

/** Summary statistics of a series of weekly returns (fractions, not percent). */
export interface ReturnStatistics {
  weeks: number;
  /** Chain-linked: Π(1 + r) − 1. */
  total: Decimal | null;
  /** Arithmetic mean of the weekly returns. */
  meanWeekly: Decimal | null;
  /** (1 + mean weekly)^52 − 1. */
  annualised: Decimal | null;
  /** Sample standard deviation (n − 1) of the weekly returns; null below 2 weeks. */
  weeklySd: Decimal | null;
  /** weekly sd × √52. */
  volatility: Decimal | null;
  /** (mean weekly − 0.02/52) / weekly sd × √52; null when the sd is null or 0. */
  sharpe: Decimal | null;
  /** Largest fall of the time-weighted index from its running peak, as a positive fraction. */
  maxDrawdown: Decimal | null;
  /** Share of weeks with a return > 0. */
  positiveShare: Decimal | null;
}

export function returnStatistics(returns: Decimal[]): ReturnStatistics {
  const n = returns.length;
  if (n === 0) {
    return {
      weeks: 0,
      total: null,
      meanWeekly: null,
      annualised: null,
      weeklySd: null,
      volatility: null,
      sharpe: null,
      maxDrawdown: null,
      positiveShare: null,
    };
  }
  let index = new Decimal(1);
  let peak = new Decimal(1);
  let maxDrawdown = new Decimal(0);
  for (const r of returns) {
    index = index.times(r.plus(1));
    if (index.gt(peak)) peak = index;
    const drawdown = new Decimal(1).minus(index.div(peak));
    if (drawdown.gt(maxDrawdown)) maxDrawdown = drawdown;
  }
  const mean = Decimal.sum(...returns).div(n);
  const sqrtYear = new Decimal(WEEKS_PER_YEAR).sqrt();
  const weeklySd =
    n < 2
      ? null
      : Decimal.sum(...returns.map((r) => r.minus(mean).pow(2)))
          .div(n - 1)
          .sqrt();
  const sharpe =
    weeklySd && !weeklySd.isZero()
      ? mean.minus(RISK_FREE_ANNUAL.div(WEEKS_PER_YEAR)).div(weeklySd).times(sqrtYear)
      : null;
  return {
    weeks: n,
    total: index.minus(1),
    meanWeekly: mean,
    annualised: mean.plus(1).pow(WEEKS_PER_YEAR).minus(1),
    weeklySd,
    volatility: weeklySd ? weeklySd.times(sqrtYear) : null,
    sharpe,
    maxDrawdown,
    positiveShare: new Decimal(returns.filter((r) => r.gt(0)).length).div(n),
  };
}

/** A fraction as a percent number with 4 decimals (0.012345 → 1.2345); null stays null. */
export function percent(fraction: Decimal | null): number | null {
  return fraction === null ? null : fraction.times(100).toDecimalPlaces(4).toNumber();
}

/** A ratio as a number with 4 decimals. */
export function ratio(value: Decimal | null): number | null {
  return value === null ? null : value.toDecimalPlaces(4).toNumber();
}
