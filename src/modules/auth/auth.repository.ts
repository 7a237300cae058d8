import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { PageRequest } from '../../common/pagination';
import type { Principal, Role } from './principal';

export interface UserRow {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  user_id: string;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** The caller behind an API key, by the key's hash (api_keys_key_hash_key); runs on every request. */
export const PRINCIPAL_BY_KEY_HASH_SQL = `SELECT k.id AS key_id, u.id AS user_id, u.role
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.key_hash = $1 AND k.revoked_at IS NULL`;

/** A page of users, oldest first (users_created_at_idx). Exported for the query analyzer. */
export function userPageQuery(page: PageRequest): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let where = '';
  if (page.after) {
    params.push(page.after);
    where = 'WHERE (created_at, id) > (SELECT c.created_at, c.id FROM users c WHERE c.id = $1)';
  }
  params.push(page.limit);
  const sql = `SELECT id, name, role, created_at FROM users ${where} ORDER BY created_at, id LIMIT $${params.length}`;
  return { sql, params };
}

@Injectable()
export class AuthRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findPrincipalByKeyHash(hash: string): Promise<Principal | undefined> {
    const rows: { key_id: string; user_id: string; role: Role }[] = await this.db.query(PRINCIPAL_BY_KEY_HASH_SQL, [
      hash,
    ]);
    const row = rows[0];
    return row && { keyId: row.key_id, userId: row.user_id, role: row.role };
  }

  /** The user and one of their keys, read now: undefined when the user is gone or the key was revoked. */
  async findPrincipal(userId: string, keyId: string): Promise<Principal | undefined> {
    const rows: { key_id: string; user_id: string; role: Role }[] = await this.db.query(
      `SELECT k.id AS key_id, u.id AS user_id, u.role
         FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.id = $1 AND u.id = $2 AND k.revoked_at IS NULL`,
      [keyId, userId],
    );
    const row = rows[0];
    return row && { keyId: row.key_id, userId: row.user_id, role: row.role };
  }

  async insertUser(m: EntityManager, name: string, role: Role): Promise<UserRow> {
    const rows: UserRow[] = await m.query(
      'INSERT INTO users (name, role) VALUES ($1, $2) RETURNING id, name, role, created_at',
      [name, role],
    );
    return rows[0];
  }

  async findUser(id: string): Promise<UserRow | undefined> {
    const rows: UserRow[] = await this.db.query('SELECT id, name, role, created_at FROM users WHERE id = $1', [id]);
    return rows[0];
  }

  async listUsers(page: PageRequest): Promise<UserRow[]> {
    const { sql, params } = userPageQuery(page);
    return this.db.query(sql, params);
  }

  /** Inserts the key unless its hash exists; returns undefined when it already did. */
  async insertKey(m: EntityManager, userId: string, hash: string, prefix: string): Promise<ApiKeyRow | undefined> {
    const rows: ApiKeyRow[] = await m.query(
      `INSERT INTO api_keys (user_id, key_hash, prefix) VALUES ($1, $2, $3)
       ON CONFLICT (key_hash) DO NOTHING
       RETURNING id, user_id, prefix, created_at, revoked_at`,
      [userId, hash, prefix],
    );
    return rows[0];
  }

  async keyExists(hash: string, m: EntityManager): Promise<boolean> {
    const rows = await m.query('SELECT 1 FROM api_keys WHERE key_hash = $1', [hash]);
    return rows.length > 0;
  }

  /** Revokes a key; returns its row, or undefined when there is no such active key. */
  async revokeKey(m: EntityManager, id: string): Promise<(ApiKeyRow & { key_hash: string }) | undefined> {
    const [rows] = await m.query(
      `UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL
       RETURNING id, user_id, prefix, created_at, revoked_at, key_hash`,
      [id],
    );
    return rows[0];
  }

  async listKeys(userId: string): Promise<ApiKeyRow[]> {
    return this.db.query(
      'SELECT id, user_id, prefix, created_at, revoked_at FROM api_keys WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );
  }

  /** Serialises admin bootstrapping across instances for the length of the transaction. */
  async lockBootstrap(m: EntityManager): Promise<void> {
    await m.query("SELECT pg_advisory_xact_lock(hashtext('alluse:bootstrap-admin'))");
  }

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }
}
