import { isUUID } from 'class-validator';
import { uuid7 } from './uuid7';

describe('uuid7', () => {
  it('makes valid, distinct version-7 UUIDs', () => {
    const ids = Array.from({ length: 1000 }, () => uuid7());
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids.slice(0, 20)) {
      expect(isUUID(id, 7)).toBe(true);
      expect(id[14]).toBe('7');
      expect(['8', '9', 'a', 'b']).toContain(id[19]);
    }
  });

  it('orders ids by their millisecond', () => {
    const earlier = uuid7(Date.UTC(2026, 0, 1));
    const later = uuid7(Date.UTC(2026, 0, 1) + 1);
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 13)).toBe('019b76da-a800');
  });
});
