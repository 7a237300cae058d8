/** The calendar periods portfolio income is reported by; all in UTC. */
export const INCOME_PERIODS = ['week', 'month', 'quarter', 'year'] as const;
export type IncomePeriod = (typeof INCOME_PERIODS)[number];

/**
 * A readable key for the period starting at `start` (as PostgreSQL's date_trunc gives it in UTC):
 * week → its Monday '2026-03-02', month → '2026-03', quarter → '2026-Q1', year → '2026'.
 */
export function periodLabel(period: IncomePeriod, start: Date): string {
  const iso = start.toISOString();
  switch (period) {
    case 'week':
      return iso.slice(0, 10);
    case 'month':
      return iso.slice(0, 7);
    case 'quarter':
      return `${iso.slice(0, 4)}-Q${Math.floor(start.getUTCMonth() / 3) + 1}`;
    case 'year':
      return iso.slice(0, 4);
  }
}
