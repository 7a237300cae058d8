/** A calendar quarter in a time zone: '2026-Q4' runs from 1 October 00:00 to 1 January 00:00 local time. */
export interface Quarter {
  key: string;
  year: number;
  quarter: 1 | 2 | 3 | 4;
  /** The first instant of the quarter (local midnight of its first day). */
  start: Date;
  /** The first instant of the next quarter: the quarter is [start, end). */
  end: Date;
}

const QUARTER_KEY = /^(\d{4})-Q([1-4])$/;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The quarter an instant falls in, as the calendar of `timeZone` (an IANA name) sees it. */
export function quarterOf(instant: Date, timeZone: string): Quarter {
  const { year, month } = wallClock(instant, timeZone);
  return quarterFrom(year, (Math.floor((month - 1) / 3) + 1) as Quarter['quarter'], timeZone);
}

/** Reads a quarter key such as '2026-Q4'; undefined when it is not one. */
export function parseQuarter(key: unknown, timeZone: string): Quarter | undefined {
  if (typeof key !== 'string') return undefined;
  const match = QUARTER_KEY.exec(key);
  if (!match) return undefined;
  const year = Number(match[1]);
  if (year < 1970) return undefined;
  return quarterFrom(year, Number(match[2]) as Quarter['quarter'], timeZone);
}

function quarterFrom(year: number, quarter: Quarter['quarter'], timeZone: string): Quarter {
  const firstMonth = (quarter - 1) * 3 + 1;
  return {
    key: `${year}-Q${quarter}`,
    year,
    quarter,
    start: localMidnight(year, firstMonth, timeZone),
    end: quarter === 4 ? localMidnight(year + 1, 1, timeZone) : localMidnight(year, firstMonth + 3, timeZone),
  };
}

/**
 * The instant of 00:00 on the first day of `month` (1–12) in `timeZone`. The offset is read at a
 * first guess and again at the result, which settles it across a daylight-saving change. (Where a
 * zone skips midnight itself, the result is the first instant after the gap.)
 */
function localMidnight(year: number, month: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, 1);
  let instant = wall - offsetMs(new Date(wall), timeZone);
  instant = wall - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetMs(instant: Date, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

function wallClock(instant: Date, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}
