import { randomUUID } from 'node:crypto';
import {
  bearer,
  createUser,
  eventually,
  grant,
  openPortfolio,
  snapshot,
  startTestApp,
  TestApp,
  TestUser,
} from '@app/testing';
import { project, type ProjectionParams, type StartState } from '../src/modules/projections/domain/projection';
import { startFromCapital } from '../src/modules/projections/domain/projection-input';
import { toCsv, toOutput } from '../src/modules/projections/domain/projection-output';

const EXAMPLE = {
  capital: '250000.00',
  years: 5,
  allocation: { gen: 40, rev: 30, com: 30 },
  bufferPct: 5,
  weeklyRates: { gen: 1.5, rev: 1.0, com: 0.5 },
  forkThreshold: '50000.00',
  mergeThreshold: '500000.00',
};

const DEFAULT_PARAMS = (years: number): ProjectionParams => ({
  years,
  bufferBp: 500,
  weeklyRatesPpm: { gen: 15_000, rev: 10_000, com: 5_000 },
  forkThreshold: 5_000_000n,
  mergeThreshold: 50_000_000n,
});

const text = (res: { text?: string; body: unknown }) =>
  typeof res.text === 'string' && res.text.length ? res.text : Buffer.from(res.body as Buffer).toString('utf8');

describe('projections (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;
  let viewer: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    t = await startTestApp('projections');
    [manager, viewer, stranger] = await Promise.all([
      createUser(t, 'manager'),
      createUser(t, 'viewer'),
      createUser(t, 'manager', 'another manager'),
    ]);
  });
  afterAll(() => t.close());

  const calculate = (body: object, key = manager.key, format?: string) =>
    t.http
      .post(`/v1/projections${format ? `?format=${format}` : ''}`)
      .set(bearer(key))
      .buffer(true)
      .send(body);

  describe('POST /v1/projections', () => {
    it('answers the projection of a new capital, exactly as the model computes it', async () => {
      const res = await calculate(EXAMPLE).expect(200);
      const expected = toOutput(project(DEFAULT_PARAMS(5), startFromCapital(25_000_000n, EXAMPLE.allocation)));
      expect(res.body).toEqual(JSON.parse(JSON.stringify(expected)));
      expect(res.body.years).toHaveLength(5);
      expect(res.body.years[0]).toMatchObject({ year: 1, activeUnits: 1, forks: 1, merges: 0 });
      expect(res.body.events[0]).toMatchObject({ kind: 'fork', unit: 1, count: 1, parent: 0 });
      expect(res.body.cagr).toBeGreaterThan(0);
      expect(res.body.initialValue).toBe('250000.00');
    });

    it('applies the domain defaults to every field left out', async () => {
      const full = await calculate(EXAMPLE).expect(200);
      const minimal = await calculate({ capital: '250000.00', years: 5 }).expect(200);
      expect(minimal.body).toEqual(full.body);
      const partial = await calculate({ capital: '250000.00', years: 5, weeklyRates: { gen: 1.5 } }).expect(200);
      expect(partial.body).toEqual(full.body);
      const other = await calculate({ capital: '250000.00', years: 5, weeklyRates: { com: 0.6 } }).expect(200);
      expect(other.body.years[4].totalValue).not.toBe(full.body.years[4].totalValue);
    });

    it('is a calculator any role may use', async () => {
      for (const role of ['viewer', 'auditor', 'operator']) {
        const user = await createUser(t, role);
        await calculate({ capital: '1000.00', years: 1 }, user.key).expect(200);
      }
      await t.http.post('/v1/projections').send({ capital: '1000.00', years: 1 }).expect(401);
    });

    it('answers the years table as CSV', async () => {
      const res = await calculate(EXAMPLE, manager.key, 'csv').expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const expected = toCsv(toOutput(project(DEFAULT_PARAMS(5), startFromCapital(25_000_000n, EXAMPLE.allocation))));
      expect(text(res)).toBe(expected);
      expect(text(res).split('\r\n')[0]).toBe(
        'year,genBalance,revBalance,comBalance,forkedUnitsValue,totalValue,income,activeUnits,forks,merges',
      );
    });

    it('draws total value and income by year as an SVG', async () => {
      const res = await calculate(EXAMPLE, manager.key, 'svg').expect(200);
      expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
      const svg = text(res);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect(svg).toContain('Total value');
      expect(svg).toContain('Income');
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    });

    it.each([
      ['allocation not summing to 100', { allocation: { gen: 40, rev: 30, com: 29 } }, 'allocation'],
      ['a fractional allocation', { allocation: { gen: 40.5, rev: 29.5, com: 30 } }, 'allocation.gen'],
      ['an allocation missing a type', { allocation: { gen: 70, rev: 30 } }, 'allocation.com'],
      ['a buffer above 20', { bufferPct: 21 }, 'bufferPct'],
      ['a negative buffer', { bufferPct: -1 }, 'bufferPct'],
      ['a weekly rate above 5', { weeklyRates: { gen: 5.5 } }, 'weeklyRates.gen'],
      ['a negative weekly rate', { weeklyRates: { rev: -0.1 } }, 'weeklyRates.rev'],
      ['a weekly rate with 5 decimals', { weeklyRates: { com: 0.00001 } }, 'weeklyRates.com'],
      ['a weekly rate as a string', { weeklyRates: { com: '0.5' } }, 'weeklyRates.com'],
      ['no years', { years: undefined }, 'years'],
      ['0 years', { years: 0 }, 'years'],
      ['51 years', { years: 51 }, 'years'],
      ['fractional years', { years: 2.5 }, 'years'],
      ['capital as a number', { capital: 1000 }, 'capital'],
      ['capital with three decimals', { capital: '1000.001' }, 'capital'],
      ['no capital', { capital: undefined }, 'capital'],
      ['a merge threshold at the fork threshold', { mergeThreshold: '50000.00' }, 'mergeThreshold'],
      ['a merge threshold below the default fork threshold', { mergeThreshold: '40000.00' }, 'mergeThreshold'],
      ['a zero fork threshold', { forkThreshold: '0.00' }, 'forkThreshold'],
      ['a null buffer', { bufferPct: null }, 'bufferPct'],
      ['an unknown field', { horizon: 3 }, 'horizon'],
    ])('refuses %s with a 400 naming the field, changing nothing', async (_name, change, field) => {
      const before = await snapshot(t.db);
      const res = await calculate({ ...EXAMPLE, ...change });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await snapshot(t.db)).toEqual(before);
    });

    it('refuses an unknown format', async () => {
      const res = await calculate(EXAMPLE, manager.key, 'pdf').expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('format');
    });
  });

  describe('POST /v1/portfolios/:id/projection', () => {
    /** Inserts an active (or merged) forked unit with its two accounts, directly (as the fork engine would). */
    async function insertUnit(
      portfolioId: string,
      parentAccountId: string,
      unit: { gen: bigint; baseline: bigint; com: bigint; comLeaps?: bigint; status?: 'ACTIVE' | 'MERGED' },
    ) {
      const unitId = randomUUID();
      const status = unit.status ?? 'ACTIVE';
      const config = (await t.db.query(`SELECT config FROM accounts WHERE id = $1`, [parentAccountId])).rows[0].config;
      const client = await t.db.connect();
      try {
        await client.query('BEGIN');
        const gen = await client.query(
          `INSERT INTO accounts (portfolio_id, type, status, unit_id, parent_account_id, baseline, cash, buffer_bp, config)
           VALUES ($1, 'GEN', $2, $3, $4, $5, $6, 500, $7) RETURNING id`,
          [portfolioId, status, unitId, parentAccountId, unit.baseline.toString(), unit.gen.toString(), config],
        );
        const com = await client.query(
          `INSERT INTO accounts (portfolio_id, type, status, unit_id, parent_account_id, cash, leaps, buffer_bp, config)
           VALUES ($1, 'COM', $2, $3, $4, $5, $6, 500, $7) RETURNING id`,
          [
            portfolioId,
            status,
            unitId,
            parentAccountId,
            (unit.com - (unit.comLeaps ?? 0n)).toString(),
            (unit.comLeaps ?? 0n).toString(),
            config,
          ],
        );
        await client.query(
          `INSERT INTO units (id, portfolio_id, parent_account_id, gen_account_id, com_account_id, status, amount,
                              trigger, fork_transaction_id, merge_transaction_id, created_at, merged_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'automatic', $8, $9, now(), $10)`,
          [
            unitId,
            portfolioId,
            parentAccountId,
            gen.rows[0].id,
            com.rows[0].id,
            status,
            (unit.baseline * 2n).toString(),
            randomUUID(),
            status === 'MERGED' ? randomUUID() : null,
            status === 'MERGED' ? new Date() : null,
          ],
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }

    it('projects from the current state: root totals, active units in creation order, buffer, thresholds, targets', async () => {
      const p = await openPortfolio(t, manager.key, {
        name: 'With units',
        initialCapital: '250000.00',
        forkThreshold: '40000.00',
        mergeThreshold: '300000.00',
      });
      await t.db.query(`UPDATE accounts SET config = jsonb_set(config, '{weeklyTargetPct}', '2.25') WHERE id = $1`, [
        p.gen,
      ]);
      await insertUnit(p.id, p.gen, { gen: 3_000_000n, baseline: 2_500_000n, com: 2_600_000n, comLeaps: 100_000n });
      await insertUnit(p.id, p.gen, { gen: 9_000_000n, baseline: 9_000_000n, com: 9_000_000n, status: 'MERGED' });
      await insertUnit(p.id, p.gen, { gen: 2_000_000n, baseline: 2_100_000n, com: 2_000_000n });

      const res = await t.http
        .post(`/v1/portfolios/${p.id}/projection`)
        .set(bearer(manager.key))
        .send({ years: 3 })
        .expect(200);
      const start: StartState = {
        gen: 10_000_000n,
        genBaseline: 10_000_000n,
        rev: 7_500_000n,
        com: 7_500_000n,
        units: [
          { gen: 3_000_000n, baseline: 2_500_000n, com: 2_600_000n },
          { gen: 2_000_000n, baseline: 2_100_000n, com: 2_000_000n },
        ],
      };
      const params: ProjectionParams = {
        years: 3,
        bufferBp: 500,
        weeklyRatesPpm: { gen: 22_500, rev: 10_000, com: 5_000 },
        forkThreshold: 4_000_000n,
        mergeThreshold: 30_000_000n,
      };
      expect(res.body).toEqual(JSON.parse(JSON.stringify(toOutput(project(params, start)))));
      expect(res.body.initialValue).toBe('346000.00'); // 250,000 + the two active units (56,000 + 40,000)
      const firstNew = res.body.events.find((e: any) => e.kind === 'fork');
      expect(firstNew.unit).toBe(3); // the two existing active units are 1 and 2

      const csv = await t.http
        .post(`/v1/portfolios/${p.id}/projection?format=csv`)
        .set(bearer(manager.key))
        .send({ years: 3 })
        .expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.text.split('\r\n')).toHaveLength(5);
      const svg = await t.http
        .post(`/v1/portfolios/${p.id}/projection?format=svg`)
        .set(bearer(manager.key))
        .buffer(true)
        .send({ years: 3 })
        .expect(200);
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(text(svg).startsWith('<svg')).toBe(true);
    });

    it('needs read access: a granted viewer may, an invisible portfolio is a 404, and nothing changes', async () => {
      const p = await openPortfolio(t, manager.key);
      const before = await snapshot(t.db);
      const ask = (key: string, id = p.id, body: object = { years: 2 }) =>
        t.http.post(`/v1/portfolios/${id}/projection`).set(bearer(key)).send(body);
      expect((await ask(viewer.key)).body.code).toBe('PORTFOLIO_NOT_FOUND');
      expect((await ask(stranger.key)).status).toBe(404);
      expect((await ask(manager.key, randomUUID())).status).toBe(404);
      expect((await ask(manager.key, 'not-a-uuid')).status).toBe(400);
      const bad = await ask(manager.key, p.id, { years: 0 });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].field).toBe('years');
      expect((await ask(manager.key, p.id, {})).status).toBe(400);
      expect((await ask(manager.key, p.id, { years: 2, capital: '1.00' })).status).toBe(400);
      expect(await snapshot(t.db)).toEqual(before);

      await grant(t, manager.key, p.id, viewer.id, 'viewer');
      await ask(viewer.key).expect(200);
      await ask(t.adminKey).expect(200);
    });
  });

  describe('as a task (sync budget 0)', () => {
    let queued: TestApp;

    beforeAll(async () => {
      queued = await startTestApp('projections', {
        databaseName: t.databaseName,
        env: { PROJECTION_SYNC_BUDGET_MS: '0' },
      });
    });
    afterAll(() => queued.close());

    const finished = (id: string, key: string) =>
      eventually(async () => {
        const res = await queued.http.get(`/v1/tasks/${id}`).set(bearer(key)).expect(200);
        return res.body.state === 'completed' ? res.body : undefined;
      }, `projection task ${id}`);

    it('answers 202 with a task whose result is the projection, in json, csv and svg', async () => {
      const sync = await calculate(EXAMPLE).expect(200);
      const res = await queued.http.post('/v1/projections?format=svg').set(bearer(manager.key)).send(EXAMPLE);
      expect(res.status).toBe(202);
      expect(res.body.id).toMatch(/^projections:/);
      expect(res.body.resultUrl).toBe(`/v1/projections/tasks/${encodeURIComponent(res.body.id)}?format=svg`);
      const task = await finished(res.body.id, manager.key);
      expect(task.result).toEqual(sync.body);
      expect(task.progress).toBe(100);

      const url = `/v1/projections/tasks/${encodeURIComponent(res.body.id)}`;
      const json = await queued.http.get(url).set(bearer(manager.key)).expect(200);
      expect(json.body).toEqual(sync.body);
      const csv = await queued.http.get(`${url}?format=csv`).set(bearer(manager.key)).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.text).toBe(toCsv(sync.body));
      const svg = await queued.http.get(res.body.resultUrl).set(bearer(manager.key)).buffer(true).expect(200);
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
      expect(text(svg).startsWith('<svg')).toBe(true);

      // Only its owner and admins see it.
      expect((await queued.http.get(url).set(bearer(stranger.key))).status).toBe(404);
      expect((await queued.http.get(url).set(bearer(viewer.key))).body.code).toBe('TASK_NOT_FOUND');
      await queued.http.get(url).set(bearer(queued.adminKey)).expect(200);
      // Another queue's task is not a projection.
      expect((await queued.http.get('/v1/projections/tasks/diagnostics:abc').set(bearer(manager.key))).status).toBe(
        404,
      );
      expect((await queued.http.get('/v1/projections/tasks/nonsense').set(bearer(manager.key))).status).toBe(400);
    });

    it('queues a portfolio projection with the state read at request time', async () => {
      const p = await openPortfolio(t, manager.key);
      const sync = await t.http
        .post(`/v1/portfolios/${p.id}/projection`)
        .set(bearer(manager.key))
        .send({ years: 2 })
        .expect(200);
      const res = await queued.http
        .post(`/v1/portfolios/${p.id}/projection`)
        .set(bearer(manager.key))
        .send({ years: 2 })
        .expect(202);
      const task = await finished(res.body.id, manager.key);
      expect(task.result).toEqual(sync.body);
    });

    it('still validates before queueing anything', async () => {
      const res = await queued.http
        .post('/v1/projections')
        .set(bearer(manager.key))
        .send({ ...EXAMPLE, years: 60 });
      expect(res.status).toBe(400);
    });
  });
});
