import { alertText, parseAlertmanagerWebhook } from './alertmanager-webhook';

const alert = (over: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'AllUseReadinessCheckFailing', severity: 'critical', check: 'redis' },
  annotations: { summary: 'redis check failing', runbook: 'Check Redis first.' },
  startsAt: '2026-11-29T20:00:00.123Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus/graph',
  fingerprint: 'a1b2c3d4e5f60718',
  ...over,
});
const payload = (alerts: unknown[], over: Record<string, unknown> = {}) => ({
  version: '4',
  status: 'firing',
  receiver: 'alluse',
  groupKey: '{}:{}',
  alerts,
  ...over,
});

describe(parseAlertmanagerWebhook.name, () => {
  it('keeps a firing alert with no end time, its name and severity from the labels', () => {
    const parsed = parseAlertmanagerWebhook(payload([alert()]));
    expect(parsed).toEqual({
      ok: true,
      alerts: [
        expect.objectContaining({
          name: 'AllUseReadinessCheckFailing',
          severity: 'critical',
          status: 'firing',
          startsAt: new Date('2026-11-29T20:00:00.123Z'),
          endsAt: null,
        }),
      ],
    });
  });

  it('keeps the end time of a resolved alert', () => {
    const parsed = parseAlertmanagerWebhook(payload([alert({ status: 'resolved', endsAt: '2026-11-29T20:05:00Z' })]));
    expect(parsed.ok && parsed.alerts[0].endsAt).toEqual(new Date('2026-11-29T20:05:00Z'));
  });

  it('ignores fields it does not use (a newer Alertmanager may add some)', () => {
    expect(parseAlertmanagerWebhook(payload([alert({ extra: 1 })], { newField: true })).ok).toBe(true);
  });

  it('keeps the last state of an occurrence named twice in one call', () => {
    const parsed = parseAlertmanagerWebhook(
      payload([alert(), alert({ status: 'resolved', endsAt: '2026-11-29T20:05:00Z' })]),
    );
    expect(parsed.ok && parsed.alerts.map((a) => a.status)).toEqual(['resolved']);
  });

  it.each([
    ['not an object', [], 'body'],
    ['another version', payload([alert()], { version: '3' }), 'version'],
    ['no alerts', payload([]), 'alerts'],
    ['alerts not an array', payload([], { alerts: {} }), 'alerts'],
    ['an unknown status', payload([alert({ status: 'pending' })]), 'alerts[0].status'],
    ['no alertname', payload([alert({ labels: { severity: 'x' } })]), 'alerts[0].labels.alertname'],
    ['a label that is not a string', payload([alert({ labels: { alertname: 'X', n: 1 } })]), 'alerts[0].labels'],
    ['a NUL character', payload([alert({ annotations: { summary: 'a\u0000b' } })]), 'alerts[0].annotations'],
    ['a bad start time', payload([alert({ startsAt: 'yesterday' })]), 'alerts[0].startsAt'],
    ['a bad end time', payload([alert({ endsAt: 12 })]), 'alerts[0].endsAt'],
    ['a fingerprint with a colon', payload([alert({ fingerprint: 'a:b' })]), 'alerts[0].fingerprint'],
    ['an alert that is not an object', payload([alert(), 'x']), 'alerts[1]'],
  ])('refuses %s, naming %s', (_case, body, field) => {
    const parsed = parseAlertmanagerWebhook(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.errors.map((e) => e.field)).toContain(field);
  });
});

describe(alertText.name, () => {
  it('says status, name, severity, summary, runbook and labels', () => {
    const parsed = parseAlertmanagerWebhook(
      payload([alert({ annotations: { summary: 'S', runbook: 'R', runbook_url: 'http://docs#x' } })]),
    );
    const text = alertText(parsed.ok ? parsed.alerts[0] : (undefined as never));
    expect(text.split('\n')).toEqual([
      ':rotating_light: FIRING: *AllUseReadinessCheckFailing* (critical)',
      'S',
      'Runbook: R',
      'http://docs#x',
      'Labels: check=redis',
      'Since 2026-11-29T20:00:00.123Z',
    ]);
  });
});
