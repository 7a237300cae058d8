import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { validationError } from '@app/errors';
import { alertsConfig, type AlertsConfig } from '../../config/configuration';
import { keysetPage } from '../../common/pagination';
import { within } from '../../common/with-timeout';
import type { NotificationPayload } from '../async-tasks/queues';
import { TasksProducer } from '../async-tasks/tasks.producer';
import { AuthFailureLimiter } from '../auth/auth-failure-limiter';
import { alertsForwarded, alertsReceived } from '../monitoring/metrics';
import { AlertRow, AlertsRepository } from './alerts.repository';
import { forwardingUnavailable, receiverNotConfigured, webhookUnauthenticated } from './alerts.errors';
import { alertText, parseAlertmanagerWebhook } from './domain/alertmanager-webhook';
import type { AlertsPageView, AlertsQueryDto, AlertView, WebhookReceiptView } from './dto/alerts.dto';

/** How long queuing the notifications may take before the call is answered 503 (Alertmanager retries). */
const QUEUE_TIMEOUT_MS = 2_000;
const RETRY_AFTER_SECONDS = 10;

type Channel = NotificationPayload['channel'];

/**
 * Receives Alertmanager's webhook: records every alert (idempotently, per fingerprint and start),
 * and queues a notification to each configured channel for each alert that started firing or
 * resolved. The notifications queue delivers them with retries, a circuit breaker per destination
 * and dead letters.
 */
@Injectable()
export class AlertsService {
  private readonly logger = new Logger(AlertsService.name);
  private readonly channels: { channel: Channel; url: string }[];
  private readonly secretDigest?: Buffer;

  constructor(
    @Inject(alertsConfig.KEY) config: AlertsConfig,
    private readonly repository: AlertsRepository,
    private readonly producer: TasksProducer,
    private readonly failures: AuthFailureLimiter,
  ) {
    this.channels = [
      ...(config.notifyWebhookUrl ? [{ channel: 'webhook' as const, url: config.notifyWebhookUrl }] : []),
      ...(config.notifySlackUrl ? [{ channel: 'slack' as const, url: config.notifySlackUrl }] : []),
    ];
    this.secretDigest = config.webhookSecret ? digest(config.webhookSecret) : undefined;
  }

  async receive(authorization: string | undefined, address: string, body: unknown): Promise<WebhookReceiptView> {
    await this.authenticate(authorization, address);
    const parsed = parseAlertmanagerWebhook(body);
    if (!parsed.ok) {
      throw validationError(
        `invalid Alertmanager webhook payload: ${parsed.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
        parsed.errors,
      );
    }
    for (const alert of parsed.alerts) alertsReceived.inc({ status: alert.status });

    const changed = await this.repository.upsert(parsed.alerts);
    const forwarded = await this.forward(changed);
    await this.repository.markForwarded(changed);
    return { received: parsed.alerts.length, changed: changed.length, forwarded };
  }

  page(q: AlertsQueryDto): Promise<AlertsPageView> {
    return keysetPage(
      q.limit ?? 100,
      (limit) => this.repository.list({ status: q.status, beforeId: q.cursor, limit }),
      (row) => row.id,
      toView,
    );
  }

  /**
   * Constant-time comparison of digests (equal length whatever was sent). A wrong secret counts
   * against the client address like an unknown API key: guessing it runs into 429.
   */
  private async authenticate(authorization: string | undefined, address: string): Promise<void> {
    if (!this.secretDigest) throw receiverNotConfigured();
    this.failures.assertAllowed(address);
    const match = /^Bearer (.+)$/.exec(authorization?.trim() ?? '');
    if (!match || !timingSafeEqual(digest(match[1]), this.secretDigest)) {
      throw await this.failures.failed(address, webhookUnauthenticated);
    }
  }

  /**
   * Queues one notification per changed alert and channel. The job id names the occurrence, its
   * status and the channel, so a call Alertmanager repeats (or two calls racing) queue it once.
   */
  private async forward(changed: AlertRow[]): Promise<number> {
    const tasks = changed.flatMap((row) =>
      this.channels.map(({ channel, url }) => ({
        name: `alert.${row.status}`,
        payload: {
          channel,
          url,
          event: `alert.${row.status}`,
          data: notificationData(row),
          text: alertText(row),
        },
        options: {
          jobId: `alert-${row.fingerprint}-${row.startsAt.getTime()}-${row.status}-${channel}`,
          priority: 'high' as const,
        },
      })),
    );
    if (tasks.length === 0) return 0;
    try {
      await within(this.producer.addBulk('notifications', tasks), QUEUE_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn(`alert notifications not queued: ${(error as Error).message}`);
      throw forwardingUnavailable(RETRY_AFTER_SECONDS);
    }
    for (const task of tasks) alertsForwarded.inc({ channel: task.payload.channel });
    return tasks.length;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function notificationData(r: AlertRow): Record<string, unknown> {
  const { receivedAt: _r, updatedAt: _u, id: _id, ...data } = toView(r);
  return data;
}

function toView(r: AlertRow): AlertView {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    name: r.name,
    status: r.status,
    severity: r.severity,
    labels: r.labels,
    annotations: r.annotations,
    startsAt: r.startsAt.toISOString(),
    endsAt: r.endsAt?.toISOString() ?? null,
    generatorURL: r.generatorUrl,
    receivedAt: r.receivedAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
