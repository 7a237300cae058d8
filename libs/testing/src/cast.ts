import { toCents } from '@app/money';
import {
  bearer,
  createUser,
  grant,
  openPortfolio,
  premiumWithoutEvent,
  type OpenedPortfolio,
  type TestUser,
} from './api';
import type { TestApp } from './test-app';

/** One user per way of calling the service (docs/domain.md §10), around the owner's portfolios. */
export interface Cast {
  admin: TestUser;
  /** The manager who owns the portfolios opened with `openGranted`. */
  owner: TestUser;
  /** Granted operator access to the owner's portfolios. */
  operator: TestUser;
  /** Granted viewer access to the owner's portfolios. */
  viewer: TestUser;
  auditor: TestUser;
  /** A manager of another investor: the owner's portfolios do not exist for them. */
  stranger: TestUser;
}

export async function createCast(t: TestApp): Promise<Cast> {
  const me = await t.http.get('/v1/users/me').set(bearer(t.adminKey)).expect(200);
  const [owner, operator, viewer, auditor, stranger] = await Promise.all([
    createUser(t, 'manager', 'owner'),
    createUser(t, 'operator'),
    createUser(t, 'viewer'),
    createUser(t, 'auditor'),
    createUser(t, 'manager', 'stranger'),
  ]);
  return { admin: { id: me.body.id, key: t.adminKey }, owner, operator, viewer, auditor, stranger };
}

/** A portfolio of the cast's owner, with the operator and the viewer granted. */
export async function openGranted(t: TestApp, cast: Cast, body?: Record<string, unknown>): Promise<OpenedPortfolio> {
  const p = await openPortfolio(t, cast.owner.key, body);
  await grant(t, cast.owner.key, p.id, cast.operator.id, 'operator');
  await grant(t, cast.owner.key, p.id, cast.viewer.id, 'viewer');
  return p;
}

export interface ForkedUnit {
  id: string;
  gen: string;
  com: string;
}

/**
 * Forks a new unit from a GEN account: its surplus is raised to the portfolio's fork threshold
 * without announcing it (so no automatic check races the request), then the fork is asked for.
 */
export async function forkUnit(t: TestApp, key: string, p: OpenedPortfolio, genId = p.gen): Promise<ForkedUnit> {
  await premiumWithoutEvent(t.db, p.id, genId, toCents(String(p.body.forkThreshold)));
  const res = await t.http.post(`/v1/accounts/${genId}/fork`).set(bearer(key)).expect(201);
  return { id: res.body.id, gen: res.body.gen.id, com: res.body.com.id };
}
