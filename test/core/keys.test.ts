// KeyService against DynamoDB Local: keys authenticate by their secret's hash alone, are revoked at once, and
// the configured first admin key is configuration, not a key the API can revoke.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../functions/core/errors.ts';
import {
  BOOTSTRAP_KEY_ID,
  BOOTSTRAP_KEY_NAME,
  canSeeWorkspace,
  hasAccess,
  hashSecret,
} from '../../functions/core/keys.ts';
import { useCore } from '../helpers/core.ts';

const t = useCore('key-service', { adminKeyHash: hashSecret('the-first-admin-key') });

describe('KeyService', () => {
  it('authenticates the first admin key, a created key by its secret, and nothing else', async () => {
    const keys = await t.core.services.keys();
    expect(await keys.authenticate('the-first-admin-key')).toEqual({
      key_id: BOOTSTRAP_KEY_ID,
      key_name: BOOTSTRAP_KEY_NAME,
      role: 'admin',
      workspaces: ['*'],
    });
    const { key, secret } = await keys.create({ name: 'ci', role: 'writer', workspaces: ['acme', 'acme'] });
    expect(key).toMatchObject({ name: 'ci', role: 'writer', workspaces: ['acme'] });
    expect(await keys.authenticate(secret)).toEqual({
      key_id: key.id,
      key_name: 'ci',
      role: 'writer',
      workspaces: ['acme'],
    });
    expect(await keys.authenticate(`${secret}x`)).toBeNull();
    expect((await keys.list({ limit: 100 })).items.map((k) => k.id)).toContain(key.id);
  });

  it('revokes at once, and refuses to revoke the first admin key or an unknown one', async () => {
    const keys = await t.core.services.keys();
    const { key, secret } = await keys.create({ name: 'temp', role: 'reader', workspaces: ['acme'] });
    await keys.revoke(key.id);
    expect(await keys.authenticate(secret)).toBeNull();
    await expect(keys.revoke(key.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(keys.revoke(BOOTSTRAP_KEY_ID)).rejects.toBeInstanceOf(ConflictError);
  });

  it('gives an admin key every workspace', async () => {
    const { key } = await (await t.core.services.keys()).create({ name: 'root', role: 'admin', workspaces: [] });
    expect(key.workspaces).toEqual(['*']);
  });

  it("lets a key see only its own workspaces, unless it is an admin's or names every workspace", () => {
    const writer = { key_id: 'key_w', role: 'writer' as const, workspaces: ['acme', 'beta'] };
    expect(canSeeWorkspace(writer, 'acme')).toBe(true);
    expect(canSeeWorkspace(writer, 'beta')).toBe(true);
    expect(canSeeWorkspace(writer, 'gamma')).toBe(false);
    expect(canSeeWorkspace(writer, 'acm')).toBe(false);
    expect(canSeeWorkspace({ role: 'reader', workspaces: ['*'] }, 'gamma')).toBe(true);
    expect(canSeeWorkspace({ role: 'admin', workspaces: [] }, 'gamma')).toBe(true);
  });

  it('ranks the roles: a reader reads, a writer writes, only an admin administers', () => {
    const as = (role: 'reader' | 'writer' | 'admin') => ({ key_id: `key_${role}`, role, workspaces: ['acme'] });
    expect(['public', 'read', 'write', 'admin'].map((access) => hasAccess(as('reader'), access as never))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(['public', 'read', 'write', 'admin'].map((access) => hasAccess(as('writer'), access as never))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(['public', 'read', 'write', 'admin'].map((access) => hasAccess(as('admin'), access as never))).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });
});
