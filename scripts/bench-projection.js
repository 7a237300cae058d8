'use strict';
/**
 * Projection benchmark: times the pure simulation (docs/domain.md §9) with the domain defaults for
 * 5, 10, 20 and 30 years from 250,000.00, and a large portfolio (10,000,000.00) for 30 years, and
 * the SVG rendering of the 30-year result. No service or database needed. Figures, not assertions.
 *
 *   npm run build && node scripts/bench-projection.js      BENCH_RUNS=3 by default (best and median shown)
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const DIST = path.resolve(__dirname, '..', 'dist', 'src', 'modules', 'projections');
const { ProjectionRun } = require(path.join(DIST, 'domain', 'projection.js'));
const { startFromCapital } = require(path.join(DIST, 'domain', 'projection-input.js'));
const { toOutput } = require(path.join(DIST, 'domain', 'projection-output.js'));
const { renderProjectionSvg } = require(path.join(DIST, 'projection-chart.js'));

const RUNS = Number(process.env.BENCH_RUNS || 3);
const DEFAULTS = {
  bufferBp: 500,
  weeklyRatesPpm: { gen: 15_000, rev: 10_000, com: 5_000 },
  forkThreshold: 5_000_000n,
  mergeThreshold: 50_000_000n,
};
const SCENARIOS = [
  ['defaults, 250,000.00', 25_000_000n, 5],
  ['defaults, 250,000.00', 25_000_000n, 10],
  ['defaults, 250,000.00', 25_000_000n, 20],
  ['defaults, 250,000.00', 25_000_000n, 30],
  ['large, 10,000,000.00', 1_000_000_000n, 30],
];

const rows = [];
let last;
for (const [name, capital, years] of SCENARIOS) {
  const times = [];
  let run;
  for (let i = 0; i < RUNS; i++) {
    run = new ProjectionRun({ years, ...DEFAULTS }, startFromCapital(capital, { gen: 40, rev: 30, com: 30 }));
    const t0 = performance.now();
    run.advance(run.totalWeeks);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const result = run.result();
  const final = result.years[result.years.length - 1];
  last = result;
  rows.push({
    scenario: name,
    years,
    'best ms': Math.round(times[0]),
    'median ms': Math.round(times[Math.floor(times.length / 2)]),
    'active units': final.activeUnits,
    'cohorts at end': run.cohortCount,
    'cohort-weeks': result.cohortWeeks,
    events: result.events.length + result.eventsOmitted,
    'CAGR %': result.cagr,
  });
}
console.table(rows);

const output = toOutput(last);
const t0 = performance.now();
const svg = renderProjectionSvg(output, 'bench');
console.log(`SVG of the last run: ${Math.round(performance.now() - t0)} ms, ${svg.length} bytes`);
console.log(`JSON of the last run: ${JSON.stringify(output).length} bytes (${output.events.length} events listed)`);
