import { bearer, createUser, startTestApp, TestApp, TestUser } from '@app/testing';
import { QueueRegistry } from '../src/modules/async-tasks/queue-registry.service';

describe('queue dashboard (e2e)', () => {
  let t: TestApp;
  let manager: TestUser;

  beforeAll(async () => {
    t = await startTestApp('dashboard');
    manager = await createUser(t, 'manager');
  });
  afterAll(() => t.close());

  const expectProblem = (res: { status: number; headers: Record<string, string>; body: any }, code: string) => {
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: res.status, code, type: expect.any(String), title: expect.any(String) });
    expect(res.body.detail).toEqual(expect.any(String));
    expect(res.body.correlationId).toBe(res.headers['x-correlation-id']);
  };

  it('serves the board page and the static assets it references to an admin', async () => {
    const page = await t.http.get('/admin/queues').set(bearer(t.adminKey)).expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('<base href="/admin/queues/"');

    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(page.text)?.[1];
    expect(script).toBeDefined();
    const asset = await t.http.get(`/admin/queues/${script}`).set(bearer(t.adminKey)).expect(200);
    expect(asset.headers['content-type']).toContain('javascript');
    // The assets are behind the same check as the page.
    const anonymous = await t.http.get(`/admin/queues/${script}`).expect(401);
    expectProblem(anonymous, 'UNAUTHENTICATED');
  });

  it('lists every queue of the registry through its JSON API', async () => {
    const res = await t.http.get('/admin/queues/api/queues').set(bearer(t.adminKey)).expect(200);
    const names = res.body.queues.map((q: { name: string }) => q.name);
    expect(names).toEqual(expect.arrayContaining(['notifications', 'diagnostics']));
    expect(names.sort()).toEqual(
      t.app
        .get(QueueRegistry)
        .all()
        .map((q) => q.name)
        .sort(),
    );
  });

  it('refuses a request without a key, or with an unknown one, with 401', async () => {
    expectProblem(await t.http.get('/admin/queues').expect(401), 'UNAUTHENTICATED');
    expectProblem(await t.http.get('/admin/queues/api/queues').expect(401), 'UNAUTHENTICATED');
    const unknown = await t.http.get('/admin/queues/api/queues').set(bearer(`au_${'x'.repeat(43)}`));
    expect(unknown.status).toBe(401);
    expectProblem(unknown, 'UNAUTHENTICATED');
  });

  it('refuses a valid key of a role other than admin with 403, where an admin may act', async () => {
    const diagnostics = t.app.get(QueueRegistry).get('diagnostics');
    expectProblem(await t.http.get('/admin/queues').set(bearer(manager.key)).expect(403), 'FORBIDDEN');
    const pause = await t.http.put('/admin/queues/api/queues/diagnostics/pause').set(bearer(manager.key));
    expect(pause.status).toBe(403);
    expectProblem(pause, 'FORBIDDEN');
    expect(await diagnostics.isPaused()).toBe(false);

    // The same request from an admin does act on the queue.
    await t.http.put('/admin/queues/api/queues/diagnostics/pause').set(bearer(t.adminKey)).expect(200);
    expect(await diagnostics.isPaused()).toBe(true);
    await t.http.put('/admin/queues/api/queues/diagnostics/resume').set(bearer(t.adminKey)).expect(200);
    expect(await diagnostics.isPaused()).toBe(false);
  });
});
