import { ImportReader, lineKey, MAX_LINE_BYTES, RawLine, RecordSplitter, type ImportFormat } from './import-lines';

/** Feeds `content` to a reader in pieces of `size` bytes; returns its numbered lines and their parse. */
function read(format: ImportFormat, content: string | Buffer, size = 3): RawLine[] {
  const reader = new ImportReader(format);
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const records = [];
  for (let at = 0; at < bytes.length; at += size) records.push(...reader.push(bytes.subarray(at, at + size)));
  records.push(...reader.end());
  return reader.parse(records);
}

describe(RecordSplitter.name, () => {
  const split = (quoteAware: boolean, pieces: string[]) => {
    const splitter = new RecordSplitter(quoteAware);
    const records = pieces.flatMap((p) => splitter.push(Buffer.from(p)));
    return [...records, ...splitter.end()].map((r) => r?.toString() ?? null);
  };

  it.each([
    ['lines, CRLF and a last line without newline', false, ['a\r\nb', 'c\nd'], ['a', 'bc', 'd']],
    ['an empty piece and an empty line', false, ['a\n', '', '\nb\n'], ['a', '', 'b']],
    ['a newline inside quotes, in CSV', true, ['x,"1\n2"', ',y\nz'], ['x,"1\n2",y', 'z']],
    ['an escaped quote split across pieces', true, ['"a""', '"\n"', 'b"\n'], ['"a"""', '"b"']],
    ['quotes are plain bytes in JSON lines', false, ['{"a":"\n', '"}'], ['{"a":"', '"}']],
    ['an unclosed quote: the rest is one record', true, ['a\n"b\nc\n', 'd'], ['a', '"b\nc\nd']],
    ['a quote inside a field is a plain byte', true, ['a,b"c\n', 'd,"e\n"\n'], ['a,b"c', 'd,"e\n"']],
    ['a quoted field after spaces, ending a line', true, ['a, "b', '\nc"\nd'], ['a, "b\nc"', 'd']],
    ['an escaped quote at the end of a piece', true, ['"a"', '"b"\nc'], ['"a""b"', 'c']],
    ['a closing quote at the end of a piece', true, ['"a"', '\nb'], ['"a"', 'b']],
  ])('splits %s', (_case, quoteAware, pieces, records) => {
    expect(split(quoteAware, pieces)).toEqual(records);
  });

  it('drops a record longer than MAX_LINE_BYTES, keeping the next ones', () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 1);
    expect(split(false, [long.slice(0, 10), `${long.slice(10)}\nok`])).toEqual([null, 'ok']);
    expect(split(true, [`"${long}`])).toEqual([null]);
  });
});

describe(ImportReader.name, () => {
  it.each([1, 3, 1024])(
    'reads CSV with a header, blank lines skipped and empty cells absent (pieces of %p)',
    (size) => {
      const csv = 'kind,accountId,amount,memo\r\n\r\nDEPOSIT,a,10.00,\r\nPREMIUM, b ,1.50,"weekly, ""A"""\n  \n';
      expect(read('csv', csv, size)).toEqual([
        { line: 1, fields: { kind: 'DEPOSIT', accountId: 'a', amount: '10.00' } },
        { line: 2, fields: { kind: 'PREMIUM', accountId: 'b', amount: '1.50', memo: 'weekly, "A"' } },
      ]);
    },
  );

  it('reports a malformed CSV line and reads the others', () => {
    const csv = 'kind,amount\nFEE,1.00\nFEE,1"0\nFEE,2.00';
    const lines = read('csv', csv);
    expect(lines[0]).toEqual({ line: 1, fields: { kind: 'FEE', amount: '1.00' } });
    expect(lines[1]).toEqual({ line: 2, error: expect.stringMatching(/^not valid CSV: /) });
    expect(lines[2]).toEqual({ line: 3, fields: { kind: 'FEE', amount: '2.00' } });
  });

  it('refuses every line of a CSV file whose header is not valid CSV', () => {
    expect(read('csv', 'kind,"amount\nFEE,1.00')).toEqual([]); // the header swallows the file
    expect(read('csv', 'kind,"am"ount\nFEE,1.00')).toEqual([
      { line: 1, error: expect.stringMatching(/^the header line is not valid CSV: /) },
    ]);
  });

  it('reads JSON lines, skipping blank lines and reporting bad ones', () => {
    const jsonl = '{"kind":"FEE","amount":"1.00"}\n\nnot json\n[1,2]\n{"memo":"é"}';
    expect(read('jsonl', jsonl)).toEqual([
      { line: 1, fields: { kind: 'FEE', amount: '1.00' } },
      { line: 2, error: 'not valid JSON' },
      { line: 3, error: 'a line must be a JSON object' },
      { line: 4, fields: { memo: 'é' } },
    ]);
  });

  it('reads a multi-byte character split between pieces', () => {
    expect(read('jsonl', Buffer.from('{"memo":"€uro"}'), 10)).toEqual([{ line: 1, fields: { memo: '€uro' } }]);
  });

  it('refuses a line longer than MAX_LINE_BYTES without reading it', () => {
    const long = JSON.stringify({ memo: 'x'.repeat(MAX_LINE_BYTES) });
    expect(read('jsonl', `${long}\n{}`, 4096)).toEqual([
      { line: 1, error: `a line may hold at most ${MAX_LINE_BYTES} bytes` },
      { line: 2, fields: {} },
    ]);
  });

  it.each([
    ['csv', 'kind,amount\nA,1\n\nB,2\n', 2],
    ['csv', 'kind,amount\n', 0],
    ['csv', '', 0],
    ['jsonl', '{}\n\n{}\n \n{}', 3],
    ['jsonl', '\n\n', 0],
  ] as const)('counts the data lines of %s %p as %p, without parsing them', (format, content, count) => {
    const reader = new ImportReader(format);
    expect(reader.push(Buffer.from(content)).length + reader.end().length).toBe(count);
  });
});

describe('lineKey', () => {
  it('is the explicit key when there is one, and nothing otherwise', () => {
    expect(lineKey({ kind: 'DEPOSIT', key: 'bank-ref-77' })).toBe('key:bank-ref-77');
    expect(lineKey({ kind: 'DEPOSIT', amount: '10.00' })).toBeUndefined();
  });
});
