import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { DEFAULT_PAGE_LIMIT, type IdPageQuery } from '../../common/page-query';
import { keysetPage, type Page } from '../../common/pagination';
import { authConfig, type AuthConfig } from '../../config/configuration';
import { AuditService } from '../audit/audit.service';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { apiKeyNotFound, unauthenticated, userNotFound } from './auth.errors';
import { AuthRepository, UserRow } from './auth.repository';
import { bearerToken, generateApiKey, hashApiKey, keyPrefix } from './domain/api-key';
import type { Principal, Role } from './principal';

/** Valid keys kept resolved (the most recently used ones). */
const KEY_CACHE_MAX = 10_000;
/** Unknown keys remembered apart, in fewer entries: a flood of bad keys never evicts a valid one. */
const UNKNOWN_KEY_CACHE_MAX = 1_000;

export interface UserView {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface IssuedKey {
  id: string;
  userId: string;
  prefix: string;
  key: string;
  createdAt: string;
}

const toUserView = (u: UserRow): UserView => ({
  id: u.id,
  name: u.name,
  role: u.role,
  createdAt: u.created_at.toISOString(),
});

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  /**
   * Resolved keys by hash, trusted for AUTH_KEY_CACHE_TTL_MS without asking the database.
   * Revocation drops a key from this instance at once and from others within the TTL.
   */
  private readonly keys: LRUCache<string, Principal>;
  private readonly unknownKeys: LRUCache<string, true>;

  constructor(
    private readonly repository: AuthRepository,
    private readonly audit: AuditService,
    private readonly failures: AuthFailureLimiter,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.keys = new LRUCache({ max: KEY_CACHE_MAX, ttl: config.keyCacheTtlMs });
    this.unknownKeys = new LRUCache({ max: UNKNOWN_KEY_CACHE_MAX, ttl: config.keyCacheTtlMs });
  }

  /**
   * The principal behind a request's `Authorization: Bearer <key>` header, sent from `address`.
   * A key that resolves to no one counts against the address's budget of failures; past it the
   * address gets 429 before its key is looked at.
   */
  async authenticateRequest(authorization: unknown, address: string): Promise<Principal> {
    this.failures.assertAllowed(address);
    const key = bearerToken(authorization);
    if (!key) throw unauthenticated();
    const principal = await this.authenticate(key);
    if (!principal) throw await this.failures.failed(address);
    return principal;
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const hash = hashApiKey(key);
    const known = this.keys.get(hash);
    if (known || this.unknownKeys.has(hash)) return known;
    const principal = await this.repository.findPrincipalByKeyHash(hash);
    if (principal) this.keys.set(hash, principal);
    else this.unknownKeys.set(hash, true);
    return principal;
  }

  /**
   * Who acts with a key that was used earlier (a queued task's submitter), read afresh rather than
   * from the cache: undefined once the key is revoked or the user gone.
   */
  principalOf(userId: string, keyId: string): Promise<Principal | undefined> {
    return this.repository.findPrincipal(userId, keyId);
  }

  async createUser(name: string, role: Role): Promise<UserView> {
    const user = await this.repository.transaction(async (m) => {
      const created = await this.repository.insertUser(m, name, role);
      await this.audit.record(
        { action: 'user.create', entityType: 'user', entityId: created.id, details: { name, role } },
        m,
      );
      return created;
    });
    return toUserView(user);
  }

  async getUser(id: string): Promise<UserView> {
    const user = await this.repository.findUser(id);
    if (!user) throw userNotFound(id);
    return toUserView(user);
  }

  /** Every user, oldest first, a page at a time. */
  listUsers(q: IdPageQuery): Promise<Page<UserView>> {
    return keysetPage(
      q.limit ?? DEFAULT_PAGE_LIMIT,
      (limit) => this.repository.listUsers({ after: q.cursor, limit }),
      (row) => row.id,
      toUserView,
    );
  }

  async issueKey(userId: string): Promise<IssuedKey> {
    await this.getUser(userId);
    const key = generateApiKey();
    const row = await this.repository.transaction(async (m) => {
      const inserted = await this.repository.insertKey(m, userId, hashApiKey(key), keyPrefix(key));
      if (!inserted) throw new Error('API key collision');
      await this.audit.record(
        {
          action: 'api-key.create',
          entityType: 'api-key',
          entityId: inserted.id,
          details: { userId, prefix: inserted.prefix },
        },
        m,
      );
      return inserted;
    });
    return { id: row.id, userId, prefix: row.prefix, key, createdAt: row.created_at.toISOString() };
  }

  async listKeys(userId: string) {
    await this.getUser(userId);
    const rows = await this.repository.listKeys(userId);
    return rows.map((k) => ({
      id: k.id,
      userId: k.user_id,
      prefix: k.prefix,
      createdAt: k.created_at.toISOString(),
      revokedAt: k.revoked_at?.toISOString() ?? null,
    }));
  }

  async revokeKey(id: string): Promise<void> {
    const revoked = await this.repository.transaction(async (m) => {
      const row = await this.repository.revokeKey(m, id);
      if (!row) throw apiKeyNotFound(id);
      await this.audit.record(
        { action: 'api-key.revoke', entityType: 'api-key', entityId: id, details: { userId: row.user_id } },
        m,
      );
      return row;
    });
    this.keys.delete(revoked.key_hash);
  }

  /** Makes `key` an admin key, once: a second start (or a racing instance) changes nothing. */
  async ensureAdminKey(key: string): Promise<void> {
    const hash = hashApiKey(key);
    const created = await this.repository.transaction(async (m) => {
      await this.repository.lockBootstrap(m);
      if (await this.repository.keyExists(hash, m)) return false;
      const user = await this.repository.insertUser(m, 'admin', 'admin');
      const inserted = await this.repository.insertKey(m, user.id, hash, keyPrefix(key));
      await this.audit.record(
        {
          action: 'api-key.bootstrap-admin',
          entityType: 'api-key',
          entityId: inserted?.id,
          details: { userId: user.id },
        },
        m,
      );
      return true;
    });
    this.unknownKeys.delete(hash); // tried before it existed
    if (created) this.logger.log('bootstrap admin key registered from ADMIN_API_KEY');
  }
}
