import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearer, createUser, eventually, freePort, openPortfolio, startTestApp, TestApp, TestUser } from '@app/testing';
import { OutboundUrlPolicy } from '../src/modules/async-tasks/outbound-url-policy';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';
import { TasksProducer } from '../src/modules/async-tasks/tasks.producer';

/** A local HTTP server standing in for a webhook destination; it records each request's Host and path. */
interface Destination {
  url: string;
  port: number;
  requests: { host?: string; path?: string }[];
  close(): Promise<void>;
}

async function destination(answer: Answer): Promise<Destination> {
  const requests: Destination['requests'] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ host: req.headers.host, path: req.url });
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Answer = (req: IncomingMessage, res: ServerResponse) => void;
const ok: Answer = (_req, res) => void res.end('{}');

describe('outbound calls are SSRF-safe (e2e)', () => {
  /** No OUTBOUND_ALLOW: only public addresses. */
  let plain: TestApp;
  /** OUTBOUND_ALLOW=127.0.0.1, a 1 KiB answer limit and a 1 s deadline. */
  let allowed: TestApp;
  let manager: TestUser;
  const destinations: Destination[] = [];

  const env = {
    TASKS_NOTIFICATIONS_ATTEMPTS: '1',
    OUTBOUND_MAX_RESPONSE_BYTES: '1024',
    TASKS_OUTBOUND_TIMEOUT_MS: '1000',
  };

  beforeAll(async () => {
    plain = await startTestApp('ssrf', { env });
    allowed = await startTestApp('ssrfallow', { env: { ...env, OUTBOUND_ALLOW: '127.0.0.1' } });
    manager = await createUser(plain, 'manager');
  });
  afterAll(async () => {
    await Promise.all(destinations.map((d) => d.close()));
    await allowed.close();
    await plain.close();
  });

  const local = async (answer = ok) => {
    const d = await destination(answer);
    destinations.push(d);
    return d;
  };
  const notify = (t: TestApp, url: string) =>
    t.app
      .get(TasksProducer)
      .add('notifications', 'test', { channel: 'webhook', url, event: 'ssrf.test', data: {} }, { ownerId: undefined });
  const finished = (t: TestApp, id: string) =>
    eventually(async () => {
      const view = (await t.http.get(`/v1/tasks/${id}`).set(bearer(t.adminKey)).expect(200)).body;
      return ['completed', 'failed'].includes(view.state) ? view : undefined;
    }, `task ${id} to finish`);

  describe('at submission (?notifyUrl= of an import)', () => {
    const line = (accountId: string) => JSON.stringify({ kind: 'PREMIUM', accountId, amount: '1.00' });
    const submit = (t: TestApp, key: string, portfolioId: string, accountId: string, notifyUrl: string) =>
      t.http
        .post(`/v1/portfolios/${portfolioId}/imports`)
        .query({ notifyUrl })
        .set(bearer(key))
        .set('content-type', 'application/x-ndjson')
        .send(line(accountId));
    const stored = async (t: TestApp) => {
      const { rows } = await t.db.query('SELECT count(*)::int AS n FROM imports');
      const queues = t.app.get(QueueRegistry);
      const jobs = await Promise.all(
        (['imports', 'notifications'] as const).map((q) =>
          queues.get(q).getJobCountByTypes('wait', 'waiting-children', 'active', 'delayed', 'completed', 'failed'),
        ),
      );
      return { imports: rows[0].n as number, jobs: jobs[0] + jobs[1] };
    };

    it.each([
      ['http://127.0.0.1:9/hook', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://localhost:9/hook', 'OUTBOUND_URL_FORBIDDEN'], // a name that resolves only to loopback
      ['http://0x7f000001/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://[::ffff:127.0.0.1]/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://[::1]:9/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://0.0.0.0:9/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://169.254.169.254/latest/meta-data/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://10.0.0.1/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://172.16.5.4/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://192.168.1.1/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://[fd00:ec2::254]/', 'OUTBOUND_URL_FORBIDDEN'],
      ['http://[fe80::1]/', 'OUTBOUND_URL_FORBIDDEN'],
      // Numeric forms the URL validator already refuses as malformed.
      ['http://2130706433/', 'VALIDATION_FAILED'],
      ['http://0177.0.0.1/', 'VALIDATION_FAILED'],
      ['http://127.1/', 'VALIDATION_FAILED'],
    ])('refuses notifyUrl=%s with 400 %s naming the field, and stores nothing', async (url, code) => {
      const p = await openPortfolio(plain, manager.key);
      const before = await stored(plain);
      const res = await submit(plain, manager.key, p.id, p.gen, url).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, code });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('notifyUrl');
      expect(await stored(plain)).toEqual(before);
    });

    it('never says what a name resolved to (that would map the internal network for the caller)', async () => {
      const p = await openPortfolio(plain, manager.key);
      const res = await submit(plain, manager.key, p.id, p.gen, 'http://localhost:9/hook').expect(400);
      expect(res.body.detail).toBe(
        'outbound calls go to public addresses only: localhost does not resolve to a public address',
      );
      expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|::1/);
    });

    it('takes an address OUTBOUND_ALLOW lists, and still refuses its neighbour', async () => {
      const owner = await createUser(allowed, 'manager');
      const p = await openPortfolio(allowed, owner.key);
      await submit(allowed, owner.key, p.id, p.gen, 'http://127.0.0.1:9/hook').expect(202);
      const res = await submit(allowed, owner.key, p.id, p.gen, 'http://127.0.0.2:9/hook').expect(400);
      expect(res.body.code).toBe('OUTBOUND_URL_FORBIDDEN');
    });
  });

  describe('at each delivery', () => {
    it('refuses a local destination OUTBOUND_ALLOW does not list, without calling it', async () => {
      const d = await local();
      for (const url of [d.url, `http://localhost:${d.port}/hook`, `http://[::ffff:127.0.0.1]:${d.port}/hook`]) {
        const view = await finished(plain, (await notify(plain, url)).id);
        expect(view.state).toBe('failed');
        expect(view.attemptsMade).toBe(1);
        expect(view.error).toMatch(/^OUTBOUND_URL_FORBIDDEN: /);
      }
      expect(d.requests).toEqual([]);
    });

    it('delivers to a local destination OUTBOUND_ALLOW lists', async () => {
      const d = await local();
      const view = await finished(allowed, (await notify(allowed, d.url)).id);
      expect(view).toMatchObject({ state: 'completed', result: { status: 200 } });
      expect(d.requests).toEqual([{ host: `127.0.0.1:${d.port}`, path: '/hook' }]);
    });

    it('resolves the name again at delivery: one that now leads to a private address is refused (DNS rebinding)', async () => {
      const d = await local();
      const p = await openPortfolio(plain, manager.key);
      const policy = plain.app.get(OutboundUrlPolicy);
      // The resolver answers a public address at submission, then the attacker re-points the name.
      const resolve = jest
        .spyOn(policy, 'resolve')
        .mockResolvedValueOnce(['93.184.215.14'])
        .mockResolvedValue(['127.0.0.1']);
      try {
        const res = await plain.http
          .post(`/v1/portfolios/${p.id}/imports`)
          .query({ notifyUrl: `http://hooks.rebind.test:${d.port}/hook` })
          .set(bearer(manager.key))
          .set('content-type', 'application/x-ndjson')
          .send(JSON.stringify({ kind: 'PREMIUM', accountId: p.gen, amount: '1.00' }))
          .expect(202);
        const view = await finished(plain, res.body.notifyTaskId);
        expect(view.state).toBe('failed');
        expect(view.error).toBe(
          'OUTBOUND_URL_FORBIDDEN: outbound calls go to public addresses only: hooks.rebind.test does not resolve to a public address',
        );
        expect(resolve).toHaveBeenCalledTimes(2);
        expect(d.requests).toEqual([]);
      } finally {
        resolve.mockRestore();
      }
    });

    it('connects to the address it checked, keeping the name in the Host header', async () => {
      const d = await local();
      // A name the system resolver does not know: only the checked address can have been used.
      const resolve = jest.spyOn(allowed.app.get(OutboundUrlPolicy), 'resolve').mockResolvedValue(['127.0.0.1']);
      try {
        const view = await finished(allowed, (await notify(allowed, `http://hooks.pinned.test:${d.port}/hook`)).id);
        expect(view).toMatchObject({ state: 'completed', result: { status: 200 } });
        expect(d.requests).toEqual([{ host: `hooks.pinned.test:${d.port}`, path: '/hook' }]);
      } finally {
        resolve.mockRestore();
      }
    });

    it('does not follow a redirect: the call fails at once and the target is never called', async () => {
      const target = await local();
      const redirecting = await local((_req, res) => res.writeHead(302, { location: target.url }).end());
      const view = await finished(allowed, (await notify(allowed, redirecting.url)).id);
      expect(view).toMatchObject({ state: 'failed', attemptsMade: 1 });
      expect(view.error).toBe(`http://127.0.0.1:${redirecting.port} answered 302: redirects are not followed`);
      expect(redirecting.requests).toHaveLength(1);
      expect(target.requests).toEqual([]);
    });

    /** A destination that answers 200 and then streams a body, `chunk` bytes every `everyMs`, until the caller hangs up. */
    const streaming = async (chunk: number, everyMs: number) => {
      const sent = { bytes: 0, hungUp: false };
      const d = await local((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const timer = setInterval(() => {
          res.write(Buffer.alloc(chunk, 120));
          sent.bytes += chunk;
        }, everyMs);
        res.on('close', () => {
          clearInterval(timer);
          sent.hungUp = true;
        });
      });
      return { d, sent };
    };

    it('reads at most OUTBOUND_MAX_RESPONSE_BYTES of an answer, then hangs up (judged by its status)', async () => {
      const { d, sent } = await streaming(16 * 1024, 5);
      const view = await finished(allowed, (await notify(allowed, d.url)).id);
      expect(view).toMatchObject({ state: 'completed', result: { status: 200 } });
      await eventually(() => Promise.resolve(sent.hungUp || undefined), 'the caller to hang up');
      // Cut off at the size limit: a few chunks at most, where the 1 s deadline would have let ~3 MB through.
      expect(sent.bytes).toBeLessThan(256 * 1024);
    });

    it('hangs up on an answer that drips past the deadline', async () => {
      const { d, sent } = await streaming(1, 100);
      const view = await finished(allowed, (await notify(allowed, d.url)).id);
      expect(view).toMatchObject({ state: 'completed', result: { status: 200 } });
      await eventually(() => Promise.resolve(sent.hungUp || undefined), 'the caller to hang up');
      expect(sent.bytes).toBeLessThan(1024);
    });

    it('reports a destination it cannot reach by the error code only, never the address it connected to', async () => {
      const port = await freePort(); // nothing listens there
      const view = await finished(allowed, (await notify(allowed, `http://127.0.0.1:${port}/hook`)).id);
      expect(view).toMatchObject({ state: 'failed', attemptsMade: 1 });
      expect(view.error).toBe(`http://127.0.0.1:${port} could not be reached (ECONNREFUSED)`);
    });

    it('fails a destination that sends no status before the deadline', async () => {
      const d = await local(() => undefined); // never answers
      const view = await finished(allowed, (await notify(allowed, d.url)).id);
      expect(view).toMatchObject({ state: 'failed', attemptsMade: 1 });
      expect(view.error).toBe(`http://127.0.0.1:${d.port} did not answer within 1000 ms`);
    });
  });
});

/** A Content-Security-Policy header as directive → sources. */
function csp(header: string | undefined): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of (header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives[name] = sources;
  }
  return directives;
}

/** The sources a page loads under `policy` would be refused; empty when the page works. */
function refusedByCsp(html: string, policy: Record<string, string[]>): string[] {
  const allows = (directive: string, source: string) => {
    const sources = policy[directive] ?? policy['default-src'] ?? [];
    if (source === 'inline') return sources.includes("'unsafe-inline'");
    if (/^https:\/\//.test(source)) return sources.includes('https:') || sources.some((s) => source.startsWith(s));
    return sources.includes("'self'"); // a relative URL: this origin
  };
  const refused: string[] = [];
  for (const [, attrs, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
    const src = /src=["']([^"']+)["']/.exec(attrs)?.[1];
    if (src && !allows('script-src', src)) refused.push(`script ${src}`);
    if (!src && body.trim() && !/type=["']application\/json["']/.test(attrs) && !allows('script-src', 'inline')) {
      refused.push('an inline script');
    }
  }
  for (const [, href] of html.matchAll(
    /<link[^>]*rel=["']stylesheet["'][^>]*href=["']([^"']+)["']|<link[^>]*href=["']([^"']+)["'][^>]*rel=["']stylesheet["']/g,
  )) {
    if (href && !allows('style-src', href)) refused.push(`style sheet ${href}`);
  }
  if (/<style[\s>]|style="/.test(html) && !allows('style-src', 'inline')) refused.push('inline styles');
  return refused;
}

describe('security headers and CORS (e2e)', () => {
  const ALLOWED = 'https://app.example.test';
  let t: TestApp;
  let closed: TestApp;

  beforeAll(async () => {
    t = await startTestApp('headers', { env: { CORS_ORIGINS: `${ALLOWED},http://localhost:5173` } });
    closed = await startTestApp('headers');
  });
  afterAll(async () => {
    await closed.close();
    await t.close();
  });

  it.each([
    ['an API answer', '/v1/users/me', true, 200],
    ['a refusal', '/v1/users/me', false, 401],
    ['a probe', '/health/live', false, 200],
    ['an unknown route', '/no/such/route', false, 404],
  ])('sets the security headers on %s', async (_what, path, withKey, status) => {
    const req = t.http.get(path);
    if (withKey) req.set(bearer(t.adminKey));
    const res = await req.expect(status);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      'cross-origin-opener-policy': 'same-origin',
    });
    const policy = csp(res.headers['content-security-policy']);
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(policy).not.toHaveProperty('upgrade-insecure-requests');
  });

  it('serves Swagger UI at /docs under a CSP that allows everything the page loads', async () => {
    const page = await t.http.get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const policy = csp(page.headers['content-security-policy']);
    expect(refusedByCsp(page.text, policy)).toEqual([]);
    const scripts = [...page.text.matchAll(/<script src=["']([^"']+)["']/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const src of scripts) {
      const asset = await t.http.get(new URL(src, 'http://x/docs').pathname).expect(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
    }
    await t.http.get('/docs/swagger-ui.css').expect(200);
    expect((await t.http.get('/docs-json').expect(200)).body.openapi).toMatch(/^3\./); // connect-src 'self'
  });

  it('serves the queue dashboard under a CSP that allows everything the page loads', async () => {
    const page = await t.http.get('/admin/queues').set(bearer(t.adminKey)).expect(200);
    expect(refusedByCsp(page.text, csp(page.headers['content-security-policy']))).toEqual([]);
  });

  it('answers a preflight from an allowed origin, naming it and the headers the API takes', async () => {
    const res = await t.http
      .options('/v1/portfolios')
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type,idempotency-key')
      .expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('idempotency-key');
    expect(res.headers).not.toHaveProperty('access-control-allow-credentials');
  });

  it('lets an allowed origin read an answer and its correlation id', async () => {
    const res = await t.http.get('/v1/users/me').set(bearer(t.adminKey)).set('origin', ALLOWED).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-expose-headers']).toContain('x-correlation-id');
  });

  it('gives another origin no CORS grant, preflight or not', async () => {
    const preflight = await t.http
      .options('/v1/portfolios')
      .set('origin', 'https://evil.example.test')
      .set('access-control-request-method', 'POST');
    expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
    const res = await t.http.get('/v1/users/me').set(bearer(t.adminKey)).set('origin', 'https://evil.example.test');
    expect(res.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('sends no CORS headers at all without CORS_ORIGINS', async () => {
    const preflight = await closed.http
      .options('/v1/portfolios')
      .set('origin', ALLOWED)
      .set('access-control-request-method', 'POST');
    expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
    const res = await closed.http.get('/v1/users/me').set(bearer(closed.adminKey)).set('origin', ALLOWED).expect(200);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(res.headers['content-security-policy']).toBeDefined(); // helmet is always on
  });
});
