import { decimalPlaces } from './validators';

describe(decimalPlaces.name, () => {
  it.each<[number, number]>([
    [5, 0],
    [4.36, 2],
    [0.1 + 0.2, 17],
    [1e-7, 7],
    [1.5e-7, 8],
    [1e21, 0],
    [-2.5, 1],
    [123456789.123456, 6],
  ])('%p has %p decimals', (value, places) => {
    expect(decimalPlaces(value)).toBe(places);
  });
});
