import { countLines, lineKey, splitImport } from './import-lines';

describe('splitImport', () => {
  it('reads CSV with a header, empty cells absent', () => {
    const csv = 'kind,accountId,amount,memo\nDEPOSIT,a,10.00,\nPREMIUM,b,1.50,weekly\n\n';
    expect(splitImport('csv', csv)).toEqual([
      { line: 1, fields: { kind: 'DEPOSIT', accountId: 'a', amount: '10.00' } },
      { line: 2, fields: { kind: 'PREMIUM', accountId: 'b', amount: '1.50', memo: 'weekly' } },
    ]);
  });

  it('reads JSON lines, skipping blank lines and reporting bad ones', () => {
    const jsonl = '{"kind":"FEE","amount":"1.00"}\n\nnot json\n[1,2]\n{"kind":"DEPOSIT"}';
    expect(splitImport('jsonl', jsonl)).toEqual([
      { line: 1, fields: { kind: 'FEE', amount: '1.00' } },
      { line: 2, error: 'not valid JSON' },
      { line: 3, error: 'a line must be a JSON object' },
      { line: 4, fields: { kind: 'DEPOSIT' } },
    ]);
  });

  it.each([
    ['csv', 'kind,amount\nA,1\nB,2\n', 2],
    ['csv', 'kind,amount\n', 0],
    ['jsonl', '{}\n\n{}\n{}', 3],
  ] as const)('counts the data lines of %s %p as %p', (format, content, count) => {
    expect(countLines(format, content)).toBe(count);
  });
});

describe('lineKey', () => {
  const fields = { kind: 'DEPOSIT', accountId: 'a', amount: '10.00' };

  it('is the explicit key when there is one', () => {
    expect(lineKey(3, { ...fields, key: 'bank-ref-77' })).toBe('key:bank-ref-77');
  });

  it('is the same for the same line of the same file, and differs otherwise', () => {
    expect(lineKey(3, fields)).toBe(lineKey(3, { ...fields }));
    expect(lineKey(3, fields)).not.toBe(lineKey(4, fields));
    expect(lineKey(3, fields)).not.toBe(lineKey(3, { ...fields, amount: '10.01' }));
  });
});
