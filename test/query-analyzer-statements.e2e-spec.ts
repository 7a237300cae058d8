import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { bearer, createUser, freePort, openPortfolio, startTestApp, TestApp } from '@app/testing';
import { runMigrations } from '../src/database/data-source';
import { NOT_INSTALLED_REASON, NOT_LOADED_REASON } from '../src/modules/query-analyzer/query-analyzer.service';

/**
 * GET /v1/admin/queries against two servers: a throwaway PostgreSQL 15 cluster started by this
 * spec with pg_stat_statements preloaded, and the main test server (which may or may not preload
 * it: what `SHOW shared_preload_libraries` says decides the expected answer).
 */
const PG_BIN = process.env.PG_BIN || '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL server program; as root, as the postgres user (initdb and postgres refuse root). */
function pg(program: string, args: string[]): string {
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, program), ...args]]
    : [join(PG_BIN, program), args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

interface Cluster {
  dir: string;
  port: number;
  started: boolean;
}

async function startCluster(): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'alluse-pgss-'));
  const cluster: Cluster = { dir, port: await freePort(), started: false };
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  pg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = [
    `-p ${cluster.port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c shared_preload_libraries=pg_stat_statements',
    '-c fsync=off',
    '-c max_connections=50',
  ].join(' ');
  pg('pg_ctl', ['-D', join(dir, 'data'), '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  cluster.started = true;
  return cluster;
}

function stopCluster(cluster: Cluster | undefined): void {
  if (!cluster) return;
  try {
    if (cluster.started) pg('pg_ctl', ['-D', join(cluster.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  } finally {
    rmSync(cluster.dir, { recursive: true, force: true });
  }
}

async function sql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

const statements = (t: TestApp, query = '', key = t.adminKey) =>
  t.http.get(`/v1/admin/queries${query}`).set(bearer(key));

describe('query analyzer: pg_stat_statements (e2e)', () => {
  describe('on a server that preloads it', () => {
    let cluster: Cluster | undefined;
    let t: TestApp | undefined;
    let url: string;

    beforeAll(async () => {
      cluster = await startCluster();
      const server = `postgres://postgres@127.0.0.1:${cluster.port}`;
      const name = `alluse_test_pgss_${randomBytes(4).toString('hex')}`;
      await sql(`${server}/postgres`, `CREATE DATABASE ${name}`);
      url = `${server}/${name}`;
      await runMigrations({ url, statementTimeoutMs: 0 });
      t = await startTestApp('pgss', {
        databaseUrl: url,
        env: { TASKS_RUN_WORKERS: 'false', GROWTH_SCHEDULES_ENABLED: 'false' },
      });
    }, 120_000);
    afterAll(async () => {
      try {
        await t?.close();
      } finally {
        stopCluster(cluster);
      }
    });

    it('says the extension is not installed, and how to install it, before CREATE EXTENSION', async () => {
      const res = await statements(t!).expect(200);
      expect(res.body).toEqual({ available: false, reason: NOT_INSTALLED_REASON });
      expect(res.body.reason).toContain('CREATE EXTENSION pg_stat_statements');
    });

    it('lists the heaviest statements once the extension exists, ordered as asked', async () => {
      await sql(url, 'CREATE EXTENSION pg_stat_statements');
      // Some traffic: a user, a portfolio, and repeated reads (each request looks its key up).
      const manager = await createUser(t!, 'manager');
      const portfolio = await openPortfolio(t!, manager.key);
      for (let i = 0; i < 5; i++) {
        await t!.http.get(`/v1/portfolios/${portfolio.id}/accounts`).set(bearer(manager.key)).expect(200);
      }

      const byTotal = await statements(t!).expect(200);
      expect(byTotal.body).toMatchObject({ available: true, orderBy: 'total', limit: 20 });
      expect(byTotal.body.statements.length).toBeGreaterThan(0);
      expect(byTotal.body.statements.length).toBeLessThanOrEqual(20);
      for (const s of byTotal.body.statements) {
        expect(s).toEqual({
          queryId: expect.any(String),
          query: expect.any(String),
          calls: expect.any(Number),
          totalTimeMs: expect.any(Number),
          meanTimeMs: expect.any(Number),
          rows: expect.any(Number),
        });
      }
      const totals = byTotal.body.statements.map((s: { totalTimeMs: number }) => s.totalTimeMs);
      expect(totals).toEqual([...totals].sort((a, b) => b - a));

      const byCalls = await statements(t!, '?orderBy=calls&limit=5').expect(200);
      expect(byCalls.body).toMatchObject({ available: true, orderBy: 'calls', limit: 5 });
      expect(byCalls.body.statements).toHaveLength(5);
      const calls = byCalls.body.statements.map((s: { calls: number }) => s.calls);
      expect(calls).toEqual([...calls].sort((a, b) => b - a));
      expect(calls[0]).toBeGreaterThan(1);

      const byMean = await statements(t!, '?orderBy=mean&limit=100').expect(200);
      const means = byMean.body.statements.map((s: { meanTimeMs: number }) => s.meanTimeMs);
      expect(means).toEqual([...means].sort((a, b) => b - a));
      // The service's own statements are there, normalised: opening the portfolio inserted it.
      const opened = byMean.body.statements.find((s: { query: string }) => s.query.includes('INSERT INTO portfolios'));
      expect(opened).toMatchObject({ calls: 1, rows: 1 });
      expect(opened.query).toContain('$1');
    });

    it('refuses a limit outside 1..100, an unknown orderBy, and anyone but an admin', async () => {
      for (const query of ['?limit=0', '?limit=101', '?limit=abc', '?orderBy=rows', '?other=1']) {
        const res = await statements(t!, query).expect(400);
        expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.errors.length).toBeGreaterThan(0);
      }
      const auditor = await createUser(t!, 'auditor');
      const refused = await statements(t!, '', auditor.key).expect(403);
      expect(refused.body.code).toBe('FORBIDDEN');
      await t!.http.get('/v1/admin/queries').expect(401);
    });
  });

  describe('on the main test server', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('pgssmain', { env: { TASKS_RUN_WORKERS: 'false', GROWTH_SCHEDULES_ENABLED: 'false' } });
    });
    afterAll(() => t.close());

    it('says the extension is not installed in a database without it', async () => {
      const res = await statements(t).expect(200);
      expect(res.body).toEqual({ available: false, reason: NOT_INSTALLED_REASON });
    });

    it('once created, reads it when the server preloads it, and otherwise says to preload it', async () => {
      await t.db.query('CREATE EXTENSION pg_stat_statements');
      const { rows } = await t.db.query<{ shared_preload_libraries: string }>('SHOW shared_preload_libraries');
      const preloaded = rows[0].shared_preload_libraries
        .split(',')
        .map((s) => s.trim().replace(/^"|"$/g, ''))
        .includes('pg_stat_statements');
      const res = await statements(t).expect(200);
      if (preloaded) {
        expect(res.body).toMatchObject({ available: true, orderBy: 'total' });
      } else {
        expect(res.body).toEqual({ available: false, reason: NOT_LOADED_REASON });
        expect(res.body.reason).toContain('shared_preload_libraries');
      }
    });
  });
});
