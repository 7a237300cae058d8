import { parse } from 'csv-parse/sync';

export type ImportFormat = 'csv' | 'jsonl';

/** The content types an import may be sent as, and the format each names. */
export const IMPORT_CONTENT_TYPES: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
};

/** One line of an import: its number (1-based, data lines), and either its fields or why not. */
export interface RawLine {
  line: number;
  fields?: Record<string, unknown>;
  error?: string;
}

/** The columns a CSV import may have (a header line names them); JSON lines use the same fields. */
export const IMPORT_COLUMNS = ['kind', 'accountId', 'toAccountId', 'amount', 'effectiveAt', 'memo', 'key'] as const;

/** A valid line is well under 2 KB (a memo holds 500 characters): longer ones are refused unread. */
export const MAX_LINE_BYTES = 16 * 1024;

/** A data line as stored: its number and its bytes (null: longer than MAX_LINE_BYTES, dropped). */
export interface LineRecord {
  line: number;
  bytes: Buffer | null;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const TOO_LONG = `a line may hold at most ${MAX_LINE_BYTES} bytes`;
const CSV_OPTIONS = { trim: true, relax_column_count: true } as const;

/**
 * Splits a file into records as its pieces arrive, holding only the unfinished record. A record
 * ends at a newline (a CR before it is dropped); in CSV, not at one inside a quoted field. As in
 * csv-parse, a quote opens a field only at its start (after a comma or the line's start, spaces
 * aside), and "" inside one is a quote; any other quote is a plain byte that the parser refuses.
 * Splitting bytes is safe in UTF-8: no byte of a multi-byte character is a newline, quote or comma.
 * A record longer than MAX_LINE_BYTES comes out as null, its bytes dropped.
 */
export class RecordSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** The last byte held that is not a space or tab (undefined: none yet in this record). */
  private carryLast?: number;
  private overlong = false;
  private quoted = false;
  /** A quote ended the last piece inside a quoted field: it closes it unless a quote follows. */
  private closing = false;

  constructor(private readonly quoteAware: boolean) {}

  push(piece: Buffer): (Buffer | null)[] {
    const records: (Buffer | null)[] = [];
    let start = 0;
    let pos = 0;
    if (this.closing) {
      this.closing = false;
      if (piece[0] === QUOTE) pos = 1;
      else this.quoted = false;
    }
    // Each search result is reused until the scan passes it: one pass over the piece.
    let newline = -2;
    let quote = -2;
    while (pos < piece.length) {
      if (this.quoteAware) {
        if (quote !== -1 && quote < pos) quote = piece.indexOf(QUOTE, pos);
        if (this.quoted) {
          if (quote < 0) break;
          const escaped = piece[quote + 1] === QUOTE;
          if (quote + 1 === piece.length) this.closing = true;
          else if (!escaped) this.quoted = false;
          pos = escaped ? quote + 2 : quote + 1;
          continue;
        }
      }
      if (newline !== -1 && newline < pos) newline = piece.indexOf(NEWLINE, pos);
      if (this.quoteAware && quote >= 0 && (newline < 0 || quote < newline)) {
        if (this.opensField(piece, start, quote)) this.quoted = true;
        pos = quote + 1;
        continue;
      }
      if (newline < 0) break;
      records.push(this.take(piece.subarray(start, newline)));
      start = pos = newline + 1;
    }
    if (start < piece.length) this.hold(piece.subarray(start));
    return records;
  }

  /** The last record, when the file does not end with a newline. */
  end(): (Buffer | null)[] {
    return this.carryBytes > 0 || this.overlong ? [this.take(Buffer.alloc(0))] : [];
  }

  /** Whether the quote at `at` starts a field: only spaces or tabs since a comma or the record's start. */
  private opensField(piece: Buffer, recordStart: number, at: number): boolean {
    let i = at - 1;
    while (i >= recordStart && (piece[i] === 0x20 || piece[i] === 0x09)) i--;
    const before = i >= recordStart ? piece[i] : this.carryLast;
    return before === undefined || before === COMMA;
  }

  private hold(bytes: Buffer): void {
    if (this.overlong) return;
    this.carryBytes += bytes.length;
    if (this.carryBytes > MAX_LINE_BYTES) {
      this.overlong = true;
      this.carry = [];
      return;
    }
    this.carry.push(bytes);
    for (let i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] !== 0x20 && bytes[i] !== 0x09) {
        this.carryLast = bytes[i];
        break;
      }
    }
  }

  private take(tail: Buffer): Buffer | null {
    this.hold(tail);
    const record = this.overlong ? null : Buffer.concat(this.carry);
    this.carry = [];
    this.carryBytes = 0;
    this.carryLast = undefined;
    this.overlong = false;
    if (!record) return null;
    return record.length > 0 && record[record.length - 1] === CR ? record.subarray(0, -1) : record;
  }
}

/** Whether a record holds nothing but spaces, tabs and CRs (such lines are skipped, and not counted). */
export function isBlank(record: Buffer): boolean {
  for (const byte of record) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

/**
 * Reads an import's data lines from its pieces in order, numbering them from 1. Blank lines and a
 * CSV file's header (its first line, naming the columns) are not data lines. Parsing is separate
 * (`parse`), so lines can be counted, or skipped, without decoding them.
 */
export class ImportReader {
  private readonly splitter: RecordSplitter;
  private header?: { columns: string[] } | { error: string };
  private line = 0;

  constructor(readonly format: ImportFormat) {
    this.splitter = new RecordSplitter(format === 'csv');
  }

  push(piece: Buffer): LineRecord[] {
    return this.number(this.splitter.push(piece));
  }

  end(): LineRecord[] {
    return this.number(this.splitter.end());
  }

  /** Decodes and parses data lines: each gets its fields, or why it has none. */
  parse(records: LineRecord[]): RawLine[] {
    if (this.format === 'jsonl') return records.map(parseJsonLine);
    const header = this.header;
    if (!header || 'error' in header) return records.map(({ line }) => ({ line, error: header?.error ?? '' }));
    const rows = parseCsvRecords(records);
    return records.map(({ line }, i) => {
      const row = rows[i];
      if (typeof row === 'string') return { line, error: row };
      const fields = Object.fromEntries(
        header.columns.flatMap((column, c) => (row[c] === undefined || row[c] === '' ? [] : [[column, row[c]]])),
      );
      return { line, fields };
    });
  }

  private number(records: (Buffer | null)[]): LineRecord[] {
    const lines: LineRecord[] = [];
    for (const bytes of records) {
      if (bytes && isBlank(bytes)) continue;
      if (this.format === 'csv' && !this.header) this.header = readHeader(bytes);
      else lines.push({ line: ++this.line, bytes });
    }
    return lines;
  }
}

function parseJsonLine({ line, bytes }: LineRecord): RawLine {
  if (!bytes) return { line, error: TOO_LONG };
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { line, error: 'not valid JSON' };
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? { line, fields: value as Record<string, unknown> }
    : { line, error: 'a line must be a JSON object' };
}

function readHeader(bytes: Buffer | null): { columns: string[] } | { error: string } {
  const [row] = bytes ? parseCsvRecords([{ line: 0, bytes }]) : [TOO_LONG];
  return typeof row === 'string' ? { error: `the header line is not valid CSV: ${row}` } : { columns: row };
}

/**
 * Each record's cells, or why it is not one CSV record. A batch is parsed in one call; when that
 * fails, record by record, to find the bad ones.
 */
function parseCsvRecords(records: LineRecord[]): (string[] | string)[] {
  if (records.every((r) => r.bytes)) {
    try {
      const rows = parse(records.map((r) => r.bytes!.toString('utf8')).join('\n'), CSV_OPTIONS) as string[][];
      if (rows.length === records.length) return rows;
    } catch {
      // one of them is malformed: find which, below
    }
  }
  return records.map(({ bytes }) => {
    if (!bytes) return TOO_LONG;
    try {
      const rows = parse(bytes.toString('utf8'), CSV_OPTIONS) as string[][];
      return rows.length === 1 ? rows[0] : 'not one CSV record';
    } catch (error) {
      return `not valid CSV: ${(error as Error).message}`;
    }
  });
}

/**
 * The key that makes a line apply once per portfolio, when it has one: its `key` field. A line
 * without one applies once per import: its import's progress, committed with it, says it is done.
 */
export function lineKey(fields: Record<string, unknown>): string | undefined {
  return typeof fields.key === 'string' ? `key:${fields.key}` : undefined;
}
