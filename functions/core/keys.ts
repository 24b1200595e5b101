// API keys and who may do what. A key has a role and a list of workspaces; only a hash of its secret is kept.
import { createHash, randomBytes } from 'node:crypto';

export type Role = 'admin' | 'writer' | 'reader';
export const ROLES = ['admin', 'writer', 'reader'] as const satisfies readonly Role[];
/** A workspace entry that stands for every workspace. */
export const ALL_WORKSPACES = '*';

/** What a route demands of its caller. */
export type Access = 'public' | 'read' | 'write' | 'admin';

export interface ApiKey {
  id: string;
  name: string;
  role: Role;
  workspaces: string[];
  created_at: string;
}

export interface StoredKey extends ApiKey {
  hash: string;
}

export interface Principal {
  key_id: string;
  /** The key's name, as changes it made are told (the bootstrap key's is BOOTSTRAP_KEY_NAME). */
  key_name: string;
  role: Role;
  workspaces: readonly string[];
}

/** The key configured at deployment (local: <data dir>/admin-key or JOBS_ADMIN_KEY; AWS: Secrets Manager). */
export const BOOTSTRAP_KEY_ID = 'key_admin';
export const BOOTSTRAP_KEY_NAME = 'bootstrap admin key';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateSecret(): string {
  return `jobs_${randomBytes(32).toString('base64url')}`;
}

export function canSeeWorkspace(principal: Pick<Principal, 'role' | 'workspaces'>, workspaceId: string): boolean {
  return (
    principal.role === 'admin' ||
    principal.workspaces.includes(ALL_WORKSPACES) ||
    principal.workspaces.includes(workspaceId)
  );
}

const RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };
const REQUIRED: Record<Exclude<Access, 'public'>, number> = { read: 1, write: 2, admin: 3 };

export function hasAccess(principal: Pick<Principal, 'role'>, access: Access): boolean {
  return access === 'public' || RANK[principal.role] >= REQUIRED[access];
}

export interface NewKey {
  name: string;
  role: Role;
  workspaces: string[];
}
