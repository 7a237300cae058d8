import { applyConfigPatch, DEFAULT_CONFIG, parseMoneyAtLeastZero } from './account-config';
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

  it.each(['GEN', 'REV', 'COM'] as const)('gives %s the reinvestment defaults of §1 (100 %%, 100.00)', (type) => {
    expect(DEFAULT_CONFIG[type]).toMatchObject({ reinvestRatePct: 100, minReinvestment: '100.00' });
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
    ['a reinvestment rate', { reinvestRatePct: 62.5 }, { ...gen, reinvestRatePct: 62.5 }],
    ['no reinvestment at all', { reinvestRatePct: 0 }, { ...gen, reinvestRatePct: 0 }],
    ['a minimum, stored with two decimals', { minReinvestment: '250' }, { ...gen, minReinvestment: '250.00' }],
    ['a minimum with one decimal', { minReinvestment: '0.5' }, { ...gen, minReinvestment: '0.50' }],
    ['no minimum', { minReinvestment: '0.00' }, { ...gen, minReinvestment: '0.00' }],
    ['the largest minimum', { minReinvestment: '1000000000000' }, { ...gen, minReinvestment: '1000000000000.00' }],
  ])('applies %s', (_name, patch, expected) => {
    expect(applyConfigPatch(gen, patch as never)).toEqual(expected);
  });

  it.each([
    ['delta min not below max', { deltaRange: { min: 50, max: 50 } }, 'deltaRange'],
    ['contracts and LEAPS not summing to 100', { contractsPct: 60, leapsPct: 30 }, 'contractsPct'],
    ['no entry day', { entryDays: [] }, 'entryDays'],
    ['a negative minimum', { minReinvestment: '-1.00' }, 'minReinvestment'],
    ['a minimum with three decimals', { minReinvestment: '1.005' }, 'minReinvestment'],
    ['a minimum above the largest amount', { minReinvestment: '1000000000000.01' }, 'minReinvestment'],
  ])('refuses %s', (_name, patch, field) => {
    expect(() => applyConfigPatch(gen, patch as never)).toThrow(
      expect.objectContaining({ extra: { errors: [expect.objectContaining({ field })] } }),
    );
  });

  it('fills the reinvestment settings of a configuration stored before they existed', () => {
    const { reinvestRatePct: _rate, minReinvestment: _min, ...old } = DEFAULT_CONFIG.REV;
    expect(applyConfigPatch(old as never, { weeklyTargetPct: 2 })).toEqual({
      ...DEFAULT_CONFIG.REV,
      weeklyTargetPct: 2,
    });
  });
});

describe('parseMoneyAtLeastZero', () => {
  it.each([
    ['0', 0n],
    ['0.00', 0n],
    ['0.01', 1n],
    ['100.00', 10_000n],
    ['1000000000000.00', 100_000_000_000_000n],
  ])('reads %p as %p cents', (text, cents) => {
    expect(parseMoneyAtLeastZero(text)).toBe(cents);
  });

  it.each([[100], ['-0.01'], ['1.234'], ['01.00'], [' 1.00'], ['1e3'], ['1000000000000.01'], [null], ['']])(
    'refuses %p',
    (value) => {
      expect(parseMoneyAtLeastZero(value)).toBeUndefined();
    },
  );
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
