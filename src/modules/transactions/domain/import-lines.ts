import { createHash } from 'node:crypto';
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

/**
 * Splits an import into lines. CSV needs a header naming its columns; an empty cell is an absent
 * field. JSON lines hold one object per line; blank lines are skipped.
 */
export function splitImport(format: ImportFormat, content: string): RawLine[] {
  return format === 'csv' ? splitCsv(content) : splitJsonLines(content);
}

function splitCsv(content: string): RawLine[] {
  const records = parse(content, {
    columns: true,
    skip_empty_lines: true,
    trim: true,
    relax_column_count: true,
  }) as Record<string, string>[];
  return records.map((record, index) => ({
    line: index + 1,
    fields: Object.fromEntries(Object.entries(record).filter(([, value]) => value !== '')),
  }));
}

function splitJsonLines(content: string): RawLine[] {
  const lines: RawLine[] = [];
  let number = 0;
  for (const text of content.split(/\r?\n/)) {
    if (!text.trim()) continue;
    number++;
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        lines.push({ line: number, fields: value as Record<string, unknown> });
      } else lines.push({ line: number, error: 'a line must be a JSON object' });
    } catch {
      lines.push({ line: number, error: 'not valid JSON' });
    }
  }
  return lines;
}

/** How many data lines an import has, without parsing it fully (for the size limit). */
export function countLines(format: ImportFormat, content: string): number {
  const nonBlank = content.split(/\r?\n/).filter((l) => l.trim()).length;
  return format === 'csv' ? Math.max(0, nonBlank - 1) : nonBlank;
}

/**
 * The key that makes a line apply once. An explicit `key` wins; otherwise the line's number and
 * content identify it, so importing the same file again applies nothing twice.
 */
export function lineKey(line: number, fields: Record<string, unknown>): string {
  if (typeof fields.key === 'string') return `key:${fields.key}`;
  const canonical = IMPORT_COLUMNS.map((c) => JSON.stringify(fields[c] ?? null)).join(',');
  return `line:${line}:${createHash('sha256').update(canonical).digest('base64url').slice(0, 22)}`;
}
