import type { FieldError } from '@app/errors';

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** One alert of an Alertmanager webhook call, as the receiver records it. */
export interface ReceivedAlert {
  fingerprint: string;
  name: string;
  status: AlertStatus;
  severity: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  /** When it resolved; null while firing (Alertmanager's zero time or its timeout estimate). */
  endsAt: Date | null;
  generatorUrl: string | null;
}

export type ParsedWebhook = { ok: true; alerts: ReceivedAlert[] } | { ok: false; errors: FieldError[] };

/** Most alerts one call may carry (Alertmanager's `max_alerts` is 0 = all; a group is rarely this big). */
export const MAX_ALERTS_PER_CALL = 1_000;
const FINGERPRINT = /^[A-Za-z0-9_-]{1,128}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Text PostgreSQL can store (jsonb refuses NUL) and of bounded size. */
const isText = (v: unknown, max: number): v is string =>
  typeof v === 'string' && v.length <= max && !v.includes('\u0000') && v.isWellFormed();

/**
 * Checks an Alertmanager webhook payload (version 4) and keeps what the receiver records. Fields
 * it does not use are ignored rather than refused: a newer Alertmanager may add some, and a 4xx
 * answer makes Alertmanager drop the notification for good. Each failure names its field.
 */
export function parseAlertmanagerWebhook(body: unknown): ParsedWebhook {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });
  if (!isObject(body)) return { ok: false, errors: [{ field: 'body', message: 'body must be a JSON object' }] };
  if (body.version !== '4') fail('version', 'version must be "4" (Alertmanager webhook payload version 4)');
  if (!Array.isArray(body.alerts) || body.alerts.length === 0 || body.alerts.length > MAX_ALERTS_PER_CALL) {
    fail('alerts', `alerts must be an array of 1 to ${MAX_ALERTS_PER_CALL} alerts`);
    return { ok: false, errors };
  }

  // One row per occurrence: a call naming one twice keeps its last state (one upsert cannot touch a row twice).
  const byOccurrence = new Map<string, ReceivedAlert>();
  body.alerts.forEach((raw: unknown, i: number) => {
    const at = (field: string) => `alerts[${i}]${field ? `.${field}` : ''}`;
    if (!isObject(raw)) return fail(at(''), 'must be an object');
    const before = errors.length;
    if (!(ALERT_STATUSES as readonly unknown[]).includes(raw.status))
      fail(at('status'), 'status must be firing or resolved');
    if (!isText(raw.fingerprint, 128) || !FINGERPRINT.test(raw.fingerprint)) {
      fail(at('fingerprint'), 'fingerprint must be 1 to 128 letters, digits, _ or -');
    }
    const labels = stringMap(raw.labels, at('labels'), fail);
    const annotations = raw.annotations === undefined ? {} : stringMap(raw.annotations, at('annotations'), fail);
    if (labels && !labels.alertname) fail(at('labels.alertname'), 'labels must include a non-empty alertname');
    const startsAt = instant(raw.startsAt);
    if (!startsAt) fail(at('startsAt'), 'startsAt must be an RFC 3339 time');
    const endsAt = raw.endsAt === undefined ? null : instant(raw.endsAt);
    if (endsAt === undefined) fail(at('endsAt'), 'endsAt must be an RFC 3339 time');
    if (raw.generatorURL !== undefined && !isText(raw.generatorURL, 2_048)) {
      fail(at('generatorURL'), 'generatorURL must be a string of at most 2048 characters');
    }
    if (errors.length > before || !labels || !annotations || !startsAt) return;

    const status = raw.status as ReceivedAlert['status'];
    const alert: ReceivedAlert = {
      fingerprint: raw.fingerprint as string,
      name: labels.alertname,
      status,
      severity: labels.severity || null,
      labels,
      annotations,
      startsAt,
      endsAt: status === 'resolved' && endsAt && endsAt.getUTCFullYear() > 1 ? endsAt : null,
      generatorUrl: (raw.generatorURL as string | undefined) || null,
    };
    byOccurrence.set(`${alert.fingerprint}@${startsAt.toISOString()}`, alert);
  });
  return errors.length ? { ok: false, errors } : { ok: true, alerts: [...byOccurrence.values()] };
}

function stringMap(
  value: unknown,
  field: string,
  fail: (field: string, message: string) => void,
): Record<string, string> | undefined {
  if (!isObject(value)) {
    fail(field, `${field.replace(/^.*\./, '')} must be an object of strings`);
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > 100 || entries.some(([k, v]) => !isText(k, 256) || !isText(v, 8_192))) {
    fail(
      field,
      `${field.replace(/^.*\./, '')} must be at most 100 string values (keys up to 256, values up to 8192 characters)`,
    );
    return undefined;
  }
  return value as Record<string, string>;
}

/** A Date for an RFC 3339 time, or undefined when it is not one. */
function instant(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !INSTANT.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What people read in Slack: status, name, severity, summary and what to do first. */
export function alertText(alert: ReceivedAlert): string {
  const lines = [
    `${alert.status === 'firing' ? ':rotating_light: FIRING' : ':white_check_mark: RESOLVED'}: *${alert.name}*` +
      (alert.severity ? ` (${alert.severity})` : ''),
  ];
  const { summary, runbook, runbook_url: runbookUrl } = alert.annotations;
  if (summary) lines.push(summary);
  if (alert.status === 'firing' && runbook) lines.push(`Runbook: ${runbook}`);
  if (runbookUrl) lines.push(runbookUrl);
  const scope = Object.entries(alert.labels)
    .filter(([k]) => !['alertname', 'severity'].includes(k))
    .map(([k, v]) => `${k}=${v}`);
  if (scope.length) lines.push(`Labels: ${scope.join(', ')}`);
  lines.push(`Since ${alert.startsAt.toISOString()}${alert.endsAt ? `, resolved ${alert.endsAt.toISOString()}` : ''}`);
  return lines.join('\n');
}
