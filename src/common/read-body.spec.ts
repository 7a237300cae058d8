import { PassThrough, Readable } from 'node:stream';
import { readBody } from './read-body';

class TooLarge extends Error {}

const options = (limitBytes: number, declaredBytes?: string) => ({
  limitBytes,
  pieceBytes: 4,
  declaredBytes,
  tooLarge: () => new TooLarge(),
});

describe(readBody.name, () => {
  it.each([
    ['in pieces of exactly pieceBytes, the last one shorter', ['ab', 'cdefghi', 'j'], ['abcd', 'efgh', 'ij']],
    ['a body that ends on a piece boundary', ['abcd', 'efgh'], ['abcd', 'efgh']],
    ['nothing from an empty body', [], []],
  ])('hands on %s', async (_case, chunks, pieces) => {
    const seen: string[] = [];
    const bytes = await readBody(Readable.from(chunks.map((c) => Buffer.from(c))), options(100), (piece) => {
      seen.push(piece.toString());
    });
    expect(seen).toEqual(pieces);
    expect(bytes).toBe(chunks.join('').length);
  });

  it('refuses a body declared larger than the limit without reading it', async () => {
    const body = new PassThrough();
    await expect(readBody(body, options(10, '11'), () => undefined)).rejects.toBeInstanceOf(TooLarge);
    expect(body.readableFlowing).toBeNull(); // never started
  });

  it('refuses a body once more than the limit arrived, and drains the rest instead of holding it', async () => {
    const body = new PassThrough();
    const seen: string[] = [];
    const reading = readBody(body, options(10), (piece) => void seen.push(piece.toString()));
    body.write('abcdefgh');
    await new Promise((resolve) => setImmediate(resolve)); // read before the next chunk arrives
    body.write('ijk');
    await expect(reading).rejects.toBeInstanceOf(TooLarge);
    expect(seen).toEqual(['abcd', 'efgh']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(body.readableFlowing).toBe(true);
    expect(body.destroyed).toBe(false);
    body.end('more that nobody keeps');
  });
});
