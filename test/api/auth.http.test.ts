import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

let t: TestService;
let admin: ApiClient;
let keys: { writer: string; reader: string; otherWriter: string; revoked: string };
let acmeJobId: string;
const ACME = projectPath('acme', 'etl');
const BETA = projectPath('beta', 'etl');

async function createKey(role: string, workspaces: string[]): Promise<{ id: string; secret: string }> {
  const response = await admin.post('/v1/keys', { name: `${role}-${workspaces.join('+')}`, role, workspaces });
  expect(response.status).toBe(201);
  return response.body.data;
}

beforeAll(async () => {
  t = await startTestService('auth');
  admin = t.api;
  const revoked = await createKey('writer', ['acme']);
  expect((await admin.delete(`/v1/keys/${revoked.id}`)).status).toBe(200);
  keys = {
    writer: (await createKey('writer', ['acme'])).secret,
    reader: (await createKey('reader', ['acme'])).secret,
    otherWriter: (await createKey('writer', ['beta'])).secret,
    revoked: revoked.secret,
  };
  acmeJobId = (await admin.post(`${ACME}/jobs`, job({ name: 'shared' }))).body.data.id;
});
afterAll(() => t.stop());

const as = (key: string | null) => admin.withKey(key);

describe('authentication', () => {
  it('answers 401 without a key, with a wrong key, and with a revoked key', async () => {
    for (const key of [null, 'jobs_not-a-real-key', keys.revoked]) {
      const response = await as(key).get(`${ACME}/jobs`);
      expect(response.status).toBe(401);
      expect(response.body.status).toBe('error');
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
    }
    const malformed = await admin.get(`${ACME}/jobs`, { headers: { authorization: 'Basic Zm9vOmJhcg==' }, key: null });
    expect(malformed.status).toBe(401);
  });

  it('needs no key for health and the OpenAPI document', async () => {
    expect((await as(null).get('/v1/health')).status).toBe(200);
    expect((await as(null).get('/v1/openapi.json')).status).toBe(200);
  });
});

describe('authorization', () => {
  it('lets a reader read, including another reader route, but not write (403)', async () => {
    expect((await as(keys.reader).get(`${ACME}/jobs`)).status).toBe(200);
    expect((await as(keys.reader).get(`${ACME}/jobs/${acmeJobId}`)).status).toBe(200);
    const write = await as(keys.reader).post(`${ACME}/jobs`, job());
    expect(write.status).toBe(403);
    expect(write.body.message).toContain('a reader key cannot do this');
    expect((await as(keys.reader).patch(`${ACME}/jobs/${acmeJobId}`, { retries: 1 })).status).toBe(403);
    expect((await as(keys.reader).delete(`${ACME}/jobs/${acmeJobId}`)).status).toBe(403);
  });

  it('lets a writer write in its workspace', async () => {
    expect((await as(keys.writer).post(`${ACME}/jobs`, job())).status).toBe(201);
    expect((await as(keys.writer).patch(`${ACME}/jobs/${acmeJobId}`, { retries: 2 })).status).toBe(200);
  });

  it('answers 404 to a writer in another workspace, for reads and writes alike, never revealing the resource', async () => {
    for (const response of [
      await as(keys.otherWriter).get(`${ACME}/jobs`),
      await as(keys.otherWriter).get(`${ACME}/jobs/${acmeJobId}`),
      await as(keys.otherWriter).post(`${ACME}/jobs`, job()),
      await as(keys.otherWriter).delete(`${ACME}/jobs/${acmeJobId}`),
    ]) {
      expect(response.status).toBe(404);
    }
    expect((await as(keys.otherWriter).get(`${BETA}/jobs`)).status).toBe(200);
    // And the job is still there for its own workspace.
    expect((await as(keys.writer).get(`${ACME}/jobs/${acmeJobId}`)).status).toBe(200);
  });

  it('does not let a writer or reader manage keys (403)', async () => {
    for (const key of [keys.writer, keys.reader]) {
      expect((await as(key).post('/v1/keys', { name: 'x', role: 'admin' })).status).toBe(403);
      expect((await as(key).get('/v1/keys')).status).toBe(403);
      expect((await as(key).delete('/v1/keys/key_01JD6Q3ZK8Y5E2W9T4N7B1C0XA')).status).toBe(403);
    }
  });

  it('lets an admin see every workspace', async () => {
    expect((await admin.get(`${BETA}/jobs`)).status).toBe(200);
    expect((await admin.get(`${ACME}/jobs/${acmeJobId}`)).status).toBe(200);
  });
});

describe('key endpoints', () => {
  it('shows a secret only on creation and lists keys without secrets or hashes', async () => {
    const created = await admin.post('/v1/keys', { name: 'ci', role: 'reader', workspaces: ['acme'] });
    expect(created.status).toBe(201);
    expect(created.body.message).toBe('Key created');
    expect(created.body.data).toMatchObject({ name: 'ci', role: 'reader', workspaces: ['acme'] });
    expect(created.body.data.id).toMatch(/^key_/);
    const listed = await admin.get('/v1/keys?limit=100');
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(created.body.data.secret);
    expect(text).not.toContain('hash');
    expect(listed.body.data.some((k: { id: string }) => k.id === created.body.data.id)).toBe(true);
  });

  it('validates key requests, naming the field', async () => {
    const noWorkspace = await admin.post('/v1/keys', { name: 'x', role: 'writer' });
    expect(noWorkspace.status).toBe(400);
    expect(noWorkspace.body.errors).toEqual([
      { field: 'workspaces', message: 'a writer key needs at least one workspace' },
    ]);
    expect(
      (await admin.post('/v1/keys', { name: 'x', role: 'root', workspaces: ['acme'] })).body.errors?.[0]?.field,
    ).toBe('role');
    expect(
      (await admin.post('/v1/keys', { name: 'x', role: 'reader', workspaces: ['Not Valid'] })).body.errors?.[0]?.field,
    ).toBe('workspaces.0');
  });

  it('revokes at once: the next request with the key fails', async () => {
    const created = await admin.post('/v1/keys', { name: 'temp', role: 'writer', workspaces: ['acme'] });
    const key = created.body.data.secret;
    expect((await as(key).get(`${ACME}/jobs`)).status).toBe(200);
    expect((await admin.delete(`/v1/keys/${created.body.data.id}`)).status).toBe(200);
    expect((await as(key).get(`${ACME}/jobs`)).status).toBe(401);
    expect((await admin.delete(`/v1/keys/${created.body.data.id}`)).status).toBe(404);
  });

  it('refuses to revoke the bootstrap admin key through the API', async () => {
    const response = await admin.delete('/v1/keys/key_admin');
    expect(response.status).toBe(409);
    expect((await admin.get('/v1/keys')).status).toBe(200);
  });
});
