import { AppError } from '@app/errors';

export const receiverNotConfigured = () =>
  new AppError(
    'unavailable',
    'ALERT_RECEIVER_NOT_CONFIGURED',
    'the alert receiver is not configured: set ALERTS_WEBHOOK_SECRET and give Alertmanager the same secret',
  );

export const webhookUnauthenticated = () =>
  new AppError(
    'unauthenticated',
    'ALERT_WEBHOOK_UNAUTHENTICATED',
    'the alert webhook needs Authorization: Bearer <ALERTS_WEBHOOK_SECRET>',
  );

/** Queuing the notifications failed (Redis unreachable): Alertmanager retries on a 5xx. */
export const forwardingUnavailable = (retryAfterSeconds: number) =>
  new AppError(
    'unavailable',
    'ALERT_FORWARDING_UNAVAILABLE',
    'the alerts were recorded but could not be queued for forwarding; retry later',
    { retryAfterSeconds },
  );
