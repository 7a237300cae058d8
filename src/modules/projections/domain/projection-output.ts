import { formatAtoms, type ProjectionResult } from './projection';

/** The projection as the API shows it: amounts as decimal strings rounded to the cent. */
export interface ProjectionOutput {
  years: {
    year: number;
    genBalance: string;
    revBalance: string;
    comBalance: string;
    forkedUnitsValue: string;
    totalValue: string;
    income: string;
    activeUnits: number;
    forks: number;
    merges: number;
  }[];
  events: { week: number; kind: 'fork' | 'merge'; unit: number; count: number; parent?: number; amount: string }[];
  eventsOmitted: number;
  initialValue: string;
  cagr: number | null;
}

export function toOutput(result: ProjectionResult): ProjectionOutput {
  return {
    years: result.years.map((r) => ({
      year: r.year,
      genBalance: formatAtoms(r.genBalance),
      revBalance: formatAtoms(r.revBalance),
      comBalance: formatAtoms(r.comBalance),
      forkedUnitsValue: formatAtoms(r.forkedUnitsValue),
      totalValue: formatAtoms(r.totalValue),
      income: formatAtoms(r.income),
      activeUnits: r.activeUnits,
      forks: r.forks,
      merges: r.merges,
    })),
    events: result.events.map((e) => ({ ...e, amount: formatAtoms(e.amount) })),
    eventsOmitted: result.eventsOmitted,
    initialValue: formatAtoms(result.initialValue),
    cagr: result.cagr,
  };
}

export const CSV_COLUMNS = [
  'year',
  'genBalance',
  'revBalance',
  'comBalance',
  'forkedUnitsValue',
  'totalValue',
  'income',
  'activeUnits',
  'forks',
  'merges',
] as const;

/** The years table as CSV (RFC 4180; every value is a number or a decimal string, nothing to quote). */
export function toCsv(output: ProjectionOutput): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of output.years) lines.push(CSV_COLUMNS.map((c) => String(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
