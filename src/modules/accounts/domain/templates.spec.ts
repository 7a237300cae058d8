import { resolveAllocation } from './templates';

describe('resolveAllocation', () => {
  it.each([
    [undefined, undefined, { gen: 40, rev: 30, com: 30, bufferBp: 500 }],
    ['moderate', undefined, { gen: 40, rev: 30, com: 30, bufferBp: 500 }],
    ['conservative', undefined, { gen: 30, rev: 50, com: 20, bufferBp: 700 }],
    ['aggressive', undefined, { gen: 50, rev: 20, com: 30, bufferBp: 300 }],
    ['custom', { gen: 34, rev: 33, com: 33, bufferPct: 7.5 }, { gen: 34, rev: 33, com: 33, bufferBp: 750 }],
    [undefined, { gen: 100, rev: 0, com: 0, bufferPct: 0 }, { gen: 100, rev: 0, com: 0, bufferBp: 0 }],
    ['custom', { gen: 20, rev: 40, com: 40, bufferPct: 20 }, { gen: 20, rev: 40, com: 40, bufferBp: 2000 }],
  ] as const)('template %p with %p gives %p', (template, custom, expected) => {
    expect(resolveAllocation(template, custom)).toEqual(expected);
  });

  it.each([
    ['custom', undefined, 'allocation'],
    ['moderate', { gen: 40, rev: 30, com: 30, bufferPct: 5 }, 'allocation'],
    ['custom', { gen: 40, rev: 30, com: 31, bufferPct: 5 }, 'allocation'],
    ['custom', { gen: 40.5, rev: 29.5, com: 30, bufferPct: 5 }, 'allocation.gen'],
    ['custom', { gen: 40, rev: 30, com: 30, bufferPct: 20.01 }, 'allocation.bufferPct'],
    ['custom', { gen: 40, rev: 30, com: 30, bufferPct: 5.125 }, 'allocation.bufferPct'],
    ['custom', { gen: 40, rev: 30, com: 30, bufferPct: -1 }, 'allocation.bufferPct'],
  ] as const)('refuses template %p with %p, naming %p', (template, custom, field) => {
    expect(() => resolveAllocation(template, custom)).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', extra: { errors: [expect.objectContaining({ field })] } }),
    );
  });
});
