import type { Pool } from 'pg';
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

export async function openPortfolio(
  t: TestApp,
  key: string,
  body: Record<string, unknown> = { name: 'Test portfolio', initialCapital: '250000.00' },
): Promise<OpenedPortfolio> {
  const res = await t.http.post('/v1/portfolios').set(bearer(key)).send(body).expect(201);
  const byType = Object.fromEntries(res.body.accounts.map((a: { type: string; id: string }) => [a.type, a.id]));
  return { id: res.body.id, gen: byType.GEN, rev: byType.REV, com: byType.COM, body: res.body };
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
 * The ledger invariants of domain.md §3, checked directly in the database. Returns the list of
 * violations (empty when the ledger is sound).
 */
export async function ledgerViolations(db: Pool): Promise<string[]> {
  const violations: string[] = [];
  const unbalanced = await db.query(
    'SELECT tx_seq, sum(amount)::text AS sum FROM postings GROUP BY tx_seq HAVING sum(amount) <> 0',
  );
  for (const r of unbalanced.rows) violations.push(`transaction seq ${r.tx_seq} sums to ${r.sum}`);
  const emptyTx = await db.query(
    'SELECT t.seq FROM transactions t WHERE NOT EXISTS (SELECT 1 FROM postings p WHERE p.tx_seq = t.seq)',
  );
  for (const r of emptyTx.rows) violations.push(`transaction seq ${r.seq} has no postings`);
  const orphans = await db.query(
    `SELECT p.tx_seq, p.account_id FROM postings p
      WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.seq = p.tx_seq)
         OR (p.account_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = p.account_id))`,
  );
  for (const r of orphans.rows)
    violations.push(`posting of seq ${r.tx_seq} refers to a missing transaction or account`);
  const drift = await db.query(`
    SELECT a.id, a.cash::text, a.contracts::text, a.leaps::text,
           coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'cash'), 0)::text AS pcash,
           coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'contracts'), 0)::text AS pcontracts,
           coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'leaps'), 0)::text AS pleaps
      FROM accounts a LEFT JOIN postings p ON p.account_id = a.id
     GROUP BY a.id
    HAVING a.cash <> coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'cash'), 0)
        OR a.contracts <> coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'contracts'), 0)
        OR a.leaps <> coalesce(sum(p.amount) FILTER (WHERE p.ledger = 'leaps'), 0)`);
  for (const r of drift.rows) {
    violations.push(
      `account ${r.id} stores ${r.cash}/${r.contracts}/${r.leaps}, postings say ${r.pcash}/${r.pcontracts}/${r.pleaps}`,
    );
  }
  const negative = await db.query(
    'SELECT id FROM accounts WHERE cash < 0 OR contracts < 0 OR leaps < 0 OR baseline < 0',
  );
  for (const r of negative.rows) violations.push(`account ${r.id} has a negative pocket`);
  return violations;
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
