import { describe, expect, it } from 'vitest';
import { CachedKeyStore } from '../../../functions/adapters/local/cached-key-store.ts';
import type { ApiKey, StoredKey } from '../../../functions/core/keys.ts';
import type { KeyStore, Page } from '../../../functions/core/ports.ts';

/** A KeyStore that counts lookups, to see what the cache saves. */
class CountingStore implements KeyStore {
  readonly keys = new Map<string, StoredKey>();
  lookups = 0;
  async create(key: StoredKey) {
    this.keys.set(key.hash, key);
  }
  async findByHash(hash: string): Promise<ApiKey | null> {
    this.lookups++;
    const key = this.keys.get(hash);
    return key
      ? { id: key.id, name: key.name, role: key.role, workspaces: key.workspaces, created_at: key.created_at }
      : null;
  }
  async list(): Promise<Page<ApiKey>> {
    return { items: [], next_cursor: null };
  }
  async revoke(keyId: string) {
    for (const [hash, key] of this.keys) if (key.id === keyId) return this.keys.delete(hash);
    return false;
  }
}

const stored: StoredKey = {
  id: 'key_1',
  name: 'ci',
  role: 'writer',
  workspaces: ['acme'],
  created_at: 't',
  hash: 'h1',
};

describe('CachedKeyStore', () => {
  it('answers repeated lookups of a known key without asking the store again', async () => {
    const inner = new CountingStore();
    const cache = new CachedKeyStore(inner);
    await cache.create(stored);
    expect(await cache.findByHash('h1')).toMatchObject({ id: 'key_1' });
    expect(await cache.findByHash('h1')).toMatchObject({ id: 'key_1' });
    expect(inner.lookups).toBe(1);
  });

  it('never remembers an unknown key, so a key created later works at once', async () => {
    const inner = new CountingStore();
    const cache = new CachedKeyStore(inner);
    expect(await cache.findByHash('h1')).toBeNull();
    await cache.create(stored);
    expect(await cache.findByHash('h1')).toMatchObject({ id: 'key_1' });
  });

  it('forgets a revoked key before the revoke returns', async () => {
    const inner = new CountingStore();
    const cache = new CachedKeyStore(inner);
    await cache.create(stored);
    await cache.findByHash('h1');
    expect(await cache.revoke('key_1')).toBe(true);
    expect(await cache.findByHash('h1')).toBeNull();
  });

  it('asks the store again once an entry is older than its time to live', async () => {
    let now = 0;
    const inner = new CountingStore();
    const cache = new CachedKeyStore(inner, { ttlMs: 1000, now: () => now });
    await cache.create(stored);
    await cache.findByHash('h1');
    now = 1001;
    await cache.findByHash('h1');
    expect(inner.lookups).toBe(2);
  });

  it('holds at most maxEntries keys', async () => {
    const inner = new CountingStore();
    const cache = new CachedKeyStore(inner, { maxEntries: 2 });
    for (const n of [1, 2, 3]) await cache.create({ ...stored, id: `key_${n}`, hash: `h${n}` });
    for (const n of [1, 2, 3]) await cache.findByHash(`h${n}`);
    await cache.findByHash('h1');
    expect(inner.lookups).toBe(4);
  });
});
