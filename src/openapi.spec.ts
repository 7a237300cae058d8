import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateOpenApiDocument } from './openapi';

describe('the OpenAPI document', () => {
  let document: Awaited<ReturnType<typeof generateOpenApiDocument>>;
  beforeAll(async () => {
    document = await generateOpenApiDocument();
  });

  it('is committed as generated (run `npm run openapi` after an API change)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '../docs/openapi.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(document)));
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
