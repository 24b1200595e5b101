// API keys and who may do what. A key has a role and a list of workspaces; only a hash of its secret is kept.
import { createHash, randomBytes } from 'node:crypto';
import { NotFoundError, ConflictError } from './errors.ts';
import { newId } from './ids.ts';
import type { KeyStore, Page, PageRequest } from './ports.ts';

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
  role: Role;
  workspaces: readonly string[];
}

/** The key configured at deployment (local: <data dir>/admin-key or JOBS_ADMIN_KEY; AWS: Secrets Manager). */
export const BOOTSTRAP_KEY_ID = 'key_admin';

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function generateSecret(): string {
  return `jobs_${randomBytes(32).toString('base64url')}`;
}

export function canSeeWorkspace(principal: Principal, workspaceId: string): boolean {
  return (
    principal.role === 'admin' ||
    principal.workspaces.includes(ALL_WORKSPACES) ||
    principal.workspaces.includes(workspaceId)
  );
}

const RANK: Record<Role, number> = { reader: 1, writer: 2, admin: 3 };
const REQUIRED: Record<Exclude<Access, 'public'>, number> = { read: 1, write: 2, admin: 3 };

export function hasAccess(principal: Principal, access: Access): boolean {
  return access === 'public' || RANK[principal.role] >= REQUIRED[access];
}

export interface NewKey {
  name: string;
  role: Role;
  workspaces: string[];
}

export class KeyService {
  readonly #store: KeyStore;
  readonly #bootstrapHash: string | undefined;
  readonly #now: () => Date;

  constructor(store: KeyStore, options: { bootstrapAdminHash?: string | undefined; now?: () => Date } = {}) {
    this.#store = store;
    this.#bootstrapHash = options.bootstrapAdminHash;
    this.#now = options.now ?? (() => new Date());
  }

  /** The principal a bearer secret stands for, or null for an unknown or revoked key. */
  async authenticate(secret: string): Promise<Principal | null> {
    const hash = hashSecret(secret);
    if (hash === this.#bootstrapHash) return { key_id: BOOTSTRAP_KEY_ID, role: 'admin', workspaces: [ALL_WORKSPACES] };
    const key = await this.#store.findByHash(hash);
    return key && { key_id: key.id, role: key.role, workspaces: key.workspaces };
  }

  /** Creates a key; the secret is returned here once and never stored. */
  async create(input: NewKey): Promise<{ key: ApiKey; secret: string }> {
    const now = this.#now();
    const secret = generateSecret();
    const key: ApiKey = {
      id: newId('key', now.getTime()),
      name: input.name,
      role: input.role,
      workspaces: input.role === 'admin' ? [ALL_WORKSPACES] : [...new Set(input.workspaces)],
      created_at: now.toISOString(),
    };
    await this.#store.create({ ...key, hash: hashSecret(secret) });
    return { key, secret };
  }

  list(page: PageRequest): Promise<Page<ApiKey>> {
    return this.#store.list(page);
  }

  async revoke(keyId: string): Promise<void> {
    if (keyId === BOOTSTRAP_KEY_ID) {
      throw new ConflictError('the bootstrap admin key is configuration: rotate it where it is configured', 'key_id');
    }
    if (!(await this.#store.revoke(keyId))) throw new NotFoundError('key', keyId);
  }
}
