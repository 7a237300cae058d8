import { AsyncLocalStorage } from 'node:async_hooks';
import type { Principal } from '../modules/auth/principal';

/** Per-request facts every layer may need without threading them through signatures. */
export interface RequestContext {
  correlationId: string;
  ip?: string;
  principal?: Principal;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentContext(): RequestContext | undefined {
  return requestContext.getStore();
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Accepts a caller's correlation id only when it is a short, printable token. */
export function acceptCorrelationId(header: unknown): string | undefined {
  return typeof header === 'string' && CORRELATION_ID.test(header) ? header : undefined;
}
