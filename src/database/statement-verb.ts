/** What a statement does, as a bounded metric label. */
export type StatementVerb = 'select' | 'insert' | 'update' | 'delete' | 'call' | 'transaction' | 'other';

const VERBS: Record<string, StatementVerb> = {
  select: 'select',
  insert: 'insert',
  update: 'update',
  delete: 'delete',
  call: 'call',
  begin: 'transaction',
  start: 'transaction',
  commit: 'transaction',
  end: 'transaction',
  rollback: 'transaction',
  abort: 'transaction',
  savepoint: 'transaction',
  release: 'transaction',
};

/** The main statement of a CTE (`WITH … AS (…) INSERT …`) is the first of these outside parentheses. */
const MAIN_VERBS = new Set(['select', 'insert', 'update', 'delete']);

/**
 * The verb of a SQL statement: its first keyword, after blanks and comments; for `WITH`, the verb
 * of the statement the CTEs feed. Runs on every query, so it reads characters instead of
 * splitting or matching the whole text.
 */
export function statementVerb(sql: string): StatementVerb {
  let i = skipBlanks(sql, 0);
  const first = wordAt(sql, i);
  if (first !== 'with') return VERBS[first] ?? 'other';
  i += first.length;
  let depth = 0;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 40 /* ( */) depth++;
    else if (c === 41 /* ) */) depth--;
    else if (c === 39 /* ' */ || c === 34 /* " */) i = closing(sql, i, c);
    else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) i = lineEnd(sql, i);
    else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42) i = commentEnd(sql, i);
    else if (depth === 0 && isLetter(c) && !isWordChar(sql.charCodeAt(i - 1))) {
      const word = wordAt(sql, i);
      if (MAIN_VERBS.has(word)) return word as StatementVerb;
      i += word.length;
      continue;
    }
    i++;
  }
  return 'other';
}

function skipBlanks(sql: string, from: number): number {
  let i = from;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40 /* a parenthesised SELECT */) i++;
    else if (c === 45 && sql.charCodeAt(i + 1) === 45) i = lineEnd(sql, i) + 1;
    else if (c === 47 && sql.charCodeAt(i + 1) === 42) i = commentEnd(sql, i) + 1;
    else break;
  }
  return i;
}

/** The lower-cased word starting at `i` ('' when none). */
function wordAt(sql: string, i: number): string {
  let end = i;
  while (end < sql.length && isWordChar(sql.charCodeAt(end))) end++;
  return sql.slice(i, end).toLowerCase();
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function isWordChar(c: number): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === 95;
}

/** The index of the quote closing the one at `i` (a doubled quote is an escaped one). */
function closing(sql: string, i: number, quote: number): number {
  let j = i + 1;
  while (j < sql.length) {
    if (sql.charCodeAt(j) === quote) {
      if (sql.charCodeAt(j + 1) !== quote) return j;
      j++;
    }
    j++;
  }
  return j;
}

function lineEnd(sql: string, i: number): number {
  const end = sql.indexOf('\n', i);
  return end === -1 ? sql.length : end;
}

function commentEnd(sql: string, i: number): number {
  const end = sql.indexOf('*/', i + 2);
  return end === -1 ? sql.length : end + 1;
}
