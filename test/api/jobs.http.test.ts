import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath();

beforeAll(async () => {
  t = await startTestService('jobs-http');
  api = t.api;
});
afterAll(() => t.stop());

describe('job endpoints', () => {
  it('creates a job (201) with defaults filled, and reads it back', async () => {
    const created = await api.post(
      `${P}/jobs`,
      job({ name: 'nightly-report', command: 'echo hello', schedule: '0 3 * * 1-5', timezone: 'Europe/Berlin' }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'success', message: 'Job created' });
    const data = created.body.data;
    expect(data.id).toMatch(/^job_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(data).toMatchObject({
      workspace_id: 'acme',
      project_id: 'etl',
      name: 'nightly-report',
      command: ['/bin/sh', '-c', 'echo hello'],
      env: {},
      schedule: '0 3 * * 1-5',
      timezone: 'Europe/Berlin',
      suspended: false,
      tags: {},
      timeout_seconds: 3600,
      retries: 0,
      concurrency: 'allow',
      cpu: 0.25,
      memory_mb: 512,
    });
    expect(data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const fetched = await api.get(`${P}/jobs/${data.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual({ status: 'success', message: 'Job', data });
    expect(fetched.headers.get('content-type')).toBe('application/json');
    expect(fetched.headers.get('x-request-id')).toBeTruthy();
  });

  it('patches: omitted fields stay, null clears an optional field', async () => {
    const { body } = await api.post(
      `${P}/jobs`,
      job({ env: { A: '1' }, tags: { team: 'data' }, schedule: '@daily', retries: 3 }),
    );
    const id = body.data.id;
    const patched = await api.patch(`${P}/jobs/${id}`, { image: 'busybox:1.36', schedule: null, retries: null });
    expect(patched.status).toBe(200);
    expect(patched.body.message).toBe('Job updated');
    expect(patched.body.data).toMatchObject({
      image: 'busybox:1.36',
      schedule: null,
      retries: 0,
      env: { A: '1' },
      tags: { team: 'data' },
    });
    expect(patched.body.data.updated_at > body.data.updated_at).toBe(true);
    expect(patched.body.data.created_at).toBe(body.data.created_at);
  });

  it('refuses null for a required field', async () => {
    const { body } = await api.post(`${P}/jobs`, job());
    const response = await api.patch(`${P}/jobs/${body.data.id}`, { name: null });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.field).toBe('name');
  });

  it('deletes a job (200), after which it is 404 everywhere', async () => {
    const { body } = await api.post(`${P}/jobs`, job({ name: 'doomed' }));
    const id = body.data.id;
    const deleted = await api.delete(`${P}/jobs/${id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'success', message: 'Job deleted', data: { id } });
    for (const response of [
      await api.get(`${P}/jobs/${id}`),
      await api.patch(`${P}/jobs/${id}`, { retries: 1 }),
      await api.delete(`${P}/jobs/${id}`),
    ]) {
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ status: 'error', message: `job ${id} not found`, errors: [] });
    }
    const list = await api.get(`${P}/jobs?limit=100`);
    expect(list.body.data.map((j: { id: string }) => j.id)).not.toContain(id);
    // The name is free again.
    expect((await api.post(`${P}/jobs`, job({ name: 'doomed' }))).status).toBe(201);
  });

  it('lists with limit, cursor and the tag and scheduled filters', async () => {
    const Q = projectPath('acme', 'listing');
    for (let i = 0; i < 5; i++) {
      await api.post(
        `${Q}/jobs`,
        job({
          name: `l${i}`,
          tags: { team: i % 2 ? 'web' : 'data', env: 'prod' },
          schedule: i === 4 ? '*/5 * * * *' : null,
        }),
      );
    }
    const first = await api.get(`${Q}/jobs?limit=2`);
    expect(first.body).toMatchObject({ status: 'success', message: 'Jobs' });
    expect(first.body.data.map((j: { name: string }) => j.name)).toEqual(['l4', 'l3']);
    const second = await api.get(`${Q}/jobs?limit=2&cursor=${encodeURIComponent(first.body.next_cursor!)}`);
    expect(second.body.data.map((j: { name: string }) => j.name)).toEqual(['l2', 'l1']);
    const tagged = await api.get(`${Q}/jobs?tag=team:data&tag=env:prod`);
    expect(tagged.body.data.map((j: { name: string }) => j.name)).toEqual(['l4', 'l2', 'l0']);
    expect(tagged.body.next_cursor).toBeNull();
    expect((await api.get(`${Q}/jobs?scheduled=true`)).body.data.map((j: { name: string }) => j.name)).toEqual(['l4']);
    expect((await api.get(`${Q}/jobs?scheduled=false`)).body.data).toHaveLength(4);
  });

  it('gives exactly one 201 and nineteen 409 for 20 concurrent creates of one name', async () => {
    const body = job({ name: 'contended' });
    const responses = await Promise.all(Array.from({ length: 20 }, () => api.post(`${P}/jobs`, body)));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const conflict = responses.find((r) => r.status === 409)!;
    expect(conflict.body).toEqual({
      status: 'error',
      message: "a job named 'contended' already exists in this project",
      errors: [{ field: 'name', message: "a job named 'contended' already exists in this project" }],
    });
  });
});

describe('task size', () => {
  it('gives a cpu alone the smallest memory Fargate pairs with it, and a memory alone the smallest cpu', async () => {
    const sized = async (size: Record<string, number>) => {
      const { cpu, memory_mb } = (
        await api.post(`${P}/jobs`, job({ name: `sized-${Object.values(size).join('-')}`, ...size }))
      ).body.data;
      return { cpu, memory_mb };
    };
    expect(await sized({ cpu: 1 })).toEqual({ cpu: 1, memory_mb: 2048 });
    expect(await sized({ cpu: 16 })).toEqual({ cpu: 16, memory_mb: 32768 });
    expect(await sized({ memory_mb: 3072 })).toEqual({ cpu: 0.5, memory_mb: 3072 });
    expect(await sized({ memory_mb: 20480 })).toEqual({ cpu: 4, memory_mb: 20480 });
  });

  it("keeps a job's other size on a PATCH of one where the pair still holds, else brings its smallest partner", async () => {
    const created = (await api.post(`${P}/jobs`, job({ name: 'resized', cpu: 1, memory_mb: 4096 }))).body.data;
    const patch = async (body: Record<string, unknown>) => {
      const { cpu, memory_mb } = (await api.patch(`${P}/jobs/${created.id}`, body)).body.data;
      return { cpu, memory_mb };
    };
    expect(await patch({ cpu: 0.5 })).toEqual({ cpu: 0.5, memory_mb: 4096 });
    expect(await patch({ cpu: 4 })).toEqual({ cpu: 4, memory_mb: 8192 });
    expect(await patch({ memory_mb: 1024 })).toEqual({ cpu: 0.25, memory_mb: 1024 });
    expect(await patch({ cpu: null })).toEqual({ cpu: 0.25, memory_mb: 1024 });
    // Both given: they must pair, as before.
    expect((await api.patch(`${P}/jobs/${created.id}`, { cpu: 1, memory_mb: 512 })).status).toBe(400);
  });
});

describe('validation', () => {
  const bad = (overrides: Record<string, unknown>) => api.post(`${P}/jobs`, job(overrides));

  it.each([
    [{ schedule: '* * * *' }, 'schedule', 'expected 5 cron fields, got 4'],
    [{ schedule: '0 25 * * *' }, 'schedule', 'hour value 25 is out of range 0-23'],
    [{ schedule: '0 0 31 2 *' }, 'schedule', 'never fires'],
    [{ timezone: 'Mars/Olympus' }, 'timezone', 'is not an IANA time zone'],
    [{ env: { '1BAD': 'x' } }, 'env.1BAD', 'is not a valid variable name'],
    [{ cpu: 1, memory_mb: 512 }, 'memory_mb', '512 is not valid with cpu 1'],
    [{ cpu: 3 }, 'cpu', 'must be one of'],
    [{ name: 'bad/name' }, 'name', 'must be 1-128 characters'],
    [{ image: 'NOT AN IMAGE' }, 'image', 'OCI image reference'],
    [{ command: [] }, 'command', 'must not be empty'],
    [{ command: 42 }, 'command', 'array of strings or a string'],
    [{ timeout_seconds: 0 }, 'timeout_seconds', 'integer from 1 to 604800'],
    [{ retries: 11 }, 'retries', 'integer from 0 to 10'],
    [{ concurrency: 'sometimes' }, 'concurrency', 'must be one of allow, forbid, replace'],
    [{ tags: { 'a:b': 'c' } }, 'tags.a:b', 'tag key'],
    [{ suspended: 'yes' }, 'suspended', 'true or false'],
    [
      { retry_rules: Array.from({ length: 11 }, () => ({ exit_codes: [1], action: 'fail' })) },
      'retry_rules',
      'at most 10 rules',
    ],
    [{ retry_rules: [{ exit_codes: [], action: 'fail' }] }, 'retry_rules.0.exit_codes', 'at least one exit code'],
    [{ retry_rules: [{ action: 'fail' }] }, 'retry_rules.0.exit_codes', 'list of exit codes'],
    [{ retry_rules: [{ exit_codes: [1], action: 'ignore' }] }, 'retry_rules.0.action', 'must be retry or fail'],
    [{ retry_rules: [{ exit_codes: [256], action: 'fail' }] }, 'retry_rules.0.exit_codes.0', 'integer from 0 to 255'],
  ])('answers 400 naming the field for %j', async (overrides, field, message) => {
    const response = await bad(overrides);
    expect(response.status).toBe(400);
    expect(response.body.status).toBe('error');
    expect(response.body.errors).toContainEqual(
      expect.objectContaining({ field, message: expect.stringContaining(message) }),
    );
    expect(response.body.message).toContain(field);
  });

  it('names every missing required field', async () => {
    const response = await api.post(`${P}/jobs`, {});
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((e) => e.field).sort()).toEqual(['command', 'image', 'name']);
  });

  it.each(['id', 'workspace_id', 'created_at', 'updated_at'])('refuses the read-only field %s', async (field) => {
    const response = await bad({ [field]: 'x' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ field, message: 'is read-only and cannot be set' }]);
  });

  it('refuses unknown fields and unknown query parameters', async () => {
    expect((await bad({ colour: 'blue' })).body.errors).toEqual([{ field: 'colour', message: 'is not a known field' }]);
    const list = await api.get(`${P}/jobs?limt=5`);
    expect(list.status).toBe(400);
    expect(list.body.errors).toEqual([{ field: 'limt', message: 'is not a query parameter of this route' }]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['scheduled=maybe', 'scheduled'],
    ['tag=novalue', 'tag'],
    ['cursor=garbage', 'cursor'],
  ])('answers 400 for the list query %s', async (query, field) => {
    const response = await api.get(`${P}/jobs?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.field).toBe(field);
  });

  it('answers 400 for malformed JSON, 415 for another content type and 413 over 256 KiB', async () => {
    const malformed = await api.request('POST', `${P}/jobs`, {
      rawBody: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.[0]?.field).toBe('body');
    const form = await api.request('POST', `${P}/jobs`, {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(form.body.status).toBe('error');
    const huge = await api.post(`${P}/jobs`, job({ env: { BIG: 'x'.repeat(300 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.message).toContain('256 KiB');
    const proto = await api.request('POST', `${P}/jobs`, {
      rawBody: '{"__proto__": {"admin": true}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(proto.status).toBe(400);
  });

  it('answers 400 for a bad workspace, project or job id', async () => {
    expect((await api.get('/v1/workspaces/Bad_WS/projects/etl/jobs')).body.errors?.[0]?.field).toBe('workspace_id');
    expect((await api.get('/v1/workspaces/acme/projects/-x/jobs')).body.errors?.[0]?.field).toBe('project_id');
    const badJob = await api.get(`${P}/jobs/not-a-job-id`);
    expect(badJob.status).toBe(400);
    expect(badJob.body.errors?.[0]?.field).toBe('job_id');
  });

  it('answers an unknown route with a 404 envelope and a wrong method with a 405 envelope and Allow', async () => {
    const unknown = await api.get('/v1/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ status: 'error', message: 'no route GET /v1/nothing-here', errors: [] });
    const wrong = await api.request('PUT', `${P}/jobs`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, POST');
    expect(wrong.body.status).toBe('error');
  });
});

describe("a job's revisions", () => {
  it('counts changes of the spec only, keeps each with its key, reverts, and refuses a stale If-Match', async () => {
    const created = (await api.post(`${P}/jobs`, job({ name: 'revised', command: ['echo', 'one'] }))).body.data;
    expect(created.revision).toBe(1);
    const path = `${P}/jobs/${created.id}` as const;
    const read = await api.get(path);
    expect(read.headers.get('etag')).toBe('"1"');

    const second = await api.patch(path, { image: 'busybox:1', env: { STAGE: 'prod' } });
    expect(second.body.data.revision).toBe(2);
    expect(second.headers.get('etag')).toBe('"2"');
    // A run made now records the revision it was made from.
    const run = (await api.post(`${path}/runs`, {})).body.data;
    expect(run.job_revision).toBe(2);
    // A change that changes nothing makes no revision.
    const same = await api.patch(path, { image: 'busybox:1' }, { headers: { 'if-match': '"2"' } });
    expect(same.status).toBe(200);
    expect(same.body.data).toMatchObject({ revision: 2, updated_at: second.body.data.updated_at });
    const third = await api.patch(path, { env: { STAGE: 'test', EXTRA: 'x' }, tags: { team: 'data' } });
    expect(third.body.data.revision).toBe(3);

    const listed = (await api.get(`${path}/revisions`)).body.data;
    expect(listed.map((r: { revision: number }) => r.revision)).toEqual([3, 2, 1]);
    expect(listed[2]!).toMatchObject({ actor: { key_id: 'key_admin', key_name: 'bootstrap admin key' } });
    expect(listed[0]!.spec).toMatchObject({ env: { STAGE: 'test', EXTRA: 'x' }, tags: { team: 'data' } });
    expect(listed[1]!.spec).toMatchObject({ image: 'busybox:1', env: { STAGE: 'prod' }, tags: {} });
    const first = (await api.get(`${path}/revisions/1`)).body.data;
    expect(first.spec).toMatchObject({ image: created.image, command: ['echo', 'one'], env: {} });

    // A change made against revision 2 finds the job at 3: refused, and the job is as it was.
    const stale = await api.patch(path, { image: 'alpine:3' }, { headers: { 'if-match': '"2"' } });
    expect(stale.status).toBe(412);
    expect(stale.body.errors).toEqual([{ field: 'If-Match', message: expect.stringContaining('revision 3') }]);
    expect((await api.get(path)).body.data).toMatchObject({ revision: 3, image: 'busybox:1' });
    const malformed = await api.patch(path, { image: 'alpine:3' }, { headers: { 'if-match': 'latest' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors?.[0]?.field).toBe('If-Match');

    // Reverting to 1 makes revision 4 with revision 1's spec.
    const reverted = await api.post(`${path}/revisions/1/revert`, undefined, { headers: { 'if-match': '"3"' } });
    expect(reverted.status).toBe(200);
    expect(reverted.body.data).toMatchObject({ revision: 4, image: created.image, env: {}, tags: {} });
    const fourth = (await api.get(`${path}/revisions/4`)).body.data;
    expect(fourth.spec).toEqual(first.spec);
    expect((await api.post(`${path}/revisions/9/revert`)).status).toBe(404);
    expect((await api.get(`${path}/revisions/9`)).status).toBe(404);

    // The revisions go with their job.
    expect((await api.delete(path)).status).toBe(200);
    expect((await api.get(`${path}/revisions`)).status).toBe(404);
  });
});
