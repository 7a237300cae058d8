import Decimal from 'decimal.js';
import { WEEKS_PER_YEAR } from '../../accounts/domain/account-types';

/**
 * The geometric-growth projection (docs/domain.md §9): a deterministic week-by-week simulation.
 *
 * Exactness: money is a `bigint` of 10⁻¹⁸ dollars ("atoms", 10¹⁶ per cent). A week's earnings are
 * `value × (10000 − bufferBp) × ratePpm / 10¹⁰` truncated to the atom, and a fork gives the new COM
 * `surplus / 2` (truncated) and the new GEN the rest, so the arithmetic is exact apart from
 * truncation 16 orders of magnitude below a cent. Amounts are rounded to cents (half up) only when
 * they are formatted for output.
 *
 * Cohorts: units created in the same week with the same surplus have identical state and, the
 * arithmetic being deterministic, stay identical for ever. They are simulated once, as a cohort
 * with a count; every operation on a cohort is exactly that operation on each of its units.
 *
 * Numbering: units are numbered in the order they are created, week by week (existing units of a
 * portfolio first, 1 … n, in creation order). Within one week the units of one cohort take
 * consecutive numbers (cohorts ordered by their first parent), where the literal pass would
 * interleave cohorts whose parents interleave. No value depends on the order of forks within a
 * pass (a fork touches only its own unit), so this changes nothing but the numbers, and it keeps
 * every cohort one contiguous block `first … first + count − 1`.
 */

export const ATOMS_PER_CENT = 10n ** 16n;
const RATE_DENOMINATOR = 10n ** 10n; // 10⁴ (basis points of buffer) × 10⁶ (parts per million of rate)

export type AccountKind = 'gen' | 'rev' | 'com';

/** Validated inputs, in exact units. */
export interface ProjectionParams {
  years: number;
  /** The cash buffer, in basis points of value (500 = 5 %); it earns nothing. */
  bufferBp: number;
  /** Weekly rate per account type, in parts per million (1.5 % = 15000). */
  weeklyRatesPpm: Record<AccountKind, number>;
  /** In cents. */
  forkThreshold: bigint;
  /** In cents; greater than forkThreshold. */
  mergeThreshold: bigint;
}

/** Where the simulation starts, in cents: root accounts plus active forked units in creation order. */
export interface StartState {
  gen: bigint;
  genBaseline: bigint;
  rev: bigint;
  com: bigint;
  units: { gen: bigint; baseline: bigint; com: bigint }[];
}

export interface YearRow {
  year: number;
  genBalance: bigint;
  revBalance: bigint;
  comBalance: bigint;
  forkedUnitsValue: bigint;
  totalValue: bigint;
  income: bigint;
  activeUnits: number;
  /** Units created by forks during the year. */
  forks: number;
  /** Units merged into the root COM account during the year. */
  merges: number;
}

export interface ProjectionEvent {
  /** 1-based week of the simulation. */
  week: number;
  kind: 'fork' | 'merge';
  /** Fork: the first unit created; merge: the first unit merged. Units are numbered in creation order. */
  unit: number;
  /** How many units (contiguous numbers from `unit`) took part, each moving `amount`. */
  count: number;
  /** Fork: the first forking unit (0 for the root GEN account); absent for merges. */
  parent?: number;
  /** Per unit, in atoms: the surplus forked, or the value merged. */
  amount: bigint;
}

export interface ProjectionResult {
  years: YearRow[];
  events: ProjectionEvent[];
  /** Events beyond the limit, not listed. */
  eventsOmitted: number;
  /** Percent per year, 4 decimals; null when the starting value is zero. */
  cagr: number | null;
  initialValue: bigint;
  /** Cohort-weeks simulated (the work done), for measurements. */
  cohortWeeks: number;
}

interface Cohort {
  /** Its units are numbered first … first + count − 1. */
  first: number;
  count: number;
  countN: bigint;
  gen: bigint;
  baseline: bigint;
  com: bigint;
}

/** A cohort (or the root GEN account, unit 0) whose every unit forked `surplus`. */
interface ForkingRun {
  first: number;
  count: number;
  surplus: bigint;
}

export interface ProjectionLimits {
  /** Events listed at most; the rest are counted in eventsOmitted. */
  maxEvents: number;
}

export const DEFAULT_LIMITS: ProjectionLimits = { maxEvents: 10_000 };

/**
 * One projection, runnable in slices (`advance(weeks)`) so that a caller can yield between them.
 * `run()` does it all at once.
 */
export class ProjectionRun {
  readonly totalWeeks: number;
  private week = 0;
  private gen: bigint;
  private readonly genBaseline: bigint;
  private rev: bigint;
  private com: bigint;
  private cohorts: Cohort[] = [];
  private nextUnit: number;
  private readonly factors: Record<AccountKind, bigint>;
  private readonly fork: bigint;
  private readonly merge: bigint;
  private readonly initialValue: bigint;
  private readonly rows: YearRow[] = [];
  private readonly events: ProjectionEvent[] = [];
  private eventsOmitted = 0;
  private income = 0n;
  private forks = 0;
  private merges = 0;
  private cohortWeeks = 0;

  constructor(
    private readonly params: ProjectionParams,
    start: StartState,
    private readonly limits: ProjectionLimits = DEFAULT_LIMITS,
  ) {
    this.totalWeeks = params.years * WEEKS_PER_YEAR;
    const atoms = (cents: bigint) => cents * ATOMS_PER_CENT;
    this.gen = atoms(start.gen);
    this.genBaseline = atoms(start.genBaseline);
    this.rev = atoms(start.rev);
    this.com = atoms(start.com);
    start.units.forEach((u, i) => {
      this.cohorts.push({
        first: i + 1,
        count: 1,
        countN: 1n,
        gen: atoms(u.gen),
        baseline: atoms(u.baseline),
        com: atoms(u.com),
      });
    });
    this.nextUnit = start.units.length + 1;
    const keep = BigInt(10_000 - params.bufferBp);
    this.factors = {
      gen: keep * BigInt(params.weeklyRatesPpm.gen),
      rev: keep * BigInt(params.weeklyRatesPpm.rev),
      com: keep * BigInt(params.weeklyRatesPpm.com),
    };
    this.fork = atoms(params.forkThreshold);
    this.merge = atoms(params.mergeThreshold);
    this.initialValue = this.totalValue();
  }

  get weeksDone(): number {
    return this.week;
  }

  get done(): boolean {
    return this.week >= this.totalWeeks;
  }

  /** Active cohorts: the work one more week costs. */
  get cohortCount(): number {
    return this.cohorts.length;
  }

  /** The exact current state, in atoms (for inspection and tests). */
  state() {
    return {
      week: this.week,
      gen: this.gen,
      rev: this.rev,
      com: this.com,
      cohorts: this.cohorts.map((c) => ({
        first: c.first,
        count: c.count,
        gen: c.gen,
        baseline: c.baseline,
        com: c.com,
      })),
    };
  }

  /** Simulates up to `weeks` more weeks; returns how many it did. */
  advance(weeks: number): number {
    const end = Math.min(this.totalWeeks, this.week + weeks);
    const from = this.week;
    while (this.week < end) this.step();
    return this.week - from;
  }

  run(): ProjectionResult {
    this.advance(this.totalWeeks);
    return this.result();
  }

  result(): ProjectionResult {
    if (!this.done) throw new Error('the projection has not finished');
    const final = this.rows.length ? this.rows[this.rows.length - 1].totalValue : this.initialValue;
    return {
      years: this.rows,
      events: this.events,
      eventsOmitted: this.eventsOmitted,
      cagr: cagrPercent(this.initialValue, final, this.params.years),
      initialValue: this.initialValue,
      cohortWeeks: this.cohortWeeks,
    };
  }

  private step(): void {
    const week = ++this.week;
    const { gen: fGen, rev: fRev, com: fCom } = this.factors;

    // 1. Every active account earns value × (1 − buffer) × rate.
    let income = 0n;
    let e = (this.gen * fGen) / RATE_DENOMINATOR;
    this.gen += e;
    income += e;
    e = (this.rev * fRev) / RATE_DENOMINATOR;
    this.rev += e;
    income += e;
    e = (this.com * fCom) / RATE_DENOMINATOR;
    this.com += e;
    income += e;
    const cohorts = this.cohorts;
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i];
      const eg = (c.gen * fGen) / RATE_DENOMINATOR;
      const ec = (c.com * fCom) / RATE_DENOMINATOR;
      c.gen += eg;
      c.com += ec;
      income += c.count === 1 ? eg + ec : (eg + ec) * c.countN;
    }
    this.income += income;
    this.cohortWeeks += cohorts.length;

    // 2. Forks: the root GEN account, then every unit's GEN in creation order. A unit created in
    // this pass has a surplus of 0 and the threshold is positive, so checking it cannot fork it:
    // the new units are only added after the pass (tests compare with a literal per-unit loop).
    let runs: ForkingRun[] | undefined;
    const rootSurplus = this.gen - this.genBaseline;
    if (rootSurplus >= this.fork) {
      this.gen = this.genBaseline;
      runs = [{ first: 0, count: 1, surplus: rootSurplus }];
    }
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i];
      const surplus = c.gen - c.baseline;
      if (surplus >= this.fork) {
        c.gen = c.baseline;
        (runs ??= []).push({ first: c.first, count: c.count, surplus });
      }
    }
    if (runs) this.createUnits(week, runs);

    // 3. Merges: every unit whose total reached the threshold moves it all to the root COM account.
    let merged = false;
    for (let i = 0; i < cohorts.length; i++) {
      const c = cohorts[i];
      const total = c.gen + c.com;
      if (total >= this.merge) {
        this.com += total * c.countN;
        this.merges += c.count;
        this.record({ week, kind: 'merge', unit: c.first, count: c.count, amount: total });
        c.count = 0;
        merged = true;
      }
    }
    if (merged) this.cohorts = this.cohorts.filter((c) => c.count > 0);

    if (week % WEEKS_PER_YEAR === 0) this.closeYear(week / WEEKS_PER_YEAR);
  }

  /**
   * Makes one new unit per forking unit. New units with the same surplus are identical, so they
   * form one cohort and take consecutive numbers: cohorts in the order of their first parent, and
   * within a cohort in the order of the parents (see the numbering note at the top).
   */
  private createUnits(week: number, runs: ForkingRun[]): void {
    const bySurplus = new Map<bigint, ForkingRun[]>();
    for (const run of runs) {
      const group = bySurplus.get(run.surplus);
      if (group) group.push(run);
      else bySurplus.set(run.surplus, [run]);
    }
    for (const [surplus, group] of bySurplus) {
      const first = this.nextUnit;
      for (const run of group) {
        this.record({ week, kind: 'fork', unit: this.nextUnit, count: run.count, parent: run.first, amount: surplus });
        this.nextUnit += run.count;
      }
      const count = this.nextUnit - first;
      this.forks += count;
      const com = surplus / 2n;
      const gen = surplus - com; // the odd atom goes to the new GEN, the first recipient
      this.cohorts.push({ first, count, countN: BigInt(count), gen, baseline: gen, com });
    }
  }

  private record(event: ProjectionEvent): void {
    if (this.events.length < this.limits.maxEvents) this.events.push(event);
    else this.eventsOmitted++;
  }

  private unitsValue(): { value: bigint; units: number } {
    let value = 0n;
    let units = 0;
    for (const c of this.cohorts) {
      value += (c.gen + c.com) * c.countN;
      units += c.count;
    }
    return { value, units };
  }

  private totalValue(): bigint {
    return this.gen + this.rev + this.com + this.unitsValue().value;
  }

  private closeYear(year: number): void {
    const { value, units } = this.unitsValue();
    this.rows.push({
      year,
      genBalance: this.gen,
      revBalance: this.rev,
      comBalance: this.com,
      forkedUnitsValue: value,
      totalValue: this.gen + this.rev + this.com + value,
      income: this.income,
      activeUnits: units,
      forks: this.forks,
      merges: this.merges,
    });
    this.income = 0n;
    this.forks = 0;
    this.merges = 0;
  }
}

export function project(params: ProjectionParams, start: StartState, limits?: ProjectionLimits): ProjectionResult {
  return new ProjectionRun(params, start, limits).run();
}

const Precise = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_UP });

/** Compound annual growth rate, (final / initial)^(1 / years) − 1, as a percent with 4 decimals. */
export function cagrPercent(initial: bigint, final: bigint, years: number): number | null {
  if (initial <= 0n) return null;
  const ratio = new Precise(final.toString()).div(initial.toString());
  return ratio.pow(new Precise(1).div(years)).minus(1).times(100).toDecimalPlaces(4, Decimal.ROUND_HALF_UP).toNumber();
}

/** An amount in atoms as a decimal string of dollars, rounded half up to the cent. */
export function formatAtoms(atoms: bigint): string {
  const negative = atoms < 0n;
  const abs = negative ? -atoms : atoms;
  const cents = (abs + ATOMS_PER_CENT / 2n) / ATOMS_PER_CENT;
  const text = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
  return negative && cents > 0n ? `-${text}` : text;
}
