import type { Principal } from '../auth/principal';

/**
 * Who warming reads as: the views it loads are the ones admins and auditors share (scope "all").
 * An auditor may read everything and change nothing, which is all warming needs.
 */
export const SYSTEM_READER: Principal = {
  userId: '00000000-0000-0000-0000-000000000000',
  role: 'auditor',
  keyId: 'warming',
};

/** Loads the cached views of one portfolio. Features register theirs with CacheService.addWarmer. */
export type Warmer = (portfolioId: string) => Promise<void>;
