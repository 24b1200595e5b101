// Hostile input: server-owned fields in a body, oversized and deeply nested JSON, ids that try to leave their
// place (path traversal, encoded separators, unicode), limits beyond the documented ones, and a caller over its
// request rate. Each gets a clear 4xx naming what is wrong, never a 500, and nothing is written.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath('acme', 'hostile');
let jobId: string;
let runId: string;

beforeAll(async () => {
  t = await startTestService('hostile');
  api = t.api;
  jobId = (await api.post(`${P}/jobs`, job({ name: 'subject' }))).body.data.id;
  runId = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id;
});
afterAll(() => t.stop());

const count = async () => (await api.get(`${P}/jobs?limit=100`)).body.data.length as number;

describe('mass assignment', () => {
  // The server's fields (API.md: Job, Run, Key).
  const OWNED = [
    'id',
    'workspace_id',
    'project_id',
    'created_at',
    'updated_at',
    'status',
    'attempt',
    'exit_code',
    'backend',
    'trigger',
    'scheduled_for',
    'secret',
    'hash',
  ];

  it('rejects every server-owned field in a create, a patch, a trigger and a key, naming it, and writes nothing', async () => {
    const before = await count();
    for (const field of OWNED) {
      const requests = [
        ['POST', `${P}/jobs`, job({ [field]: 'x' })],
        ['PATCH', `${P}/jobs/${jobId}`, { [field]: 'x' }],
        ['POST', `${P}/jobs/${jobId}/runs`, { [field]: 'x' }],
        ['POST', '/v1/keys', { name: 'k', role: 'admin', [field]: 'x' }],
      ] as const;
      for (const [method, path, body] of requests) {
        const response = await api.request(method, path, { body });
        expect(response.status, `${method} ${path} with ${field}`).toBe(400);
        expect(response.body.errors?.map((e) => e.field)).toContain(field);
      }
    }
    expect(await count()).toBe(before);
    expect((await api.get(`${P}/jobs/${jobId}`)).body.data.id).toBe(jobId);
    expect((await api.get(`${P}/jobs/${jobId}/runs?limit=100`)).body.data).toHaveLength(1);
  });
});

describe('oversized and deeply nested bodies', () => {
  it('answers 413 over 256 KiB and over the gateway limit, without reading it into a job', async () => {
    const before = await count();
    const big = job({ env: { BLOB: 'x'.repeat(300 * 1024) } });
    const response = await api.post(`${P}/jobs`, big);
    expect(response.status).toBe(413);
    const huge = await api.request('POST', `${P}/jobs`, {
      rawBody: `{"name":"${'x'.repeat(11 * 1024 * 1024)}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.status).toBe('error');
    expect(await count()).toBe(before);
  });

  it('answers 400 to JSON nested 100,000 deep and to nesting where a flat value belongs', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const response = await api.request('POST', `${P}/jobs`, {
      rawBody: deep,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.field).toBe('body');
    const deepObject = `{"name":"n","image":"alpine","command":"true","env":${'{"A":'.repeat(5_000)}"x"${'}'.repeat(5_000)}}`;
    const nested = await api.request('POST', `${P}/jobs`, {
      rawBody: deepObject,
      headers: { 'content-type': 'application/json' },
    });
    expect(nested.status).toBe(400);
    expect(nested.body.errors).toEqual([{ field: 'body', message: 'nests objects or arrays deeper than 32 levels' }]);
    // Brackets inside strings are text, not nesting.
    const brackets = await api.post(`${P}/jobs`, job({ command: ['sh', '-c', `echo '${'[{'.repeat(100)}'`] }));
    expect(brackets.status).toBe(201);
    expect((await api.get('/v1/health', { key: null })).status).toBe(200); // and the service is fine
  });
});

describe('ids that try to leave their place', () => {
  it('answers 400 or 404, never 500, and reads no file outside the data dir', async () => {
    const attempts = [
      `${P}/jobs/..%2F..%2F..%2Fetc%2Fpasswd`,
      `${P}/jobs/job_..%2F..%2Fadmin-key/runs`,
      `${P}/jobs/${jobId}/runs/..%2F..%2F..%2Fadmin-key/logs`,
      `${P}/jobs/${jobId}/runs/run_%2E%2E/logs`,
      `/v1/workspaces/acme/projects/..%2Fetl/jobs`,
      `/v1/workspaces/%E2%80%AEacme/projects/etl/jobs`,
      `/v1/workspaces/acm%C3%A9/projects/etl/jobs`,
      `/v1/workspaces/acme/projects/%F0%9F%92%A5/jobs`,
      `/v1/workspaces/acme/projects/etl%00/jobs`,
      `${P}/jobs/job_01JD6Q3ZK8Y5E2W9T4N7B1C0X%C3%84`,
      `${P}/jobs/${jobId.toLowerCase()}`,
      `${P}/jobs/${jobId}/../../../../keys`,
      `/v1/workspaces/acme/projects/hostile/jobs/${jobId}%2Fruns`,
    ];
    for (const path of attempts) {
      const response = await api.get(path);
      expect([400, 404], `${path}: ${response.status} ${response.body.message}`).toContain(response.status);
      expect(response.body.status).toBe('error');
      if (response.status === 400) expect(response.body.errors?.length ?? 0).toBeGreaterThan(0);
    }
    expect(existsSync(t.service.dataDir)).toBe(true);
  });

  it('rejects unicode lookalikes and control characters in names and env names, naming the field', async () => {
    for (const [body, field] of [
      [job({ name: 'naïve\u0000job' }), 'name'],
      [job({ env: { PÄTH: 'x' } }), 'env'],
      [job({ env: { 'A\nB': 'x' } }), 'env'],
      [job({ tags: { ['k'.repeat(300)]: 'v' } }), 'tags'],
    ] as const) {
      const response = await api.post(`${P}/jobs`, body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.body.errors?.some((e) => e.field.startsWith(field))).toBe(true);
    }
  });
});

describe('limits', () => {
  it('refuses limit=100000, 101 ids and a wait over 20 s with 400 naming the field', async () => {
    const limit = await api.get(`${P}/jobs?limit=100000`);
    expect(limit.status).toBe(400);
    expect(limit.body.errors?.map((e) => e.field)).toContain('limit');
    const ids = Array.from({ length: 101 }, () => runId);
    const statuses = await api.post(`${P}/runs/statuses`, { run_ids: ids });
    expect(statuses.status).toBe(400);
    expect(statuses.body.errors?.map((e) => e.field)).toContain('run_ids');
    const wait = await api.get(`${P}/jobs/${jobId}/runs/${runId}?wait=21`);
    expect(wait.status).toBe(400);
    expect(wait.body.errors?.map((e) => e.field)).toContain('wait');
    expect((await api.post(`${P}/runs/statuses`, { run_ids: ids.slice(0, 100) })).status).toBe(200);
  });
});

describe('the per-key request rate limit', () => {
  it('answers 429 with Retry-After beyond the bucket, for that key only, and lets it through after the wait', async () => {
    const limited = await startTestService('rate', { rateLimit: { rate: 5, burst: 10 } });
    try {
      const other = (await limited.api.post('/v1/keys', { name: 'other', role: 'reader', workspaces: ['acme'] })).body
        .data.secret as string;
      const statuses: number[] = [];
      let retryAfter = 0;
      for (let i = 0; i < 30; i++) {
        const response = await limited.api.get('/v1/keys');
        statuses.push(response.status);
        if (response.status === 429) {
          retryAfter = Number(response.headers.get('retry-after'));
          expect(response.body).toMatchObject({ status: 'error' });
          expect(response.body.message).toMatch(/too many requests/);
        }
      }
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(9);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(15);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket.
      expect((await limited.api.withKey(other).get(`${P}/jobs`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      expect((await limited.api.get('/v1/keys')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
