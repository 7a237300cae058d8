import Decimal from 'decimal.js';
import type { Cents } from '@app/money';
import {
  INCOME_KINDS,
  type IncomeKind,
  type Pocket,
  type TransactionKind,
} from '../../transactions/domain/ledger.types';
import { classOf, effectiveKind } from './classification';

const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

export interface Pockets {
  cash: Cents;
  contracts: Cents;
  leaps: Cents;
}

export type IncomeByKind = Record<IncomeKind, Cents>;

/** One row of the SQL aggregate: the postings of one account in one week, pocket and kind. */
export interface WeeklyPostings {
  /** Monday 00:00 UTC of the week the postings are effective in. */
  weekStart: Date;
  ledger: Pocket;
  kind: TransactionKind;
  /** For a REVERSAL, the kind of the transaction it reverses; otherwise null. */
  reversedKind: TransactionKind | null;
  /** Σ amount (signed cents). */
  amount: Cents;
  /** Σ amount × effective time in Unix seconds: an exact decimal, used to time-weight flows. */
  moment: string;
}

export interface Week {
  /** Monday 00:00 UTC. */
  weekStart: Date;
  /** The part of the week inside the period: [start, end). */
  start: Date;
  end: Date;
  startValue: Cents;
  /** Net external flow into the account (deposits, withdrawals, transfers, forks, merges). */
  flow: Cents;
  /** Each flow weighted by the share of the week left after it: Σ F × (end − t) / (end − start), cents. */
  weightedFlow: Decimal;
  income: IncomeByKind;
  netIncome: Cents;
  closing: Pockets;
  endValue: Cents;
  /** Modified Dietz return, as a fraction; null when no capital was at work (denominator ≤ 0). */
  return: Decimal | null;
}

/** Monday 00:00 UTC of the week holding `at` (PostgreSQL's date_trunc('week') in UTC). */
export function mondayOf(at: Date): Date {
  const day = Math.floor(at.getTime() / DAY_MS) * DAY_MS;
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return new Date(day - weekday * DAY_MS);
}

export const zeroIncome = (): IncomeByKind => ({ PREMIUM: 0n, TRADING_LOSS: 0n, FEE: 0n });

/**
 * The modified Dietz return of one week: income / (value at the start + time-weighted flows).
 * Flows are capital, not performance, so they only enlarge (or shrink) the capital at work.
 */
export function weeklyReturn(startValue: Cents, weightedFlow: Decimal, income: Cents): Decimal | null {
  const base = new Decimal(startValue.toString()).plus(weightedFlow);
  if (base.lte(0)) return null;
  return new Decimal(income.toString()).div(base);
}

/**
 * Builds every week of the period [start, end) from the opening pockets (postings before start)
 * and the weekly aggregates, including weeks without postings (their value carries over).
 */
export function buildWeeks(opening: Pockets, rows: WeeklyPostings[], start: Date, end: Date): Week[] {
  const byWeek = new Map<number, WeeklyPostings[]>();
  for (const row of rows) {
    const key = row.weekStart.getTime();
    const list = byWeek.get(key);
    if (list) list.push(row);
    else byWeek.set(key, [row]);
  }
  const weeks: Week[] = [];
  if (start.getTime() >= end.getTime()) return weeks;
  const pockets: Pockets = { ...opening };
  for (let monday = mondayOf(start).getTime(); monday < end.getTime(); monday += WEEK_MS) {
    const from = Math.max(monday, start.getTime());
    const to = Math.min(monday + WEEK_MS, end.getTime());
    const startValue = pockets.cash + pockets.contracts + pockets.leaps;
    const income = zeroIncome();
    let flow = 0n;
    let flowMoment = new Decimal(0);
    for (const row of byWeek.get(monday) ?? []) {
      pockets[row.ledger] += row.amount;
      const cls = classOf(row.kind, row.reversedKind);
      if (cls === 'income') income[effectiveKind(row.kind, row.reversedKind) as IncomeKind] += row.amount;
      else if (cls === 'flow') {
        flow += row.amount;
        flowMoment = flowMoment.plus(row.moment);
      }
    }
    // Σ F (to − t) / (to − from) = (to · ΣF − Σ F t) / (to − from), in seconds.
    const toSeconds = new Decimal(to).div(1000);
    const weightedFlow = toSeconds
      .times(flow.toString())
      .minus(flowMoment)
      .div(new Decimal(to - from).div(1000));
    const netIncome = INCOME_KINDS.reduce((sum, kind) => sum + income[kind], 0n);
    weeks.push({
      weekStart: new Date(monday),
      start: new Date(from),
      end: new Date(to),
      startValue,
      flow,
      weightedFlow,
      income,
      netIncome,
      closing: { ...pockets },
      endValue: pockets.cash + pockets.contracts + pockets.leaps,
      return: weeklyReturn(startValue, weightedFlow, netIncome),
    });
  }
  return weeks;
}

/** Income of the whole series by kind (reversals already folded into the kind they reverse). */
export function totalIncome(weeks: Week[]): IncomeByKind {
  const total = zeroIncome();
  for (const week of weeks) for (const kind of INCOME_KINDS) total[kind] += week.income[kind];
  return total;
}
