import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoKeyStore } from '../../../functions/adapters/dynamodb/key-store.ts';
import { ConflictError, NotFoundError } from '../../../functions/core/errors.ts';
import { BOOTSTRAP_KEY_ID, BOOTSTRAP_KEY_NAME, hashSecret } from '../../../functions/core/keys.ts';
import { KeyService } from '../../../functions/core/key-service.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let keys: KeyService;
const bootstrap = 'jobs_bootstrap-secret-for-tests';

beforeAll(async () => {
  table = await createTestTable('key-store');
  keys = new KeyService(new DynamoKeyStore(table), { bootstrapAdminHash: hashSecret(bootstrap) });
});
afterAll(() => table.drop());

describe('KeyService on DynamoDB', () => {
  it('authenticates a new key by its secret and keeps only the hash', async () => {
    const { key, secret } = await keys.create({ name: 'ci', role: 'writer', workspaces: ['acme', 'acme'] });
    expect(secret).toMatch(/^jobs_[A-Za-z0-9_-]{43}$/);
    expect(key.workspaces).toEqual(['acme']);
    expect(await keys.authenticate(secret)).toEqual({
      key_id: key.id,
      key_name: 'ci',
      role: 'writer',
      workspaces: ['acme'],
    });
    expect(await keys.authenticate(`${secret}x`)).toBeNull();
    const scan = JSON.stringify((await table.client.send(new ScanCommand({ TableName: table.name }))).Items);
    expect(scan).not.toContain(secret);
    expect(scan).toContain(hashSecret(secret));
  });

  it('gives admin keys every workspace', async () => {
    const { key } = await keys.create({ name: 'ops', role: 'admin', workspaces: [] });
    expect(key.workspaces).toEqual(['*']);
  });

  it('revokes a key so that its very next authentication fails', async () => {
    const { key, secret } = await keys.create({ name: 'short-lived', role: 'reader', workspaces: ['acme'] });
    await keys.revoke(key.id);
    expect(await keys.authenticate(secret)).toBeNull();
    await expect(keys.revoke(key.id)).rejects.toThrow(NotFoundError);
  });

  it('lists keys newest first, without hashes, page by page', async () => {
    const created = [];
    for (let i = 0; i < 3; i++)
      created.push((await keys.create({ name: `k${i}`, role: 'reader', workspaces: ['acme'] })).key);
    const first = await keys.list({ limit: 2 });
    expect(first.items.map((k) => k.name)).toEqual(['k2', 'k1']);
    expect(Object.keys(first.items[0]!)).toEqual(['id', 'name', 'role', 'workspaces', 'created_at']);
    const second = await keys.list({ limit: 2, cursor: first.next_cursor! });
    expect(second.items[0]?.name).toBe('k0');
  });

  it('treats the configured bootstrap key as an admin that cannot be revoked through the API', async () => {
    expect(await keys.authenticate(bootstrap)).toEqual({
      key_id: BOOTSTRAP_KEY_ID,
      key_name: BOOTSTRAP_KEY_NAME,
      role: 'admin',
      workspaces: ['*'],
    });
    await expect(keys.revoke(BOOTSTRAP_KEY_ID)).rejects.toThrow(ConflictError);
  });
});
