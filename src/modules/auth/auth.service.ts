import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { apiKeyNotFound, userNotFound } from './auth.errors';
import { AuthRepository, UserRow } from './auth.repository';
import { generateApiKey, hashApiKey, keyPrefix } from './domain/api-key';
import type { Principal, Role } from './principal';

/** How long a resolved key is trusted without asking the database again. */
const KEY_CACHE_TTL_MS = 5_000;
const KEY_CACHE_MAX = 10_000;

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
  /** Resolved keys by hash. Revocation clears this instance at once and others within the TTL. */
  private readonly keyCache = new Map<string, { principal?: Principal; expires: number }>();

  constructor(
    private readonly repository: AuthRepository,
    private readonly audit: AuditService,
  ) {}

  async authenticate(key: string): Promise<Principal | undefined> {
    const hash = hashApiKey(key);
    const now = Date.now();
    const cached = this.keyCache.get(hash);
    if (cached && cached.expires > now) return cached.principal;
    const principal = await this.repository.findPrincipalByKeyHash(hash);
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.clear();
    this.keyCache.set(hash, { principal, expires: now + KEY_CACHE_TTL_MS });
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

  async listUsers(): Promise<UserView[]> {
    return (await this.repository.listUsers()).map(toUserView);
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
    this.keyCache.delete(revoked.key_hash);
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
    if (created) this.logger.log('bootstrap admin key registered from ADMIN_API_KEY');
  }
}
