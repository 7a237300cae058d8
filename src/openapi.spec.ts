import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import { generateOpenApiDocument } from './openapi';

/** Where a class of the HTTP contract may live: `dto/` folders, `*.dto.ts` and `*.view.ts` files. */
const CONTRACT_FILE = /(^|\/)dto\/|\.(dto|view)\.ts$/;

/**
 * Every class of the HTTP contract in the source: those in contract files, and any other class
 * with a Swagger-decorated member (`@ApiProperty` …). Swagger keys schemas by class name, so two
 * of them with one name make the document describe one of them twice.
 */
function contractClasses(root: string): { name: string; file: string }[] {
  const found: { name: string; file: string }[] = [];
  const visit = (file: string, node: ts.Node) => {
    if (ts.isClassDeclaration(node) && node.name && (CONTRACT_FILE.test(file) || hasSwaggerMember(node))) {
      found.push({ name: node.name.text, file });
    }
    ts.forEachChild(node, (child) => visit(file, child));
  };
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    visit(relative(root, path), source);
  }
  return found;
}

function hasSwaggerMember(node: ts.ClassDeclaration): boolean {
  return node.members.some((member) =>
    (ts.canHaveDecorators(member) ? (ts.getDecorators(member) ?? []) : []).some((d) =>
      /^Api[A-Z]/.test(d.expression.getText().split('(')[0]),
    ),
  );
}

describe('the OpenAPI document', () => {
  let document: Awaited<ReturnType<typeof generateOpenApiDocument>>;
  beforeAll(async () => {
    document = await generateOpenApiDocument();
  });

  it('is committed as generated (run `npm run openapi` after an API change)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '../docs/openapi.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
  });

  describe('contract classes', () => {
    const classes = contractClasses(__dirname);

    it('have names of their own', () => {
      const files = new Map<string, string[]>();
      for (const { name, file } of classes) files.set(name, [...(files.get(name) ?? []), file]);
      const shared = [...files]
        .filter(([, where]) => where.length > 1)
        .map(([name, where]) => `${name}: ${where.join(', ')}`);
      expect(shared).toEqual([]);
    });

    it('include every schema of the document (the scan misses none)', () => {
      const names = new Set(classes.map((c) => c.name));
      expect(Object.keys(document.components?.schemas ?? {}).filter((schema) => !names.has(schema))).toEqual([]);
    });
  });

  it.each([
    ['post', '/v1/portfolios'],
    ['get', '/v1/portfolios'],
    ['get', '/v1/portfolios/{id}'],
    ['get', '/v1/portfolios/{id}/accounts'],
    ['get', '/v1/accounts/{id}'],
    ['patch', '/v1/accounts/{id}'],
    ['post', '/v1/accounts/{id}/deposits'],
    ['post', '/v1/accounts/{id}/withdrawals'],
    ['post', '/v1/accounts/{id}/premiums'],
    ['post', '/v1/accounts/{id}/losses'],
    ['post', '/v1/accounts/{id}/fees'],
    ['post', '/v1/transfers'],
    ['post', '/v1/transactions/batch'],
    ['post', '/v1/transactions/{id}/reversal'],
    ['get', '/v1/transactions/{id}'],
    ['get', '/v1/accounts/{id}/transactions'],
    ['get', '/v1/accounts/{id}/balance'],
    ['post', '/v1/users'],
    ['post', '/v1/users/{id}/api-keys'],
    ['delete', '/v1/api-keys/{id}'],
    ['get', '/v1/audit'],
    ['get', '/health/live'],
    ['get', '/health/ready'],
  ])('documents %s %s', (method, path) => {
    expect(document.paths[path]?.[method as 'get']).toBeDefined();
  });

  it('documents the Idempotency-Key header on every money-moving POST', () => {
    const moving = Object.entries(document.paths).filter(
      ([path, item]) =>
        item.post &&
        (path.includes('/transfers') ||
          path.includes('/transactions/') ||
          /\/(deposits|withdrawals|premiums|losses|fees)$/.test(path)),
    );
    expect(moving.length).toBe(8);
    for (const [, item] of moving) {
      expect(item.post!.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header' })]),
      );
    }
  });
});
