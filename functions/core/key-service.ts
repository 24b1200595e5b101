// The key service: API keys created (their secret shown once), listed, revoked, and a presented secret
// authenticated against them and the bootstrap admin key.
import { auditEntry, changedFields, type Requester } from './audit.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import {
  ALL_WORKSPACES,
  BOOTSTRAP_KEY_ID,
  BOOTSTRAP_KEY_NAME,
  generateSecret,
  hashSecret,
  type ApiKey,
  type NewKey,
  type Principal,
} from './keys.ts';
import type { KeyStore, Page, PageRequest } from './ports.ts';

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
    if (hash === this.#bootstrapHash)
      return { key_id: BOOTSTRAP_KEY_ID, key_name: BOOTSTRAP_KEY_NAME, role: 'admin', workspaces: [ALL_WORKSPACES] };
    const key = await this.#store.findByHash(hash);
    return key && { key_id: key.id, key_name: key.name, role: key.role, workspaces: key.workspaces };
  }

  /** Creates a key; the secret is returned here once and never stored. */
  async create(input: NewKey, requester?: Requester): Promise<{ key: ApiKey; secret: string }> {
    const now = this.#now();
    const secret = generateSecret();
    const key: ApiKey = {
      id: newId('key', now.getTime()),
      name: input.name,
      role: input.role,
      workspaces: input.role === 'admin' ? [ALL_WORKSPACES] : [...new Set(input.workspaces)],
      created_at: now.toISOString(),
    };
    // Never its secret: the change is the key, by its name, role and workspaces.
    const audit =
      requester &&
      auditEntry(
        requester,
        'key.create',
        null,
        { key_id: key.id },
        changedFields(null, { name: key.name, role: key.role, workspaces: key.workspaces }),
        now,
      );
    await this.#store.create({ ...key, hash: hashSecret(secret) }, audit);
    return { key, secret };
  }

  list(page: PageRequest): Promise<Page<ApiKey>> {
    return this.#store.list(page);
  }

  async revoke(keyId: string, requester?: Requester): Promise<void> {
    if (keyId === BOOTSTRAP_KEY_ID) {
      throw new ConflictError('the bootstrap admin key is configuration: rotate it where it is configured', 'key_id');
    }
    const audit =
      requester &&
      auditEntry(requester, 'key.revoke', null, { key_id: keyId }, { revoked: [false, true] }, this.#now());
    if (!(await this.#store.revoke(keyId, audit))) throw new NotFoundError('key', keyId);
  }
}
