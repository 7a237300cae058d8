import fc from 'fast-check';
import { formatCents } from '@app/money';

/**
 * Request generators for test/fuzz.e2e-spec.ts, driven by the committed OpenAPI document: valid
 * requests built from each operation's schemas, and the hostile variants a client could send.
 */

export interface Schema {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  format?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  example?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** What an id in a path, body or query names, so that it can be a real one. */
export type IdKind =
  | 'portfolio'
  | 'account'
  | 'transaction'
  | 'unit'
  | 'proposal'
  | 'user'
  | 'apiKey'
  | 'task'
  | 'projectionTask'
  | 'keyQuery';

/** Real ids the fuzzer may use: the caller's side of the world and another investor's. */
export type IdPools = Record<IdKind, { own: string[]; others: string[] }>;

/** Credentials: one per role, `none` sends no valid key, `alertmanager` the webhook's secret. */
export type Credential = 'admin' | 'manager' | 'operator' | 'viewer' | 'auditor' | 'none' | 'alertmanager';

export interface FuzzRequest {
  credential: Credential;
  method: string;
  /** Path and query string, as sent. */
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** What was done to the request, for the failure message. */
  variant: string;
}

const KIND_BY_SEGMENT: Record<string, IdKind> = {
  portfolios: 'portfolio',
  accounts: 'account',
  transactions: 'transaction',
  units: 'unit',
  'merge-proposals': 'proposal',
  users: 'user',
  'api-keys': 'apiKey',
  tasks: 'task',
  'dead-letters': 'task',
  grants: 'user',
  explain: 'keyQuery',
};

const KIND_BY_FIELD: Record<string, IdKind> = {
  accountId: 'account',
  fromAccountId: 'account',
  toAccountId: 'account',
  userId: 'user',
  actorId: 'user',
  portfolioId: 'portfolio',
};

/** The kind of the id in `{param}` of an OpenAPI path: named by the segment before it. */
export function pathIdKind(path: string, param: string): IdKind {
  if (path.startsWith('/v1/projections/tasks/')) return 'projectionTask';
  const segments = path.split('/');
  const before = segments[segments.indexOf(`{${param}}`) - 1];
  const kind = KIND_BY_SEGMENT[before];
  if (!kind) throw new Error(`the fuzzer does not know what {${param}} names in ${path}`);
  return kind;
}

// ---- Hostile values ---------------------------------------------------------------------------

const UNICODE = [
  '😀💸🏦', // emoji (surrogate pairs)
  '\u202Egnirts\u202C', // right-to-left override
  'مرحبا بالعالم', // RTL script
  'e\u0301\u0302\u0303\u0304\u0305', // stacked combining marks
  '\ud800', // lone high surrogate
  'x\udc00y', // lone low surrogate
  'a\u0000b', // NUL
  '\u0000',
  '\uFEFF1.00', // byte order mark
  '１２.００', // full-width digits
  '١٢٫٠٠', // Arabic-Indic digits
  '\u200B', // zero-width space
];

const TRICKY_STRINGS = [
  '',
  ' ',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '-0.00',
  '1e309',
  '0x10',
  '1,000.00',
  ' 1.00',
  '1.005',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '99999999999999999999.99',
  '1000000000000.01',
  "'; DROP TABLE accounts; --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '../../../etc/passwd',
  '%s%n%x',
  '2026-02-30T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '2026-01-01',
];

/** Integers as text around the limits of bigint columns and doubles: ids, cursors, cents. */
export const numericText = fc.oneof(
  fc.constantFrom(
    '9223372036854775807',
    '9223372036854775808',
    '9999999999999999999',
    '18446744073709551616',
    '99999999999999999999',
    '-9223372036854775809',
    '00000000000000000001',
    '9007199254740993',
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);

const HOSTILE_NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  0.1 + 0.2,
  1e-7,
  123456789.123456,
  2 ** 31,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  1e21,
  1e308,
  -1e308,
];

/** Strings up to and beyond the 1 MB body limit (some multi-byte). */
const longString = fc
  .constantFrom(256, 501, 4_097, 65_536, 1_048_000, 1_100_000)
  .chain((n) => fc.constantFrom('x'.repeat(n), '€'.repeat(Math.ceil(n / 3))));

const anyUnicode = fc.string({ unit: 'binary', maxLength: 40 });

export const hostileString = fc.oneof(fc.constantFrom(...UNICODE), fc.constantFrom(...TRICKY_STRINGS), anyUnicode, {
  arbitrary: longString,
  weight: 1,
});

/** Something in place of `valid`: wrong types, extremes, unicode, structures. */
export function hostileValue(valid: unknown): fc.Arbitrary<unknown> {
  const swapped =
    typeof valid === 'string'
      ? fc.constant(Number.isFinite(Number(valid)) && valid.trim() !== '' ? Number(valid) : 42)
      : typeof valid === 'number'
        ? fc.constant(String(valid))
        : fc.constant('a string');
  return fc.oneof(
    swapped,
    hostileString,
    numericText,
    fc.constantFrom(...HOSTILE_NUMBERS),
    fc.constantFrom(null, true, false, [], {}, [valid], { value: valid }, [[[[]]]]),
    fc.jsonValue({ maxDepth: 3 }),
  );
}

// ---- Valid values from the schemas ------------------------------------------------------------

export class SchemaValues {
  constructor(
    private readonly doc: OpenApiDocument,
    private readonly ids: IdPools,
    private readonly now: Date,
  ) {}

  resolve(schema: Schema): Schema {
    if (schema.$ref) return this.resolve(this.doc.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length === 1) return { ...schema, ...this.resolve(schema.allOf[0]), allOf: undefined };
    return schema;
  }

  /** A value the schema allows, with real ids where a field names one. */
  valid(raw: Schema, name = ''): fc.Arbitrary<unknown> {
    const schema = this.resolve(raw);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    switch (schema.type) {
      case 'object':
        return this.object(schema);
      case 'array':
        return fc.array(this.valid(schema.items ?? {}, name), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 3),
        });
      case 'integer':
      case 'number':
        return this.number(schema);
      case 'boolean':
        return fc.boolean();
      case 'string':
        return this.string(schema, name);
      default:
        return schema.properties ? this.object(schema) : fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** An id of this kind: mostly real ones of the caller's world, sometimes someone else's or none. */
  id(kind: IdKind): fc.Arbitrary<string> {
    const { own, others } = this.ids[kind];
    return fc.oneof(
      { arbitrary: own.length ? fc.constantFrom(...own) : fc.uuid(), weight: 6 },
      { arbitrary: others.length ? fc.constantFrom(...others) : fc.uuid(), weight: 1 },
      { arbitrary: fc.uuid(), weight: 1 },
    );
  }

  amount(): fc.Arbitrary<string> {
    return fc
      .oneof(
        { arbitrary: fc.bigInt({ min: 1n, max: 100_000n }), weight: 8 },
        { arbitrary: fc.bigInt({ min: 1n, max: 100_000_000_000_000n }), weight: 1 },
      )
      .map(formatCents);
  }

  instant(): fc.Arbitrary<string> {
    return fc
      .date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date(this.now.getTime() - 60_000), noInvalidDate: true })
      .map((d) => d.toISOString());
  }

  private object(schema: Schema): fc.Arbitrary<Record<string, unknown>> {
    const properties = schema.properties ?? {};
    if (Object.keys(properties).length === 0) {
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return fc.dictionary(fc.string({ maxLength: 12 }), this.valid(schema.additionalProperties), { maxKeys: 4 });
      }
      return fc.constant({});
    }
    const arbitraries = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, this.valid(s, key)]));
    return fc.record(arbitraries, { requiredKeys: schema.required ?? [] });
  }

  private number(schema: Schema): fc.Arbitrary<number> {
    const min = schema.minimum ?? -1_000;
    const max = schema.maximum ?? 1_000_000;
    if (schema.type === 'integer') return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    // Whole numbers and two decimals, as people write them; the rare third decimal is refused.
    return fc.integer({ min: Math.ceil(min * 100), max: Math.floor(max * 100) }).map((n) => n / 100);
  }

  private string(schema: Schema, name: string): fc.Arbitrary<string> {
    if (schema.format === 'uuid') return KIND_BY_FIELD[name] ? this.id(KIND_BY_FIELD[name]) : fc.uuid();
    if (schema.format === 'date-time') return this.instant();
    if (typeof schema.example === 'string' && /^\d+\.\d{2}$/.test(schema.example)) return this.amount();
    const text = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
    return typeof schema.example === 'string' ? fc.oneof(fc.constant(schema.example), text) : text;
  }
}

// ---- Mutations of a JSON body -----------------------------------------------------------------

type Json = unknown;

/** The places in a value a mutation may hit: the value itself, its fields and items (3 levels). */
function placesIn(value: Json, path: (string | number)[] = [], depth = 0): (string | number)[][] {
  const here = [path];
  if (depth >= 3 || value === null || typeof value !== 'object') return here;
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return here.concat(keys.flatMap((k) => placesIn((value as Record<string, Json>)[k], [...path, k], depth + 1)));
}

function getAt(value: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((v, k) => (v as Record<string | number, Json>)?.[k], value);
}

function withAt(value: Json, path: (string | number)[], change: (parent: any, key: string | number) => void): Json {
  if (path.length === 0) return value;
  const copy = structuredClone(value);
  const parent = getAt(copy, path.slice(0, -1));
  change(parent, path[path.length - 1]);
  return copy;
}

const EXTRA_KEYS = ['__proto__', 'constructor', 'prototype', 'admin', 'role', 'ownerId', 'cash', 'id', 'status'];

/** One hostile change to a valid JSON body, with a word on what it was. */
export function mutateJson(valid: Json): fc.Arbitrary<{ value: Json; variant: string }> {
  const places = placesIn(valid);
  const fields = places.filter((p) => p.length > 0 && typeof p[p.length - 1] === 'string');
  const objects = places.filter((p) => {
    const v = getAt(valid, p);
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  });
  const options = [
    fc.constantFrom(...places).chain((path) =>
      hostileValue(getAt(valid, path)).map((bad) => ({
        value: path.length === 0 ? bad : withAt(valid, path, (parent, key) => (parent[key] = bad)),
        variant: `replaced ${path.join('.') || 'the body'}`,
      })),
    ),
  ];
  if (fields.length > 0) {
    options.push(
      fc.constantFrom(...fields).map((path) => ({
        value: withAt(valid, path, (parent, key) => delete parent[key]),
        variant: `removed ${path.join('.')}`,
      })),
    );
  }
  if (objects.length > 0) {
    const key = fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 10 }));
    options.push(
      fc.tuple(fc.constantFrom(...objects), key, fc.jsonValue({ maxDepth: 1 })).map(([path, name, v]) => {
        // defineProperty: a literal "__proto__" key must reach the wire, not the prototype.
        const add = (target: object) => Object.defineProperty(target, name, { value: v, enumerable: true });
        return {
          value:
            path.length === 0
              ? add(structuredClone(valid) as object)
              : withAt(valid, path, (parent, k) => add(parent[k])),
          variant: `added ${[...path, name].join('.')}`,
        };
      }),
    );
  }
  return fc.oneof(...options);
}

/** Bodies that are not what the route reads: other content types, broken or empty JSON, raw bytes. */
export function oddBody(
  validJson: string,
): fc.Arbitrary<{ contentType?: string; body?: string | Buffer; variant: string }> {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
  return fc.constantFrom(
    { contentType: 'application/x-www-form-urlencoded', body: 'amount=1.00&memo=form', variant: 'a form body' },
    { contentType: 'text/plain', body: validJson, variant: 'JSON sent as text/plain' },
    { contentType: 'application/xml', body: '<?xml version="1.0"?><amount>1.00</amount>', variant: 'XML' },
    { contentType: 'text/csv', body: 'kind,amount\nPREMIUM,1.00\n', variant: 'CSV to a JSON route' },
    { contentType: 'application/x-ndjson', body: `${validJson}\n`, variant: 'JSON lines to a JSON route' },
    {
      contentType: 'multipart/form-data; boundary=x',
      body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      variant: 'multipart',
    },
    {
      contentType: 'application/json',
      body: validJson.slice(0, Math.max(1, validJson.length - 2)),
      variant: 'truncated JSON',
    },
    { contentType: 'application/json', body: '{"amount": "1.00",}', variant: 'a trailing comma' },
    { contentType: 'application/json', body: "{'amount': '1.00'}", variant: 'single quotes' },
    { contentType: 'application/json', body: '', variant: 'an empty JSON body' },
    { contentType: 'application/json', body: 'null', variant: 'null' },
    { contentType: 'application/json', body: '"a string"', variant: 'a JSON string' },
    { contentType: 'application/json', body: '12345678901234567890', variant: 'a JSON number' },
    { contentType: 'application/json', body: `[${validJson}]`, variant: 'an array for an object' },
    { contentType: 'application/json', body: nested(5_000), variant: 'arrays nested 5,000 deep' },
    {
      contentType: 'application/json',
      body: `{"a":${'{"a":'.repeat(2_000)}1${'}'.repeat(2_001)}`,
      variant: 'objects nested 2,000 deep',
    },
    { contentType: 'application/json; charset=utf-16', body: validJson, variant: 'a UTF-16 charset' },
    {
      contentType: 'application/json',
      body: Buffer.from([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      variant: 'invalid UTF-8',
    },
    { contentType: undefined, body: undefined, variant: 'no body' },
  );
}

// ---- Headers and query strings ----------------------------------------------------------------

/** Node's client sends header bytes as latin1: this puts UTF-8 bytes on the wire. */
const utf8Bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

export const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 4 },
  {
    arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }).map((s) => s.replace(/\s/g, '_')),
    weight: 2,
  },
  { arbitrary: fc.constant('fuzz-shared-key'), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'two words',
      'k'.repeat(256),
      'k'.repeat(4_000),
      'k'.repeat(20_000),
      utf8Bytes('ключ-😀'),
      'clé',
    ),
    weight: 2,
  },
);

export const correlationId: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  fc.constantFrom('', 'x'.repeat(5_000), utf8Bytes('kořelace'), 'a b c', '../../', '<script>'),
);

/** Duplicate and unknown parameters on top of the generated ones. */
export const queryNoise: fc.Arbitrary<readonly string[]> = fc.oneof(
  { arbitrary: fc.constant([]), weight: 6 },
  fc.constantFrom(
    ['limit=1', 'limit=2'],
    ['cursor=1', 'cursor=2'],
    ['foo=bar'],
    ['limit[]=1'],
    ['limit[a]=1'],
    ['a=%ZZ'],
  ),
);
