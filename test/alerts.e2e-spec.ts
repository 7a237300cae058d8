import { bearer, createUser, eventually, freePort, Sink, startSink, startTestApp, TestApp } from '@app/testing';

const SECRET = 'alert-webhook-secret-for-tests';

let seq = 0;
const fingerprint = () => `f${Date.now().toString(16)}${(seq++).toString(16).padStart(4, '0')}`;
const alert = (fp: string, over: Record<string, unknown> = {}) => ({
  status: 'firing',
  // test_id shows in the Slack text too, so each test finds its own deliveries.
  labels: { alertname: 'AllUseReadinessCheckFailing', severity: 'critical', check: 'redis', test_id: fp },
  annotations: {
    summary: 'Readiness check redis failing on api:3000',
    description: 'The redis check of /health/ready fails.',
    runbook: 'Check that Redis answers (redis-cli ping) from the instance.',
    runbook_url: 'https://example.test/docs/alerting.md#readiness-check-failing',
  },
  startsAt: '2026-11-29T20:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus:9090/graph?g0.expr=alluse_readiness_check_up',
  fingerprint: fp,
  ...over,
});
const payload = (alerts: unknown[]) => ({
  version: '4',
  groupKey: '{}:{alertname="AllUseReadinessCheckFailing"}',
  truncatedAlerts: 0,
  status: alerts.some((a: any) => a.status === 'firing') ? 'firing' : 'resolved',
  receiver: 'alluse',
  groupLabels: { alertname: 'AllUseReadinessCheckFailing' },
  commonLabels: {},
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts,
});

describe('alert receiver (e2e)', () => {
  let t: TestApp;
  let sink: Sink;
  const env = () => ({
    OUTBOUND_ALLOW: '127.0.0.1', // the sink is local
    ALERTS_WEBHOOK_SECRET: SECRET,
    ALERTS_NOTIFY_WEBHOOK_URL: `${sink.base}/hook`,
    ALERTS_NOTIFY_SLACK_URL: `${sink.base}/slack`,
  });
  const post = (app: TestApp, body: unknown, secret = SECRET) =>
    app.http
      .post('/v1/alerts/webhook')
      .set(bearer(secret))
      .send(body as object);
  const rows = async (fp: string) =>
    (await t.db.query('SELECT status, forwarded_status, ends_at FROM alerts WHERE fingerprint = $1', [fp])).rows;
  const deliveries = (fp: string) => sink.received.filter((r) => JSON.stringify(r.body).includes(fp));
  const delivered = (fp: string, n: number) =>
    eventually(() => Promise.resolve(deliveries(fp).length >= n ? true : undefined), `${n} deliveries of ${fp}`);

  beforeAll(async () => {
    sink = await startSink();
    t = await startTestApp('alerts', { env: env() });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  describe('authentication', () => {
    let unconfigured: TestApp;
    beforeAll(async () => {
      unconfigured = await startTestApp('alerts', { databaseName: t.databaseName, env: { ALERTS_WEBHOOK_SECRET: '' } });
      Object.assign(process.env, env()); // later apps of this file get the secret again
    });
    afterAll(() => unconfigured.close());

    it('refuses every call with 503 ALERT_RECEIVER_NOT_CONFIGURED when no secret is set', async () => {
      const fp = fingerprint();
      const res = await post(unconfigured, payload([alert(fp)])).expect(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'ALERT_RECEIVER_NOT_CONFIGURED', status: 503 });
      expect(await rows(fp)).toEqual([]);
    });

    it.each([
      ['no Authorization header', undefined],
      ['a wrong secret', 'not-the-alert-webhook-secret'],
      ['an API key that is valid for the API', 'ADMIN'],
      ['the secret with a suffix', `${SECRET}x`],
    ])('answers 401 ALERT_WEBHOOK_UNAUTHENTICATED to %s and records nothing', async (_case, secret) => {
      const fp = fingerprint();
      const req = t.http.post('/v1/alerts/webhook');
      if (secret) req.set(bearer(secret === 'ADMIN' ? t.adminKey : secret));
      const res = await req.send(payload([alert(fp)])).expect(401);
      expect(res.body).toMatchObject({ code: 'ALERT_WEBHOOK_UNAUTHENTICATED', status: 401 });
      expect(await rows(fp)).toEqual([]);
    });

    it('counts wrong secrets against the client address: past AUTH_FAILURE_LIMIT it answers 429, the right secret too', async () => {
      // Its own database and Redis prefix: the count of failures is shared by instances of one deployment.
      const limited = await startTestApp('alertslimit', {
        env: { ...env(), AUTH_FAILURE_LIMIT: '3', TASKS_RUN_WORKERS: 'false' },
      });
      try {
        for (let i = 0; i < 3; i++) {
          expect((await post(limited, payload([alert(fingerprint())]), `guess-${i}`).expect(401)).body.code).toBe(
            'ALERT_WEBHOOK_UNAUTHENTICATED',
          );
        }
        const fp = fingerprint();
        const blocked = await post(limited, payload([alert(fp)]), 'guess-4').expect(429);
        expect(blocked.body.code).toBe('RATE_LIMITED');
        expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
        await post(limited, payload([alert(fp)])).expect(429);
        expect((await limited.db.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n).toBe(0);
      } finally {
        await limited.close();
      }
    });
  });

  describe('validation', () => {
    it.each([
      ['a body that is not an object', 'body', [1, 2]],
      ['another payload version', 'version', { ...payload([alert('x1')]), version: '3' }],
      [
        'an alert without alertname',
        'alerts[0].labels.alertname',
        payload([alert('x2', { labels: { severity: 'page' } })]),
      ],
      ['an unknown status', 'alerts[0].status', payload([alert('x3', { status: 'pending' })])],
      ['a bad startsAt', 'alerts[0].startsAt', payload([alert('x4', { startsAt: 'now' })])],
    ])('answers 400 VALIDATION_FAILED to %s, naming %s, and records nothing', async (_case, field, body) => {
      const before = (await t.db.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n;
      const res = await post(t, body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect((await t.db.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n).toBe(before);
    });

    it('records nothing of a call whose second alert is bad', async () => {
      const fp = fingerprint();
      await post(t, payload([alert(fp), alert('x5', { startsAt: 'never' })])).expect(400);
      expect(await rows(fp)).toEqual([]);
    });
  });

  describe('recording and forwarding', () => {
    it('records a firing alert and forwards it once to the webhook and to Slack, however often Alertmanager repeats the call', async () => {
      const fp = fingerprint();
      const first = await post(t, payload([alert(fp)])).expect(200);
      expect(first.body).toEqual({ received: 1, changed: 1, forwarded: 2 });
      const again = await post(t, payload([alert(fp)])).expect(200);
      expect(again.body).toEqual({ received: 1, changed: 0, forwarded: 0 });
      expect(await rows(fp)).toEqual([{ status: 'firing', forwarded_status: 'firing', ends_at: null }]);

      await delivered(fp, 2);
      await new Promise((r) => setTimeout(r, 300)); // nothing more arrives
      const got = deliveries(fp);
      expect(got.map((d) => d.path).sort()).toEqual(['/hook', '/slack']);
      const hook = got.find((d) => d.path === '/hook')!.body;
      expect(hook).toMatchObject({
        event: 'alert.firing',
        data: {
          fingerprint: fp,
          name: 'AllUseReadinessCheckFailing',
          status: 'firing',
          severity: 'critical',
          labels: { check: 'redis' },
          startsAt: '2026-11-29T20:00:00.000Z',
          endsAt: null,
        },
      });
      const slack = got.find((d) => d.path === '/slack')!.body.text as string;
      expect(slack).toContain(':rotating_light: FIRING: *AllUseReadinessCheckFailing* (critical)');
      expect(slack).toContain('Runbook: Check that Redis answers');
      expect(slack).toContain('#readiness-check-failing');
    });

    it('forwards the resolution once, and a late firing call does not reopen it', async () => {
      const fp = fingerprint();
      await post(t, payload([alert(fp)])).expect(200);
      const resolved = alert(fp, { status: 'resolved', endsAt: '2026-11-29T20:03:00Z' });
      expect((await post(t, payload([resolved])).expect(200)).body).toEqual({ received: 1, changed: 1, forwarded: 2 });
      expect((await post(t, payload([resolved])).expect(200)).body.changed).toBe(0);
      expect((await post(t, payload([alert(fp)])).expect(200)).body.changed).toBe(0);
      expect(await rows(fp)).toEqual([
        { status: 'resolved', forwarded_status: 'resolved', ends_at: new Date('2026-11-29T20:03:00Z') },
      ]);

      await delivered(fp, 4);
      await new Promise((r) => setTimeout(r, 300));
      const events = deliveries(fp).map((d) => (d.path === '/hook' ? d.body.event : d.body.text.split(':')[1]));
      expect(events.sort()).toEqual(['alert.firing', 'alert.resolved', 'rotating_light', 'white_check_mark']);
    });

    it('treats a new start of the same alert as a new occurrence', async () => {
      const fp = fingerprint();
      await post(t, payload([alert(fp)])).expect(200);
      await post(t, payload([alert(fp, { status: 'resolved', endsAt: '2026-11-29T20:03:00Z' })])).expect(200);
      const again = await post(t, payload([alert(fp, { startsAt: '2026-11-29T21:00:00Z' })])).expect(200);
      expect(again.body.changed).toBe(1);
      expect((await rows(fp)).map((r) => r.status).sort()).toEqual(['firing', 'resolved']);
    });

    it('counts received and forwarded alerts at /metrics', async () => {
      const text = (await t.http.get('/metrics').expect(200)).text;
      expect(text).toMatch(/^alluse_alerts_received_total\{status="firing"\} [1-9]\d*$/m);
      expect(text).toMatch(/^alluse_alerts_received_total\{status="resolved"\} [1-9]\d*$/m);
      expect(text).toMatch(/^alluse_alerts_forwarded_total\{channel="webhook"\} [1-9]\d*$/m);
      expect(text).toMatch(/^alluse_alerts_forwarded_total\{channel="slack"\} [1-9]\d*$/m);
    });
  });

  describe('with Redis unreachable', () => {
    let down: TestApp;
    beforeAll(async () => {
      down = await startTestApp('alerts', {
        databaseName: t.databaseName,
        env: { ...env(), REDIS_URL: `redis://127.0.0.1:${await freePort()}`, TASKS_RUN_WORKERS: 'false' },
      });
    });
    afterAll(() => down.close());

    it('records the alert but answers 503 so that Alertmanager retries; the retry forwards it', async () => {
      const fp = fingerprint();
      const res = await post(down, payload([alert(fp)])).expect(503);
      expect(res.body).toMatchObject({ code: 'ALERT_FORWARDING_UNAVAILABLE', retryAfterSeconds: 10 });
      expect(res.headers['retry-after']).toBe('10');
      expect(await rows(fp)).toEqual([{ status: 'firing', forwarded_status: null, ends_at: null }]);

      // Alertmanager's retry reaches an instance whose Redis answers.
      expect((await post(t, payload([alert(fp)])).expect(200)).body).toEqual({ received: 1, changed: 1, forwarded: 2 });
      await delivered(fp, 2);
    });
  });

  describe('listing', () => {
    let auditor: { key: string };
    let manager: { key: string };
    beforeAll(async () => {
      auditor = await createUser(t, 'auditor');
      manager = await createUser(t, 'manager');
    });

    it('lists alerts newest first, filtered by status, one page at a time', async () => {
      const fps = [fingerprint(), fingerprint(), fingerprint()];
      for (const fp of fps) await post(t, payload([alert(fp)])).expect(200);
      await post(t, payload([alert(fps[1], { status: 'resolved', endsAt: '2026-11-29T20:03:00Z' })])).expect(200);

      const firing = await t.http.get('/v1/alerts?status=firing&limit=1').set(bearer(auditor.key)).expect(200);
      expect(firing.body.items).toHaveLength(1);
      expect(firing.body.items[0]).toMatchObject({ fingerprint: fps[2], status: 'firing', endsAt: null });
      expect(firing.body.nextCursor).toBe(firing.body.items[0].id);
      const next = await t.http
        .get(`/v1/alerts?status=firing&limit=1&cursor=${firing.body.nextCursor}`)
        .set(bearer(t.adminKey))
        .expect(200);
      expect(next.body.items[0].fingerprint).toBe(fps[0]); // fps[1] resolved

      const resolved = await t.http.get('/v1/alerts?status=resolved').set(bearer(t.adminKey)).expect(200);
      expect(resolved.body.items[0]).toMatchObject({
        fingerprint: fps[1],
        status: 'resolved',
        endsAt: '2026-11-29T20:03:00.000Z',
      });
      expect(resolved.body.items.every((a: { status: string }) => a.status === 'resolved')).toBe(true);
    });

    it('refuses other roles, no key, and a bad status', async () => {
      expect((await t.http.get('/v1/alerts').set(bearer(manager.key)).expect(403)).body.code).toBe('FORBIDDEN');
      expect((await t.http.get('/v1/alerts').expect(401)).body.code).toBe('UNAUTHENTICATED');
      expect((await t.http.get('/v1/alerts').set(bearer(SECRET)).expect(401)).body.code).toBe('UNAUTHENTICATED');
      const bad = await t.http.get('/v1/alerts?status=pending').set(bearer(t.adminKey)).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
    });
  });
});
