export const ROLES = ['admin', 'manager', 'operator', 'viewer', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller: who they are, what role they hold, and which key they used. */
export interface Principal {
  userId: string;
  role: Role;
  keyId: string;
}
