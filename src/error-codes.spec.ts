import { HttpException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { toProblem } from './common/problem.filter';
import { sqlFunctionPath } from './database/functions/sql-function';
import { ledgerRefusal } from './modules/transactions/transactions.errors';

const ROOT = join(__dirname, '..');

/** The source files of the service and its libraries, specs left out. */
function sources(): { file: string; text: string }[] {
  return ['src', 'libs'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts'))
      .map((e) => join(e.parentPath, e.name))
      .map((path) => ({ file: relative(ROOT, path), text: readFileSync(path, 'utf8') })),
  );
}

/** Where AppErrors are built: each module's *.errors.ts, and libs/errors for the generic ones. */
const FACTORY_FILE = /(\.errors\.ts|^libs\/errors\/src\/.*\.ts)$/;

/**
 * The AppErrors built with a code that is not written out, each with where its codes come from:
 * ledger_post's refusals (read from its SQL below), and a batch item's refusal (an existing code).
 */
const COMPUTED_CODES = [
  'src/modules/transactions/transactions.errors.ts: code',
  'src/modules/transactions/transactions.errors.ts: error.code',
];

const CONSTRUCTION = /new AppError\(\s*([^,]+),\s*([^,]+),/g;
const LITERAL_CODE = /^'([A-Z][A-Z0-9_]*)'$/;

function factoryCodes() {
  const codes = new Set<string>();
  const computed: string[] = [];
  const outside: string[] = [];
  for (const { file, text } of sources()) {
    for (const [, , code] of text.matchAll(CONSTRUCTION)) {
      if (!FACTORY_FILE.test(file)) outside.push(file);
      const literal = LITERAL_CODE.exec(code.trim());
      if (literal) codes.add(literal[1]);
      else computed.push(`${file}: ${code.trim()}`);
    }
  }
  return { codes, computed, outside };
}

/** The codes ledger_post raises (its only upper-case string literals). */
function ledgerPostCodes(): string[] {
  const sql = readFileSync(sqlFunctionPath('ledger_post'), 'utf8');
  return [...new Set([...sql.matchAll(/'([A-Z][A-Z_]+)'/g)].map((m) => m[1]))];
}

/** The codes the problem filter gives errors that are not AppErrors (framework, HTTP parser, bugs). */
function frameworkCodes(): string[] {
  const errors: unknown[] = [new ThrottlerException(), new Error('a bug')];
  for (let status = 400; status < 600; status++) errors.push(new HttpException('refused', status));
  return errors.map((error) => toProblem(error, 'c').code);
}

/** The backquoted codes of the README's error table (configuration variables named there aside). */
function readmeCodes(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => /^\| Status \| Codes \|$/.test(line));
  expect(start).toBeGreaterThan(0);
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  const table = lines.slice(start + 2, end).map((row) => row.split('|')[2] ?? '');
  // The first column of the configuration table names the variables.
  const variables = new Set(
    lines.flatMap((row) =>
      [...(/^\| (`.*?) \|/.exec(row)?.[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
    ),
  );
  return table
    .flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]))
    .filter((c) => !variables.has(c));
}

describe('error codes', () => {
  it('are built by named factories in *.errors.ts (or libs/errors), never inline', () => {
    const { computed, outside } = factoryCodes();
    expect(outside).toEqual([]);
    expect(computed.sort()).toEqual(COMPUTED_CODES);
  });

  it('of ledger_post each map to a problem with that code', () => {
    const codes = ledgerPostCodes();
    expect(codes.length).toBeGreaterThanOrEqual(5);
    for (const code of codes) expect(ledgerRefusal(code, '{}')?.code).toBe(code);
  });

  it('are all in the README error table, which lists no other', () => {
    const source = new Set([...factoryCodes().codes, ...ledgerPostCodes(), ...frameworkCodes()]);
    const readme = new Set(readmeCodes());
    expect({
      missingFromReadme: [...source].filter((c) => !readme.has(c)).sort(),
      notInSource: [...readme].filter((c) => !source.has(c)).sort(),
    }).toEqual({ missingFromReadme: [], notInSource: [] });
  });
});
