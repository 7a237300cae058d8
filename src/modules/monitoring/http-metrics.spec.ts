import { routeLabel, UNMATCHED_ROUTE } from './http-metrics';

describe(routeLabel.name, () => {
  it.each([
    ['/v1/accounts/:id', '/v1/accounts/:id'],
    ['/v1/portfolios/:id/units', '/v1/portfolios/:id/units'],
    ['/admin/queues/*', '/admin/queues/*'],
    ['/metrics', '/metrics'],
  ])('keeps the template %s', (template, label) => {
    expect(routeLabel(template)).toBe(label);
  });

  it.each([[undefined], ['']])('labels a request that matched no route (%j) as unmatched', (template) => {
    expect(routeLabel(template)).toBe(UNMATCHED_ROUTE);
    expect(UNMATCHED_ROUTE).toBe('unmatched');
  });
});
