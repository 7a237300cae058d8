import Decimal from 'decimal.js';
import {
  ATOMS_PER_CENT,
  cagrPercent,
  formatAtoms,
  project,
  ProjectionRun,
  type ProjectionParams,
  type StartState,
} from './projection';
import { percentToPpm, serializeProjection, deserializeProjection, startFromCapital } from './projection-input';
import { toCsv, toOutput } from './projection-output';

const c = (dollars: string) => BigInt(new Decimal(dollars).times(100).toFixed(0)); // cents
const a = (dollars: string) => BigInt(new Decimal(dollars).times(new Decimal(10).pow(18)).toFixed(0)); // atoms, exact

const params = (over: Partial<ProjectionParams> = {}): ProjectionParams => ({
  years: 1,
  bufferBp: 0,
  weeklyRatesPpm: { gen: 0, rev: 0, com: 0 },
  forkThreshold: c('20.00'),
  mergeThreshold: c('1000.00'),
  ...over,
});

const start = (over: Partial<StartState> = {}): StartState => ({
  gen: c('100.00'),
  genBaseline: c('100.00'),
  rev: 0n,
  com: 0n,
  units: [],
  ...over,
});

/**
 * A literal, one-unit-at-a-time reading of docs/domain.md §9, kept deliberately naive: the reference the
 * cohort simulation must agree with.
 */
function naive(p: ProjectionParams, s: StartState) {
  const keep = BigInt(10_000 - p.bufferBp);
  const earn = (v: bigint, ppm: number) => (v * keep * BigInt(ppm)) / 10n ** 10n;
  let gen = s.gen * ATOMS_PER_CENT;
  const base = s.genBaseline * ATOMS_PER_CENT;
  let rev = s.rev * ATOMS_PER_CENT;
  let com = s.com * ATOMS_PER_CENT;
  let units = s.units.map((u) => ({
    gen: u.gen * ATOMS_PER_CENT,
    baseline: u.baseline * ATOMS_PER_CENT,
    com: u.com * ATOMS_PER_CENT,
    active: true,
  }));
  const fork = p.forkThreshold * ATOMS_PER_CENT;
  const merge = p.mergeThreshold * ATOMS_PER_CENT;
  const rows: Record<string, bigint | number>[] = [];
  const events: { week: number; kind: string; amount: bigint }[] = [];
  let income = 0n;
  let forks = 0;
  let merges = 0;
  for (let week = 1; week <= p.years * 52; week++) {
    let e = earn(gen, p.weeklyRatesPpm.gen);
    gen += e;
    income += e;
    e = earn(rev, p.weeklyRatesPpm.rev);
    rev += e;
    income += e;
    e = earn(com, p.weeklyRatesPpm.com);
    com += e;
    income += e;
    for (const u of units) {
      const eg = earn(u.gen, p.weeklyRatesPpm.gen);
      const ec = earn(u.com, p.weeklyRatesPpm.com);
      u.gen += eg;
      u.com += ec;
      income += eg + ec;
    }
    const spawn = (surplus: bigint) => {
      const half = surplus / 2n;
      units.push({ gen: surplus - half, baseline: surplus - half, com: half, active: true });
      events.push({ week, kind: 'fork', amount: surplus });
      forks++;
    };
    if (gen - base >= fork) {
      const surplus = gen - base;
      gen = base;
      spawn(surplus);
    }
    // The list grows while it is walked: units created in this pass are checked too.
    for (let i = 0; i < units.length; i++) {
      const u = units[i];
      if (u.gen - u.baseline >= fork) {
        const surplus = u.gen - u.baseline;
        u.gen = u.baseline;
        spawn(surplus);
      }
    }
    for (const u of units) {
      if (u.gen + u.com >= merge) {
        com += u.gen + u.com;
        events.push({ week, kind: 'merge', amount: u.gen + u.com });
        u.active = false;
        merges++;
      }
    }
    units = units.filter((u) => u.active);
    if (week % 52 === 0) {
      const value = units.reduce((sum, u) => sum + u.gen + u.com, 0n);
      rows.push({
        year: week / 52,
        genBalance: gen,
        revBalance: rev,
        comBalance: com,
        forkedUnitsValue: value,
        totalValue: gen + rev + com + value,
        income,
        activeUnits: units.length,
        forks,
        merges,
      });
      income = 0n;
      forks = 0;
      merges = 0;
    }
  }
  return { rows, events };
}

/** Events expanded to one line per unit, without unit numbers (numbering within a week may differ). */
function perUnit(events: { week: number; kind: string; amount: bigint; count?: number }[]) {
  return events.flatMap((e) => Array.from({ length: e.count ?? 1 }, () => `${e.week} ${e.kind} ${e.amount}`)).sort();
}

describe(ProjectionRun.name, () => {
  it('follows the hand computation week by week, and rounds only at output', () => {
    // capital 1000.00 at 40/30/30, buffer 0, weekly rates GEN 5 %, REV 1 %, COM 0 %,
    // fork threshold 20.00, merge threshold 20.50.
    //
    // week | earnings                               | fork pass                       | merge pass
    //   1  | GEN 400→420, REV 300→303               | root surplus 20 → unit 1 10/10  | unit 1 total 20.00 < 20.50
    //   2  | GEN 400→420, REV 303→306.03, u1 G 10.50 | root → unit 2 10/10; u1 0.50 no | unit 1 20.50 → root COM 320.50
    //   3  | GEN 400→420, REV →309.0903, u2 G 10.50 | root → unit 3 10/10             | unit 2 → root COM 341.00
    // … so every week: one fork of 20.00 and (from week 2) one merge of 20.50.
    // Year 1: GEN 400.00; REV 300 × 1.01^52; COM 300 + 51 × 20.50 = 1345.50; unit 52 (20.00) active;
    // income = 52 × 20 + 51 × 0.50 + (REV − 300); forks 52, merges 51.
    const p = params({
      weeklyRatesPpm: { gen: 50_000, rev: 10_000, com: 0 },
      forkThreshold: c('20.00'),
      mergeThreshold: c('20.50'),
    });
    const run = new ProjectionRun(p, startFromCapital(c('1000.00'), { gen: 40, rev: 30, com: 30 }));
    const table = [
      { week: 1, rev: '303', com: '300', cohorts: [[1, '10', '10']] },
      { week: 2, rev: '306.03', com: '320.5', cohorts: [[2, '10', '10']] },
      { week: 3, rev: '309.0903', com: '341', cohorts: [[3, '10', '10']] },
    ];
    for (const expected of table) {
      run.advance(1);
      const s = run.state();
      expect(s.gen).toBe(a('400'));
      expect(s.rev).toBe(a(expected.rev));
      expect(s.com).toBe(a(expected.com));
      expect(s.cohorts.map((u) => [u.first, u.gen, u.com])).toEqual(
        expected.cohorts.map(([n, g, m]) => [n, a(g as string), a(m as string)]),
      );
    }
    run.advance(52);
    const out = toOutput(run.result());
    const rev = new Decimal(300).times(new Decimal(1.01).pow(52));
    expect(out.years).toEqual([
      {
        year: 1,
        genBalance: '400.00',
        revBalance: rev.toFixed(2),
        comBalance: '1345.50',
        forkedUnitsValue: '20.00',
        totalValue: rev.plus(1765.5).toFixed(2),
        income: rev
          .minus(300)
          .plus(1040 + 25.5)
          .toFixed(2),
        activeUnits: 1,
        forks: 52,
        merges: 51,
      },
    ]);
    expect(out.events.slice(0, 3)).toEqual([
      { week: 1, kind: 'fork', unit: 1, count: 1, parent: 0, amount: '20.00' },
      { week: 2, kind: 'fork', unit: 2, count: 1, parent: 0, amount: '20.00' },
      { week: 2, kind: 'merge', unit: 1, count: 1, amount: '20.50' },
    ]);
    expect(out.events).toHaveLength(52 + 51);
  });

  it('keeps fractions of a cent until the output', () => {
    // REV 300.00 at 0.0001 %/week earns 0.0003 a week: rounded weekly it would never move.
    const out = toOutput(project(params({ weeklyRatesPpm: { gen: 0, rev: 1, com: 0 } }), start({ rev: c('300.00') })));
    expect(out.years[0].revBalance).toBe('300.02'); // 300 × 1.000001^52 = 300.0156…
    expect(out.years[0].income).toBe('0.02');
  });

  it('checks the root GEN first, then units in creation order', () => {
    const out = toOutput(
      project(
        params({ years: 1 }),
        start({
          gen: c('150.00'),
          genBaseline: c('100.00'),
          units: [
            { gen: c('130.00'), baseline: c('100.00'), com: 0n },
            { gen: c('100.00'), baseline: c('100.00'), com: 0n },
          ],
        }),
      ),
    );
    expect(out.events).toEqual([
      { week: 1, kind: 'fork', unit: 3, count: 1, parent: 0, amount: '50.00' },
      { week: 1, kind: 'fork', unit: 4, count: 1, parent: 1, amount: '30.00' },
    ]);
    expect(out.years[0]).toMatchObject({ genBalance: '100.00', activeUnits: 4, forks: 2, totalValue: '380.00' });
  });

  it('merges a unit into the root COM account and keeps the units forked from it', () => {
    const out = toOutput(
      project(
        params({ mergeThreshold: c('1000.00') }),
        start({
          com: c('5.00'),
          units: [
            { gen: c('100.00'), baseline: c('100.00'), com: c('900.00') },
            { gen: c('10.00'), baseline: c('10.00'), com: 0n },
          ],
        }),
      ),
    );
    expect(out.events).toEqual([{ week: 1, kind: 'merge', unit: 1, count: 1, amount: '1000.00' }]);
    expect(out.years[0]).toMatchObject({ comBalance: '1005.00', forkedUnitsValue: '10.00', activeUnits: 1, merges: 1 });
  });

  it('gives the odd atom of a fork to the new GEN account', () => {
    // 1000.00 at 1.2345 %/week less a 0.01 % buffer reaches a 50.00 surplus in week 4, an odd number of atoms.
    const run = new ProjectionRun(
      params({ bufferBp: 1, weeklyRatesPpm: { gen: 12_345, rev: 0, com: 0 }, forkThreshold: c('50.00') }),
      start({ gen: c('1000.00'), genBaseline: c('1000.00') }),
    );
    run.advance(3);
    expect(run.state().cohorts).toEqual([]);
    const surplus = run.state().gen; // before week 4's earnings
    run.advance(1);
    const [unit] = run.state().cohorts;
    expect(unit.gen - unit.com).toBe(1n);
    expect(unit.baseline).toBe(unit.gen);
    expect(unit.gen + unit.com).toBeGreaterThan(surplus - a('1000.00'));
  });

  it.each([
    [
      'defaults scaled down, 10 years',
      params({
        years: 10,
        bufferBp: 500,
        weeklyRatesPpm: { gen: 15_000, rev: 10_000, com: 5_000 },
        forkThreshold: c('50.00'),
        mergeThreshold: c('500.00'),
      }),
      c('250.00'),
    ],
    [
      'fast growth, 4 years',
      params({
        years: 4,
        bufferBp: 300,
        weeklyRatesPpm: { gen: 40_000, rev: 5_000, com: 20_000 },
        forkThreshold: c('30.00'),
        mergeThreshold: c('120.00'),
      }),
      c('100.00'),
    ],
    [
      'odd cents, no buffer, 5 years',
      params({
        years: 5,
        bufferBp: 0,
        weeklyRatesPpm: { gen: 25_000, rev: 12_345, com: 7_777 },
        forkThreshold: c('13.37'),
        mergeThreshold: c('77.01'),
      }),
      c('99.99'),
    ],
  ])('a cohort of n units behaves like n single units (%s)', (_name, p, capital) => {
    const s = startFromCapital(capital, { gen: 40, rev: 30, com: 30 });
    const cohorts = project(p, s, { maxEvents: 1_000_000 });
    const reference = naive(p, s);
    expect(cohorts.years.map((r) => ({ ...r }))).toEqual(reference.rows);
    expect(perUnit(cohorts.events)).toEqual(perUnit(reference.events));
    const unitWeeks = reference.rows.reduce((n, r) => n + Number(r.activeUnits), 0);
    expect(unitWeeks).toBeGreaterThan(0);
    if (_name.startsWith('defaults')) {
      // Cohorts really formed: some events moved several identical units at once.
      expect(cohorts.events.some((e) => e.count > 1)).toBe(true);
      expect(cohorts.years.at(-1)!.activeUnits).toBeGreaterThan(100);
    }
  });

  it('matches the per-unit reference from a portfolio with units', () => {
    const p = params({
      years: 3,
      bufferBp: 500,
      weeklyRatesPpm: { gen: 20_000, rev: 10_000, com: 10_000 },
      forkThreshold: c('40.00'),
      mergeThreshold: c('400.00'),
    });
    const s = start({
      gen: c('180.00'),
      genBaseline: c('150.00'),
      rev: c('90.00'),
      com: c('70.00'),
      units: [
        { gen: c('60.00'), baseline: c('45.00'), com: c('300.00') },
        { gen: c('20.00'), baseline: c('25.00'), com: c('20.00') },
      ],
    });
    const cohorts = project(p, s, { maxEvents: 1_000_000 });
    const reference = naive(p, s);
    expect(cohorts.years).toEqual(reference.rows);
    expect(perUnit(cohorts.events)).toEqual(perUnit(reference.events));
  });

  it('lists at most maxEvents events and counts the rest', () => {
    const p = params({ weeklyRatesPpm: { gen: 50_000, rev: 0, com: 0 }, mergeThreshold: c('20.50') });
    const result = project(p, startFromCapital(c('1000.00'), { gen: 40, rev: 30, com: 30 }), { maxEvents: 10 });
    expect(result.events).toHaveLength(10);
    expect(result.eventsOmitted).toBe(52 + 51 - 10);
  });

  it('survives a JSON round trip of its inputs (the task payload)', () => {
    const p = params({ years: 2, weeklyRatesPpm: { gen: 15_000, rev: 10_000, com: 5_000 } });
    const s = start({ units: [{ gen: 1n, baseline: 2n, com: 3n }] });
    const back = deserializeProjection(JSON.parse(JSON.stringify(serializeProjection(p, s))));
    expect(back).toEqual({ params: p, start: s });
  });
});

describe(cagrPercent.name, () => {
  it.each([
    [100n, 121n, 2, 10],
    [100n, 100n, 5, 0],
    [100n, 50n, 1, -50],
    [3n, 24n, 3, 100],
    [1000n, 1331n, 3, 10],
    [7n, 9n, 4, 6.4844], // (9/7)^(1/4) − 1 = 0.0648437…
  ])('%p → %p over %p years is %p %', (initial, final, years, expected) => {
    expect(cagrPercent(initial, final, years)).toBe(expected);
  });

  it('is null from a zero start', () => {
    expect(cagrPercent(0n, 10n, 3)).toBeNull();
  });

  it('is reported for a whole projection', () => {
    const result = project(
      params({ years: 2, weeklyRatesPpm: { gen: 0, rev: 10_000, com: 0 } }),
      start({ gen: 0n, genBaseline: 0n, rev: c('100.00') }),
    );
    const final = result.years[1].totalValue;
    expect(result.cagr).toBe(cagrPercent(c('100.00') * ATOMS_PER_CENT, final, 2));
    expect(result.cagr).toBeCloseTo((1.01 ** 52 - 1) * 100, 3);
  });
});

describe(formatAtoms.name, () => {
  it.each([
    [0n, '0.00'],
    [ATOMS_PER_CENT / 2n - 1n, '0.00'],
    [ATOMS_PER_CENT / 2n, '0.01'],
    [a('1234.565'), '1234.57'],
    [a('1234.5649999'), '1234.56'],
    [-a('12.345'), '-12.35'],
    [-1n, '0.00'],
  ])('%p atoms → %p', (atoms, text) => {
    expect(formatAtoms(atoms)).toBe(text);
  });
});

describe('projection inputs and outputs', () => {
  it.each([
    [1.5, 15_000],
    [0, 0],
    [5, 50_000],
    [0.0001, 1],
    [1.2345, 12_345],
    [0.00001, undefined],
    [-1, undefined],
    [Number.NaN, undefined],
  ])('percentToPpm(%p) = %p', (pct, ppm) => {
    expect(percentToPpm(pct)).toBe(ppm);
  });

  it('splits a capital like a portfolio opening, the remainder cent to GEN', () => {
    expect(startFromCapital(25_000_001n, { gen: 40, rev: 30, com: 30 })).toEqual({
      gen: 10_000_001n,
      genBaseline: 10_000_001n,
      rev: 7_500_000n,
      com: 7_500_000n,
      units: [],
    });
  });

  it('writes the years table as CSV', () => {
    const csv = toCsv(toOutput(project(params({ years: 2 }), start())));
    expect(csv.split('\r\n')).toEqual([
      'year,genBalance,revBalance,comBalance,forkedUnitsValue,totalValue,income,activeUnits,forks,merges',
      '1,100.00,0.00,0.00,0.00,100.00,0.00,0,0,0',
      '2,100.00,0.00,0.00,0.00,100.00,0.00,0,0,0',
      '',
    ]);
  });
});
