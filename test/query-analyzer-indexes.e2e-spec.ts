import { bearer, createUser, startTestApp, TestApp } from '@app/testing';
import { KEY_QUERIES } from '../src/modules/query-analyzer/key-queries';

/**
 * Every key query is served by an index once the large tables hold a realistic volume: the plan
 * PostgreSQL chooses (through GET /v1/admin/queries/explain/:name, with the planner's default
 * settings) reads the expected index and reads none of the large tables whole.
 */
const VOLUME = {
  users: 1_000,
  portfolios: 5_000,
  units: 1_000,
  transactions: 500_000,
  audit: 300_000,
  idempotencyKeys: 100_000,
};
const LARGE_TABLES = ['postings', 'transactions', 'accounts', 'audit_log', 'idempotency_keys', 'units', 'api_keys'];

/** Rows straight into the tables (set-based, in a few seconds); only UPDATE and DELETE are forbidden there. */
const FILL = [
  `INSERT INTO users (name, role) SELECT 'bulk user ' || g, 'manager' FROM generate_series(1, ${VOLUME.users}) g`,
  `CREATE TEMP TABLE u AS SELECT id, row_number() OVER (ORDER BY id) AS rn FROM users WHERE name LIKE 'bulk user %'`,
  `INSERT INTO api_keys (user_id, key_hash, prefix)
   SELECT id, encode(sha256(('bulk key ' || rn)::bytea), 'hex'), 'au_bulk' FROM u`,
  `INSERT INTO portfolios (owner_id, name, template, gen_pct, rev_pct, com_pct, buffer_bp, fork_threshold,
                          merge_threshold, merge_mode, created_at)
   SELECT u.id, 'bulk portfolio ' || g, 'moderate', 40, 30, 30, 500, 10000000, 50000000, 'auto',
          now() - interval '800 days' + g * interval '1 minute'
     FROM generate_series(1, ${VOLUME.portfolios}) g JOIN u ON u.rn = 1 + g % ${VOLUME.users}`,
  `CREATE TEMP TABLE pf AS SELECT id, row_number() OVER (ORDER BY id) AS rn FROM portfolios
    WHERE name LIKE 'bulk portfolio %'`,
  `INSERT INTO accounts (portfolio_id, type, status, baseline, cash, buffer_bp, config, created_at, updated_at)
   SELECT pf.id, t.type, 'ACTIVE', CASE WHEN t.type = 'GEN' THEN 4000000 ELSE 0 END,
          (4000000 + (pf.rn * 7919) % 3000000), 500, '{"weeklyTargetPct": 1.5}',
          now() - interval '800 days', now() - (pf.rn % 1000) * interval '1 minute'
     FROM pf CROSS JOIN (VALUES ('GEN'), ('REV'), ('COM')) t (type)`,
  // Forked units: a GEN and a COM account each, under a root GEN account; a third merged.
  'BEGIN',
  `CREATE TEMP TABLE nu AS
   SELECT gen_random_uuid() AS id, g, pf.id AS portfolio_id,
          (SELECT a.id FROM accounts a WHERE a.portfolio_id = pf.id AND a.type = 'GEN') AS parent,
          CASE WHEN g % 3 = 0 THEN 'MERGED' ELSE 'ACTIVE' END AS status
     FROM generate_series(1, ${VOLUME.units}) g JOIN pf ON pf.rn = 1 + (g * 37) % ${VOLUME.portfolios}`,
  `INSERT INTO accounts (portfolio_id, type, status, unit_id, parent_account_id, baseline, cash, buffer_bp, config,
                        created_at, updated_at)
   SELECT nu.portfolio_id, t.type, nu.status, nu.id, nu.parent, 0, 1000000, 500, '{"weeklyTargetPct": 1.5}',
          now() - interval '400 days', now() - interval '1 day'
     FROM nu CROSS JOIN (VALUES ('GEN'), ('COM')) t (type)`,
  `INSERT INTO units (id, portfolio_id, parent_account_id, gen_account_id, com_account_id, status, amount, trigger,
                     fork_transaction_id, merge_transaction_id, created_at, merged_at)
   SELECT nu.id, nu.portfolio_id, nu.parent,
          (SELECT id FROM accounts WHERE unit_id = nu.id AND type = 'GEN'),
          (SELECT id FROM accounts WHERE unit_id = nu.id AND type = 'COM'),
          nu.status, 1000000, 'automatic', gen_random_uuid(),
          CASE WHEN nu.status = 'MERGED' THEN gen_random_uuid() END, now() - interval '400 days',
          CASE WHEN nu.status = 'MERGED' THEN now() - interval '100 days' END
     FROM nu ORDER BY nu.g`,
  'COMMIT',
  `CREATE TEMP TABLE acc AS SELECT id, portfolio_id, row_number() OVER (ORDER BY id) AS rn FROM accounts`,
  // Each transaction moves one account against an external ledger; about 30 per account over two years.
  `CREATE TEMP TABLE plan AS
   SELECT g, gen_random_uuid() AS id, acc.id AS account_id, acc.portfolio_id,
          (ARRAY['PREMIUM', 'PREMIUM', 'TRADING_LOSS', 'FEE', 'DEPOSIT', 'WITHDRAWAL'])[1 + g % 6] AS kind,
          now() - (g % 730) * interval '1 day' - (g % 86400) * interval '1 second' AS at,
          (1000 + g % 100000)::bigint AS amount
     FROM generate_series(1, ${VOLUME.transactions}) g
     JOIN acc ON acc.rn = 1 + (g::bigint * 7919) % (SELECT count(*) FROM acc)`,
  `INSERT INTO transactions (id, portfolio_id, kind, effective_at, created_at, correlation_id)
   SELECT id, portfolio_id, kind, at, at, 'bulk-' || g FROM plan ORDER BY g`,
  `INSERT INTO postings (tx_seq, idx, account_id, ledger, amount, effective_at)
   SELECT t.seq, leg.idx, CASE WHEN leg.idx = 1 THEN p.account_id END,
          CASE WHEN leg.idx = 1 THEN 'cash' ELSE 'external:market' END,
          CASE WHEN leg.idx = 1 THEN p.amount ELSE -p.amount END, p.at
     FROM plan p JOIN transactions t ON t.id = p.id CROSS JOIN (VALUES (1), (2)) leg (idx)`,
  `INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, portfolio_id, details, correlation_id)
   SELECT now() - (${VOLUME.audit} - g) * interval '1 minute', u.id, 'ledger.movement', 'transaction', g::text,
          CASE WHEN g % 20 <> 0 THEN pf.id END, '{}', 'bulk-' || g
     FROM generate_series(1, ${VOLUME.audit}) g
     JOIN u ON u.rn = 1 + g % ${VOLUME.users} JOIN pf ON pf.rn = 1 + g % ${VOLUME.portfolios}`,
  `INSERT INTO idempotency_keys (owner_id, key, request_hash, transaction_ids)
   SELECT u.id, 'bulk-key-' || g, md5(g::text), NULL
     FROM generate_series(1, ${VOLUME.idempotencyKeys}) g JOIN u ON u.rn = 1 + g % ${VOLUME.users}`,
  // What autovacuum would have done by now on a live database: statistics and the visibility map.
  'VACUUM ANALYZE',
];

/** The SQL text does not depend on the sample values, only the parameters do. */
const ANY_SAMPLES = {
  accountId: 'a',
  portfolioId: 'p',
  unitsPortfolioId: 'u',
  unitId: 'n',
  userId: 'r',
  auditPortfolioId: 'l',
  idempotencyOwnerId: 'o',
  idempotencyKey: 'k',
};

describe('query analyzer: key queries use indexes (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('qaindexes', { env: { TASKS_RUN_WORKERS: 'false', GROWTH_SCHEDULES_ENABLED: 'false' } });
    const client = await t.db.connect();
    try {
      for (const statement of FILL) {
        await client.query(statement).catch((error: Error) => {
          throw new Error(`${error.message} in: ${statement}`);
        });
      }
    } finally {
      client.release();
    }
  }, 300_000);
  afterAll(() => t.close());

  it('holds the volume it claims', async () => {
    const { rows } = await t.db.query(
      `SELECT (SELECT count(*) FROM postings)::int AS postings, (SELECT count(*) FROM accounts)::int AS accounts,
              (SELECT count(*) FROM audit_log)::int AS audit`,
    );
    expect(rows[0].postings).toBeGreaterThanOrEqual(2 * VOLUME.transactions);
    expect(rows[0].accounts).toBeGreaterThanOrEqual(3 * VOLUME.portfolios + 2 * VOLUME.units);
    expect(rows[0].audit).toBeGreaterThanOrEqual(VOLUME.audit);
  });

  it('refuses an unknown name (404), a malformed one (400) and anyone but an admin (403)', async () => {
    const unknown = await t.http.get('/v1/admin/queries/explain/no-such-query').set(bearer(t.adminKey)).expect(404);
    expect(unknown.body).toMatchObject({ status: 404, code: 'KEY_QUERY_NOT_FOUND' });
    expect(unknown.body.detail).toContain('no-such-query');
    const malformed = await t.http.get('/v1/admin/queries/explain/Bad%20Name!').set(bearer(t.adminKey)).expect(400);
    expect(malformed.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(malformed.body.errors).toEqual([{ field: 'name', message: expect.stringContaining('key query name') }]);
    const auditor = await createUser(t, 'auditor');
    for (const path of ['/v1/admin/queries/explain', '/v1/admin/queries/explain/portfolio-accounts']) {
      const res = await t.http.get(path).set(bearer(auditor.key)).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
    }
    await t.http.get('/v1/admin/queries/explain').expect(401);
  });

  it('lists every key query by name', async () => {
    const res = await t.http.get('/v1/admin/queries/explain').set(bearer(t.adminKey)).expect(200);
    expect(res.body.queries.map((q: { name: string }) => q.name)).toEqual(KEY_QUERIES.map((q) => q.name));
  });

  it.each(KEY_QUERIES.map((q) => [q.name, q.servedBy, q.acceptedSeqScans] as const))(
    '%s reads %j and no large table whole (but %j)',
    async (name, servedBy, accepted) => {
      const res = await t.http.get(`/v1/admin/queries/explain/${name}`).set(bearer(t.adminKey)).expect(200);
      const { summary } = res.body;
      const used = summary.indexScans.map((s: { index: string }) => s.index);
      const context = `${name}: indexes ${JSON.stringify(used)}, seq scans ${JSON.stringify(summary.seqScans)}`;
      for (const index of servedBy) expect({ context, uses: used.includes(index) }).toEqual({ context, uses: true });
      expect({
        context,
        seqScans: summary.seqScans.filter((s: string) => LARGE_TABLES.includes(s) && !accepted.includes(s)),
      }).toEqual({
        context,
        seqScans: [],
      });
      expect(res.body.plan[0].Plan['Node Type']).toEqual(expect.any(String));
      expect(res.body.sql).toBe(KEY_QUERIES.find((q) => q.name === name)?.build(ANY_SAMPLES, new Date()).sql);
    },
  );
});
