// A KeyStore decorator that remembers the keys it has looked up, for a host that is the only writer of its
// table (local mode holds its data directory exclusively). Every revoke goes through this same object, which
// forgets the key at once, so a revoked key still fails on its very next request. Not for AWS, where many
// function instances share the table and none could tell the others.
import type { AuditEntry } from '../../core/audit.ts';
import type { ApiKey, StoredKey } from '../../core/keys.ts';
import type { KeyStore, Page, PageRequest } from '../../core/ports.ts';

export interface KeyCacheOptions {
  /** How long a positive lookup is trusted; a safety net only, since revokes invalidate directly. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class CachedKeyStore implements KeyStore {
  readonly #inner: KeyStore;
  readonly #entries = new Map<string, { key: ApiKey; expires: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(inner: KeyStore, options: KeyCacheOptions = {}) {
    this.#inner = inner;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  create(key: StoredKey, audit?: AuditEntry): Promise<void> {
    return this.#inner.create(key, audit);
  }

  async findByHash(hash: string): Promise<ApiKey | null> {
    const cached = this.#entries.get(hash);
    if (cached && cached.expires > this.#now()) return cached.key;
    const key = await this.#inner.findByHash(hash);
    this.#entries.delete(hash);
    if (key) {
      if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(hash, { key, expires: this.#now() + this.#ttlMs });
    }
    return key;
  }

  list(page: PageRequest): Promise<Page<ApiKey>> {
    return this.#inner.list(page);
  }

  async revoke(keyId: string, audit?: AuditEntry): Promise<boolean> {
    // Forget first: from here on, no request may be answered from the cache for this key.
    for (const [hash, entry] of this.#entries) if (entry.key.id === keyId) this.#entries.delete(hash);
    return this.#inner.revoke(keyId, audit);
  }
}
