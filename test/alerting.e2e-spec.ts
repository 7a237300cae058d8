import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { bearer, eventually, freePort, Sink, startSink, startTestApp, TestApp } from '@app/testing';

/**
 * The whole alerting path with the real binaries: Prometheus scrapes app A and evaluates
 * docker/prometheus/alerts.yml, Alertmanager (docker/alertmanager/alertmanager.yml) routes to the
 * receiver of app B, which records the alerts and forwards them to a local webhook and a local
 * Slack-compatible endpoint. The fault: A's own Redis is killed, then started again.
 */
const root = join(__dirname, '..');
const SECRET = 'alerting-e2e-webhook-secret';
const ALERT = 'AllUseReadinessCheckFailing';
const WAIT_MS = 45_000;

interface Alert {
  fingerprint: string;
  name: string;
  status: string;
  labels: Record<string, string>;
  startsAt: string;
}

/** Resolves when `url` answers 200 (a server that is up and ready). */
const ready = (url: string, what: string) =>
  eventually(
    async () => ((await fetch(url).catch(() => undefined))?.ok ? true : undefined),
    `${what} to be ready`,
    WAIT_MS,
  );

describe('alerting end to end (Prometheus, Alertmanager, receiver)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alluse-alerting-'));
  const children: ChildProcess[] = [];
  let redis: ChildProcess | undefined;
  let redisPort: number;
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let sink: Sink;
  let alertmanagerUrl: string;

  const startChild = (command: string, args: string[]) => {
    const child = spawn(command, args, { cwd: dir, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const startRedis = async () => {
    redis = startChild('redis-server', [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
    await eventually(async () => {
      const probe = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: 'ignore' });
      return (await new Promise((r) => probe.on('exit', r))) === 0 ? true : undefined;
    }, 'redis to start');
  };
  const stop = async (child: ChildProcess | undefined) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };

  /** What B recorded (GET /v1/alerts, as an admin). */
  const recorded = async (status: 'firing' | 'resolved'): Promise<Alert[]> =>
    (await b!.http.get(`/v1/alerts?status=${status}&limit=500`).set(bearer(b!.adminKey)).expect(200)).body.items;
  const recordedWith = (status: 'firing' | 'resolved', check: string, after = '') =>
    eventually(
      async () =>
        (await recorded(status)).find((x) => x.name === ALERT && x.labels.check === check && x.startsAt > after),
      `B to record ${ALERT}{check="${check}"} as ${status}`,
      WAIT_MS,
    );
  const forwarded = ({ fingerprint, labels, startsAt }: Alert, status: 'firing' | 'resolved') =>
    eventually(
      () => {
        const hook = sink.received.find(
          (r) => r.path === '/hook' && r.body.event === `alert.${status}` && r.body.data.fingerprint === fingerprint,
        );
        const slack = sink.received.find(
          (r) =>
            r.path === '/slack' &&
            r.body.text.includes(`${status.toUpperCase()}: *${ALERT}*`) &&
            r.body.text.includes(`check=${labels.check}`) &&
            r.body.text.includes(`Since ${startsAt}`),
        );
        return Promise.resolve(hook && slack ? { hook: hook.body, slack: slack.body.text as string } : undefined);
      },
      `the ${status} alert to reach the webhook and Slack`,
      WAIT_MS,
    );

  beforeAll(async () => {
    sink = await startSink();
    // B, the receiver: the shared Redis, queue workers on, both channels pointing at the sink.
    b = await startTestApp('alerting', {
      env: {
        OUTBOUND_ALLOW: '127.0.0.1', // the sink is local
        ALERTS_WEBHOOK_SECRET: SECRET,
        ALERTS_NOTIFY_WEBHOOK_URL: `${sink.base}/hook`,
        ALERTS_NOTIFY_SLACK_URL: `${sink.base}/slack`,
      },
    });
    const bPort = await freePort();
    await b.app.listen(bPort, '127.0.0.1');

    // A, the scraped one, with its queue workers, on a Redis of its own that the test kills.
    redisPort = await freePort();
    await startRedis();
    a = await startTestApp('alerting', {
      databaseName: b.databaseName,
      env: { REDIS_URL: `redis://127.0.0.1:${redisPort}` },
    });
    const aPort = await freePort();
    await a.app.listen(aPort, '127.0.0.1');

    // Alertmanager: the committed configuration with its routing tree, waiting times shortened and
    // the receiver's URL and secret file pointed at B.
    const amPort = await freePort();
    alertmanagerUrl = `http://127.0.0.1:${amPort}`;
    writeFileSync(join(dir, 'secret'), SECRET);
    const am = parse(readFileSync(join(root, 'docker/alertmanager/alertmanager.yml'), 'utf8'));
    const shorten = (route: Record<string, any>) => {
      for (const key of ['group_wait', 'group_interval']) if (key in route || route === am.route) route[key] = '1s';
      for (const child of route.routes ?? []) shorten(child);
    };
    shorten(am.route);
    for (const receiver of am.receivers) {
      for (const hook of receiver.webhook_configs ?? []) {
        hook.url = `http://127.0.0.1:${bPort}/v1/alerts/webhook`;
        hook.http_config.authorization.credentials_file = join(dir, 'secret');
      }
    }
    writeFileSync(join(dir, 'alertmanager.yml'), stringify(am));
    startChild('prometheus-alertmanager', [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=', // no gossip port: one instance
    ]);

    // Prometheus: the committed rules with every `for:` shortened to 2s (alerts.test.yml tests the
    // real durations); nothing else about them changes. A scrape every 2 s with a 2 s timeout:
    // with Redis down, /metrics waits up to 1 s for its collectors.
    const rules = parse(readFileSync(join(root, 'docker/prometheus/alerts.yml'), 'utf8'));
    for (const group of rules.groups) for (const rule of group.rules) if (rule.for) rule.for = '2s';
    writeFileSync(join(dir, 'alerts.yml'), stringify(rules));
    const promPort = await freePort();
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '1s' },
        rule_files: ['alerts.yml'],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
        scrape_configs: [{ job_name: 'alluse', static_configs: [{ targets: [`127.0.0.1:${aPort}`] }] }],
      }),
    );
    startChild('prometheus', [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'prometheus')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--rules.alert.resend-delay=1s',
    ]);
    await ready(`${alertmanagerUrl}/-/ready`, 'Alertmanager');
    await ready(`http://127.0.0.1:${promPort}/-/ready`, 'Prometheus');
    // Every check passes on A before the fault.
    await eventually(
      async () => {
        const res = await fetch(
          `http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent('min(alluse_readiness_check_up)')}`,
        );
        const result = ((await res.json()) as { data?: { result: { value: [number, string] }[] } }).data?.result ?? [];
        return result[0]?.value[1] === '1' ? true : undefined;
      },
      'Prometheus to see A ready',
      WAIT_MS,
    );
  }, 120_000);

  afterAll(async () => {
    // Everything started here goes, whatever happened above. A closes promptly only with its
    // Redis there (connections lost mid-way wait for it), so Redis comes back first if it is down.
    const redisDown = !redis || redis.exitCode !== null || redis.signalCode !== null;
    if (a && redisDown) await startRedis().catch(() => undefined);
    await a?.close();
    await b?.close();
    await Promise.all(children.map(stop));
    await sink?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  let firing: Alert;

  it('fires the readiness alert when A loses its Redis, records it in B and forwards it to both channels', async () => {
    await stop(redis);
    firing = await recordedWith('firing', 'redis');
    expect(firing.labels).toMatchObject({ alertname: ALERT, severity: 'critical', check: 'redis', job: 'alluse' });

    const { hook, slack } = await forwarded(firing, 'firing');
    expect(hook.data).toMatchObject({ name: ALERT, status: 'firing', labels: { check: 'redis' } });
    expect(hook.data.annotations.runbook_url).toBe(`docs/alerting.md#${ALERT.toLowerCase()}`);
    expect(slack).toContain(`FIRING: *${ALERT}* (critical)`);
    expect(slack).toContain('Runbook: GET /health/ready');
  }, 90_000);

  it('resolves it once Redis is back, records the resolution and forwards it', async () => {
    await startRedis();
    const resolved = await eventually(
      async () => (await recorded('resolved')).find((x) => x.fingerprint === firing.fingerprint),
      'B to record the resolution',
      WAIT_MS,
    );
    expect(resolved).toMatchObject({ status: 'resolved', startsAt: firing.startsAt, endsAt: expect.any(String) });
    const { hook, slack } = await forwarded(firing, 'resolved');
    expect(hook.data).toMatchObject({ status: 'resolved', fingerprint: firing.fingerprint });
    expect(slack).toContain(`RESOLVED: *${ALERT}*`);
  }, 90_000);

  it('delivers nothing for an alert silenced through the Alertmanager API, while others of its group still arrive', async () => {
    // Every check of the first outage has resolved (the queues check failed with Redis too), so
    // that the next outage starts new occurrences: the queues one is the control below.
    await eventually(
      async () => ((await recorded('firing')).some((x) => x.name === ALERT) ? undefined : true),
      'every readiness alert to resolve',
      WAIT_MS,
    );
    const silence = await fetch(`${alertmanagerUrl}/api/v2/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [
          { name: 'alertname', value: ALERT, isRegex: false, isEqual: true },
          { name: 'check', value: 'redis', isRegex: false, isEqual: true },
        ],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'alerting.e2e-spec',
        comment: 'planned Redis maintenance',
      }),
    });
    expect(silence.status).toBe(200);
    const secondOutage = new Date().toISOString();

    await stop(redis);
    // Alertmanager has the redis alert, and holds it back.
    await eventually(
      async () => {
        const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?filter=check%3D%22redis%22&silenced=true`);
        const alerts = (await res.json()) as { startsAt: string; status: { state: string } }[];
        return alerts.find((x) => x.startsAt > secondOutage && x.status.state === 'suppressed');
      },
      'Alertmanager to suppress the silenced alert',
      WAIT_MS,
    );
    // The queues check fails with it, in the same group (same alertname and severity): once its new
    // occurrence has reached B, a notification of that group has gone out without the redis alert.
    const control = await recordedWith('firing', 'queues', secondOutage);
    await forwarded(control, 'firing');
    const all = [...(await recorded('firing')), ...(await recorded('resolved'))];
    expect(all.filter((x) => x.labels.check === 'redis' && x.startsAt > secondOutage)).toEqual([]);
    expect(
      sink.received.filter(
        (r) => r.path === '/hook' && r.body.data.labels.check === 'redis' && r.body.data.startsAt > secondOutage,
      ),
    ).toEqual([]);
  }, 120_000);
});
