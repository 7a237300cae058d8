import { parseQuarter, quarterOf } from './quarter';

const NY = 'America/New_York';

describe('quarterOf', () => {
  it.each([
    // instant, zone, key, start, end
    ['2026-12-31T22:30:00Z', NY, '2026-Q4', '2026-10-01T04:00:00.000Z', '2027-01-01T05:00:00.000Z'],
    // 17:30 on 31 December in New York is already 1 January in UTC: still Q4 there.
    ['2027-01-01T03:30:00Z', NY, '2026-Q4', '2026-10-01T04:00:00.000Z', '2027-01-01T05:00:00.000Z'],
    ['2027-01-01T05:00:00Z', NY, '2027-Q1', '2027-01-01T05:00:00.000Z', '2027-04-01T04:00:00.000Z'],
    ['2027-01-01T03:30:00Z', 'UTC', '2027-Q1', '2027-01-01T00:00:00.000Z', '2027-04-01T00:00:00.000Z'],
    ['2026-03-31T21:30:00Z', NY, '2026-Q1', '2026-01-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ['2026-06-30T21:30:00Z', NY, '2026-Q2', '2026-04-01T04:00:00.000Z', '2026-07-01T04:00:00.000Z'],
    ['2026-09-30T21:30:00Z', NY, '2026-Q3', '2026-07-01T04:00:00.000Z', '2026-10-01T04:00:00.000Z'],
    ['2026-04-01T03:59:59Z', NY, '2026-Q1', '2026-01-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ['2026-04-01T04:00:00Z', NY, '2026-Q2', '2026-04-01T04:00:00.000Z', '2026-07-01T04:00:00.000Z'],
    ['2026-07-01T00:00:00Z', 'Asia/Tokyo', '2026-Q3', '2026-06-30T15:00:00.000Z', '2026-09-30T15:00:00.000Z'],
    ['2026-12-31T23:59:59Z', 'Asia/Kolkata', '2027-Q1', '2026-12-31T18:30:00.000Z', '2027-03-31T18:30:00.000Z'],
  ])('places %s (%s) in %s', (instant, zone, key, start, end) => {
    const q = quarterOf(new Date(instant), zone);
    expect({ key: q.key, start: q.start.toISOString(), end: q.end.toISOString() }).toEqual({ key, start, end });
  });

  it('makes consecutive quarters meet with no gap, across daylight-saving changes', () => {
    let q = quarterOf(new Date('2024-01-15T12:00:00Z'), NY);
    for (let i = 0; i < 12; i++) {
      const next = quarterOf(q.end, NY);
      expect(next.start.getTime()).toBe(q.end.getTime());
      expect(quarterOf(new Date(q.end.getTime() - 1), NY).key).toBe(q.key);
      q = next;
    }
    expect(q.key).toBe('2027-Q1');
  });
});

describe('parseQuarter', () => {
  it.each([
    ['2026-Q4', 2026, 4],
    ['2027-Q1', 2027, 1],
  ])('reads %s', (key, year, quarter) => {
    const q = parseQuarter(key, NY)!;
    expect([q.key, q.year, q.quarter]).toEqual([key, year, quarter]);
    expect(q).toEqual(quarterOf(q.start, NY));
  });

  it.each([['2026-Q5'], ['2026-Q0'], ['2026Q4'], ['26-Q4'], ['2026-q4'], [' 2026-Q4'], ['1969-Q4'], [2026], [null]])(
    'refuses %p',
    (key) => {
      expect(parseQuarter(key, NY)).toBeUndefined();
    },
  );
});
