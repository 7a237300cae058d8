import type { Pool } from 'pg';
import {
  describeViolation,
  pgQuery,
  verifyLedgerInSnapshot,
} from '../../../src/modules/transactions/ledger-verification/ledger-checks';
import { eventually } from './eventually';
import type { TestApp } from './test-app';

export const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

export interface TestUser {
  id: string;
  key: string;
}

/** Creates a user with a role and an API key, through the API as an admin would. */
export async function createUser(t: TestApp, role: string, name = `${role} user`): Promise<TestUser> {
  const user = await t.http.post('/v1/users').set(bearer(t.adminKey)).send({ name, role }).expect(201);
  const key = await t.http.post(`/v1/users/${user.body.id}/api-keys`).set(bearer(t.adminKey)).expect(201);
  return { id: user.body.id, key: key.body.key };
}

export interface OpenedPortfolio {
  id: string;
  gen: string;
  rev: string;
  com: string;
  body: Record<string, any>;
}

/** Opening and thresholds of a portfolio whose growth is quick to reach: fork at 1,000.00, merge at 5,000.00. */
export const SMALL_GROWTH = { initialCapital: '10000.00', forkThreshold: '1000.00', mergeThreshold: '5000.00' };

export async function openPortfolio(
  t: TestApp,
  key: string,
  body: Record<string, unknown> = { name: 'Test portfolio', initialCapital: '250000.00' },
): Promise<OpenedPortfolio> {
  const res = await t.http.post('/v1/portfolios').set(bearer(key)).send(body).expect(201);
  const byType = Object.fromEntries(res.body.accounts.map((a: { type: string; id: string }) => [a.type, a.id]));
  return { id: res.body.id, gen: byType.GEN, rev: byType.REV, com: byType.COM, body: res.body };
}

/** Every item of a paginated list (`{items, nextCursor}`), following the cursors page by page. */
export async function allPages<T = any>(t: TestApp, key: string, path: string, limit = 500): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const res = await t.http
      .get(path)
      .query(cursor ? { limit, cursor } : { limit })
      .set(bearer(key))
      .expect(200);
    const body = res.body as { items: T[]; nextCursor: string | null };
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

/** Grants a user access to a portfolio, as its owner. */
export async function grant(
  t: TestApp,
  ownerKey: string,
  portfolioId: string,
  userId: string,
  role: 'operator' | 'viewer',
) {
  await t.http.post(`/v1/portfolios/${portfolioId}/grants`).set(bearer(ownerKey)).send({ userId, role }).expect(201);
}

/**
 * The ledger's invariants, checked directly in the database by the very checks the service and
 * `npm run ledger:verify` run (src/modules/transactions/ledger-verification/ledger-checks.ts).
 * Returns one line per violation (empty when the ledger is sound).
 */
export async function ledgerViolations(db: Pool): Promise<string[]> {
  const client = await db.connect();
  try {
    const result = await verifyLedgerInSnapshot(pgQuery(client), { limit: 1_000 });
    return result.violations.map(describeViolation);
  } finally {
    client.release();
  }
}

/** Everything the database holds that a refused request must not change. */
export async function snapshot(db: Pool) {
  const [accounts, transactions, postings, audit, keys] = await Promise.all([
    db.query(
      'SELECT id, status, baseline::text, cash::text, contracts::text, leaps::text, buffer_bp, config FROM accounts ORDER BY id',
    ),
    db.query('SELECT count(*)::int AS n FROM transactions'),
    db.query('SELECT count(*)::int AS n FROM postings'),
    db.query('SELECT count(*)::int AS n FROM audit_log'),
    db.query('SELECT count(*)::int AS n FROM idempotency_keys'),
  ]);
  return {
    accounts: accounts.rows,
    transactions: transactions.rows[0].n,
    postings: postings.rows[0].n,
    audit: audit.rows[0].n,
    idempotencyKeys: keys.rows[0].n,
  };
}

/**
 * Posts one movement straight through `ledger_post`, as the service would but bypassing the API:
 * no amount limit, and no announcement, so no automatic growth check follows (a lost event).
 * `cents` is signed (a credit to the account's `pocket`, cash by default, > 0); `baseline` moves a
 * GEN baseline with it.
 */
export async function postDirectly(
  db: Pool,
  movement: {
    portfolioId: string;
    accountId: string;
    cents: bigint;
    pocket?: 'cash' | 'contracts' | 'leaps';
    kind?: string;
    baseline?: bigint;
  },
) {
  const { randomUUID } = await import('node:crypto');
  const { portfolioId, accountId, cents, pocket = 'cash', baseline = 0n } = movement;
  const kind = movement.kind ?? (cents > 0n ? 'PREMIUM' : 'TRADING_LOSS');
  const delta = { cash: '0', contracts: '0', leaps: '0', [pocket]: cents.toString() };
  const payload = {
    actorId: null,
    audits: [],
    transactions: [
      {
        id: randomUUID(),
        kind,
        portfolioId,
        legs: [
          { accountId, ledger: pocket, amount: cents.toString() },
          {
            accountId: null,
            ledger: kind === 'DEPOSIT' ? 'external:bank' : 'external:market',
            amount: (-cents).toString(),
          },
        ],
        accounts: [{ id: accountId, ...delta, baseline: baseline.toString(), statuses: ['ACTIVE'] }],
        baselineChanges: baseline === 0n ? [] : [{ id: accountId, baseline: baseline.toString() }],
      },
    ],
  };
  await db.query('SELECT ledger_post($1::jsonb)', [JSON.stringify(payload)]);
}

/** A premium posted with {@link postDirectly}: only a request or the scan reacts to it. */
export async function premiumWithoutEvent(db: Pool, portfolioId: string, accountId: string, cents: bigint) {
  await postDirectly(db, { portfolioId, accountId, cents });
}

/**
 * Gives `p`'s root GEN a surplus of `cents` (posted directly: no automatic check follows) and asks
 * for its fork. Answers the unit, whoever forked it: the request, or the check that followed the
 * opening deposit if that one ran later.
 */
export async function forkRootGen(t: TestApp, key: string, p: OpenedPortfolio, cents: bigint) {
  await postDirectly(t.db, { portfolioId: p.id, accountId: p.gen, cents });
  await t.http.post(`/v1/accounts/${p.gen}/fork`).set(bearer(key));
  return eventually(async () => {
    const { rows } = await t.db.query(
      'SELECT id, gen_account_id AS gen, com_account_id AS com FROM units WHERE portfolio_id = $1',
      [p.id],
    );
    return rows[0] as { id: string; gen: string; com: string } | undefined;
  }, 'the fork');
}
