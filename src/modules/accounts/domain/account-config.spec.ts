import { applyConfigPatch, DEFAULT_CONFIG } from './account-config';
import { assertStatusChange } from './status';

describe('applyConfigPatch', () => {
  const gen = DEFAULT_CONFIG.GEN;

  it('keeps the defaults of §1 per type', () => {
    expect([
      DEFAULT_CONFIG.GEN.weeklyTargetPct,
      DEFAULT_CONFIG.REV.weeklyTargetPct,
      DEFAULT_CONFIG.COM.weeklyTargetPct,
    ]).toEqual([1.5, 1.0, 0.5]);
    expect(DEFAULT_CONFIG.GEN.deltaRange).toEqual({ min: 40, max: 50 });
    expect(DEFAULT_CONFIG.REV.deltaRange).toEqual({ min: 30, max: 40 });
    expect(DEFAULT_CONFIG.COM.deltaRange).toEqual({ min: 20, max: 30 });
    expect(DEFAULT_CONFIG.GEN.entryDays).toEqual(['THURSDAY']);
  });

  it.each([
    ['a new target', { weeklyTargetPct: 2 }, { ...gen, weeklyTargetPct: 2 }],
    ['contracts moves LEAPS with it', { contractsPct: 60 }, { ...gen, contractsPct: 60, leapsPct: 40 }],
    ['LEAPS moves contracts with it', { leapsPct: 10 }, { ...gen, contractsPct: 90, leapsPct: 10 }],
    ['both, summing to 100', { contractsPct: 50, leapsPct: 50 }, { ...gen, contractsPct: 50, leapsPct: 50 }],
    ['a new delta range', { deltaRange: { min: 10, max: 70 } }, { ...gen, deltaRange: { min: 10, max: 70 } }],
    [
      'entry days without duplicates',
      { entryDays: ['MONDAY', 'MONDAY', 'FRIDAY'] as const },
      { ...gen, entryDays: ['MONDAY', 'FRIDAY'] },
    ],
  ])('applies %s', (_name, patch, expected) => {
    expect(applyConfigPatch(gen, patch as never)).toEqual(expected);
  });

  it.each([
    ['delta min not below max', { deltaRange: { min: 50, max: 50 } }, 'deltaRange'],
    ['contracts and LEAPS not summing to 100', { contractsPct: 60, leapsPct: 30 }, 'contractsPct'],
    ['no entry day', { entryDays: [] }, 'entryDays'],
  ])('refuses %s', (_name, patch, field) => {
    expect(() => applyConfigPatch(gen, patch as never)).toThrow(
      expect.objectContaining({ extra: { errors: [expect.objectContaining({ field })] } }),
    );
  });
});

describe('assertStatusChange', () => {
  it.each([
    ['ACTIVE', 'SUSPENDED', 100n],
    ['SUSPENDED', 'ACTIVE', 100n],
    ['ACTIVE', 'CLOSED', 0n],
    ['SUSPENDED', 'CLOSED', 0n],
    ['CLOSED', 'CLOSED', 0n],
  ] as const)('allows %s → %s at value %p', (from, to, value) => {
    expect(() => assertStatusChange(from, to, value)).not.toThrow();
  });

  it.each([
    ['ACTIVE', 'CLOSED', 1n, 'ACCOUNT_NOT_EMPTY'],
    ['CLOSED', 'ACTIVE', 0n, 'INVALID_STATUS_CHANGE'],
    ['MERGED', 'ACTIVE', 0n, 'INVALID_STATUS_CHANGE'],
    ['ACTIVE', 'MERGED', 0n, 'INVALID_STATUS_CHANGE'],
  ] as const)('refuses %s → %s at value %p with %s', (from, to, value, code) => {
    expect(() => assertStatusChange(from, to, value)).toThrow(expect.objectContaining({ code }));
  });
});
