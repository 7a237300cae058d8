import { Readable } from 'node:stream';
import { nestedDeeperThan } from './validation';

const arrays = (depth: number) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown;
const objects = (depth: number) => JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) as unknown;

describe(nestedDeeperThan.name, () => {
  it.each<[string, unknown, number, boolean]>([
    ['a string', 'text', 0, false],
    ['null', null, 0, false],
    ['an empty object at its limit', {}, 1, false],
    ['an empty object past a limit of 0', {}, 0, true],
    ['a batch (body, items, item) within 3', { items: [{ amount: '1.00' }] }, 3, false],
    ['a batch past 2', { items: [{ amount: '1.00' }] }, 2, true],
    ['32 nested arrays within 32', arrays(32), 32, false],
    ['33 nested arrays past 32', arrays(33), 32, true],
    ['33 nested objects past 32', objects(33), 32, true],
    ['a deep value beside shallow ones', { a: 1, b: [2, 3], c: arrays(40) }, 32, true],
    ['100,000 nested arrays (no recursion)', arrays(100_000), 32, true],
    ['an unread body stream (not parsed input)', Readable.from(['a', 'b']), 1, false],
  ])('%s', (_, value, limit, deeper) => {
    expect(nestedDeeperThan(value, limit)).toBe(deeper);
  });
});
