import { decimalCents, formatCents, MAX_AMOUNT_CENTS, parseAmount } from './amount';

describe('parseAmount', () => {
  it.each([
    ['1250.00', 125000n],
    ['1250', 125000n],
    ['1250.5', 125050n],
    ['0.01', 1n],
    ['0.1', 10n],
    ['1000000000000.00', MAX_AMOUNT_CENTS],
    ['999999999999.99', 99999999999999n],
  ])('accepts %p as %p cents', (input, cents) => {
    expect(parseAmount(input)).toEqual({ ok: true, cents });
  });

  it.each([
    [1250, 'a JSON number'],
    [12.5, 'a fractional JSON number'],
    ['1.234', 'three decimals'],
    ['1e3', 'an exponent'],
    ['1E3', 'an upper-case exponent'],
    ['-5.00', 'a negative amount'],
    ['+5.00', 'a sign'],
    ['0', 'zero'],
    ['0.00', 'zero with decimals'],
    ['', 'an empty string'],
    [' 1.00', 'leading space'],
    ['1.00 ', 'trailing space'],
    ['1,000.00', 'a thousands separator'],
    ['01.00', 'a leading zero'],
    ['1.', 'a trailing point'],
    ['.50', 'no whole part'],
    ['1000000000000.01', 'more than the maximum'],
    ['99999999999999999', 'far more than the maximum'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['0x10', 'hex'],
    [null, 'null'],
    [undefined, 'undefined'],
    [['1.00'], 'an array'],
    [{ amount: '1.00' }, 'an object'],
  ] as [unknown, string][])('refuses %p (%s)', (input) => {
    const result = parseAmount(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });
});

describe('decimalCents', () => {
  it.each([
    ['0', 0n],
    ['0.00', 0n],
    ['12.5', 1250n],
    ['1250.00', 125000n],
    ['9999999999999.99', 999999999999999n],
  ])('reads %p as %p cents, whatever its range', (input, cents) => {
    expect(decimalCents(input)).toBe(cents);
  });

  it.each([['-1.00'], ['+1'], ['1e3'], ['1.234'], ['01'], ['.5'], ['1.'], [' 1'], ['10000000000000']])(
    'refuses %p',
    (input) => {
      expect(decimalCents(input)).toBeUndefined();
    },
  );
});

describe('formatCents', () => {
  it.each([
    [0n, '0.00'],
    [1n, '0.01'],
    [10n, '0.10'],
    [125050n, '1250.50'],
    [-1205n, '-12.05'],
    ['100', '1.00'],
    [MAX_AMOUNT_CENTS, '1000000000000.00'],
  ])('formats %p as %p', (cents, text) => {
    expect(formatCents(cents)).toBe(text);
  });

  it('round-trips every valid amount exactly', () => {
    for (const text of ['0.01', '19.99', '250000.01', '1000000000000.00']) {
      const parsed = parseAmount(text);
      expect(parsed.ok && formatCents(parsed.cents)).toBe(text);
    }
  });
});
