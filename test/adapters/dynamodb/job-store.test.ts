import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../functions/adapters/dynamodb/job-store.ts';
import { ConflictError, PreconditionFailedError, ValidationError } from '../../../functions/core/errors.ts';
import { newId } from '../../../functions/core/ids.ts';
import { buildJob, type Job } from '../../../functions/core/jobs.ts';
import { JobService } from '../../../functions/core/job-service.ts';
import { createTestTable } from '../../helpers/dynamodb.ts';
import { TEST_ACTOR } from '../../helpers/actor.ts';
import { specOf } from '../../../functions/core/revisions.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoJobStore;

beforeAll(async () => {
  table = await createTestTable('job-store');
  store = new DynamoJobStore(table);
});
afterAll(() => table.drop());

let project = 0;
const freshProject = () => ({ workspace_id: 'acme', project_id: `p${++project}` });

function makeJob(ref: { workspace_id: string; project_id: string }, overrides: Partial<Job> = {}): Job {
  const now = new Date().toISOString();
  return {
    ...buildJob(
      ref,
      newId('job'),
      { name: `n-${newId('job').slice(-6)}`, image: 'alpine', command: ['true'] },
      now,
      now,
    ),
    ...overrides,
  };
}

describe('DynamoJobStore', () => {
  it('stores a job and reads it back exactly, with version 1', async () => {
    const ref = freshProject();
    const job = makeJob(ref, { env: { A: '1' }, tags: { team: 'data' }, schedule: '0 3 * * *' });
    await store.create(job);
    expect(await store.get(ref, job.id)).toEqual({ job, version: 1 });
    expect(await store.get({ ...ref, project_id: 'other' }, job.id)).toBeNull();
  });

  it('refuses a second job with the same name in the project, but not in another project', async () => {
    const ref = freshProject();
    await store.create(makeJob(ref, { name: 'same' }));
    await expect(store.create(makeJob(ref, { name: 'same' }))).rejects.toThrow(ConflictError);
    await expect(store.create(makeJob(freshProject(), { name: 'same' }))).resolves.toBeUndefined();
  });

  it('lets exactly one of 20 concurrent creates of one name through', async () => {
    const ref = freshProject();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => store.create(makeJob(ref, { name: 'race' }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(19);
    expect(rejected.every((r) => r.reason instanceof ConflictError)).toBe(true);
    const page = await store.list(ref, { tags: [] }, { limit: 100 });
    expect(page.items.map((j) => j.name)).toEqual(['race']);
  });

  it('pages newest first with an exact next cursor', async () => {
    const ref = freshProject();
    const jobs: Job[] = [];
    for (let i = 0; i < 5; i++) {
      const job = makeJob(ref, { name: `j${i}` });
      await store.create(job);
      jobs.push(job);
    }
    const first = await store.list(ref, { tags: [] }, { limit: 2 });
    expect(first.items.map((j) => j.name)).toEqual(['j4', 'j3']);
    const second = await store.list(ref, { tags: [] }, { limit: 2, cursor: first.next_cursor! });
    expect(second.items.map((j) => j.name)).toEqual(['j2', 'j1']);
    const third = await store.list(ref, { tags: [] }, { limit: 2, cursor: second.next_cursor! });
    expect(third).toEqual({ items: [jobs[0]], next_cursor: null });
    const exact = await store.list(ref, { tags: [] }, { limit: 5 });
    expect(exact.next_cursor).toBeNull();
  });

  it('filters by tags (all must match) and by having a schedule, across pages', async () => {
    const ref = freshProject();
    for (let i = 0; i < 30; i++) {
      await store.create(
        makeJob(ref, {
          name: `t${i}`,
          tags: { team: i % 3 === 0 ? 'data' : 'web', tier: i % 2 === 0 ? 'gold' : 'free' },
          schedule: i % 5 === 0 ? '@daily' : null,
        }),
      );
    }
    const names = async (filter: Parameters<DynamoJobStore['list']>[1]) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(ref, filter, { limit: 3, cursor });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((j) => j.name));
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return seen;
    };
    expect(
      await names({
        tags: [
          ['team', 'data'],
          ['tier', 'gold'],
        ],
      }),
    ).toEqual(['t24', 't18', 't12', 't6', 't0']);
    expect(await names({ tags: [], scheduled: true })).toEqual(['t25', 't20', 't15', 't10', 't5', 't0']);
    expect((await names({ tags: [], scheduled: false })).length).toBe(24);
  });

  it('rejects a cursor that it did not make', async () => {
    await expect(store.list(freshProject(), { tags: [] }, { limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toThrow(
      ValidationError,
    );
  });

  it('updates only when the version matches, and keeps names unique on rename', async () => {
    const ref = freshProject();
    const a = makeJob(ref, { name: 'a' });
    const b = makeJob(ref, { name: 'b' });
    await store.create(a);
    await store.create(b);
    const revision = (job: Job, n: number) => ({
      revision: n,
      created_at: job.updated_at,
      actor: TEST_ACTOR,
      spec: specOf(job),
    });
    const update = (job: Job, version: number) => store.update(job, version, 'a', revision(job, version + 1), 100);
    expect(await update({ ...a, image: 'busybox' }, 1)).toBe(true);
    expect(await update({ ...a, image: 'stale' }, 1)).toBe(false);
    await expect(update({ ...a, name: 'b' }, 2)).rejects.toThrow(ConflictError);
    expect(await update({ ...a, image: 'busybox', name: 'c' }, 2)).toBe(true);
    // The old name is free again, the new one is taken.
    await expect(store.create(makeJob(ref, { name: 'a' }))).resolves.toBeUndefined();
    await expect(store.create(makeJob(ref, { name: 'c' }))).rejects.toThrow(ConflictError);
    expect((await store.get(ref, a.id))?.job).toMatchObject({ name: 'c', image: 'busybox' });
  });

  it('deletes the job and frees its name', async () => {
    const ref = freshProject();
    const job = makeJob(ref, { name: 'gone' });
    await store.create(job);
    expect(await store.delete(ref, job.id, job.name)).toBe(true);
    expect(await store.get(ref, job.id)).toBeNull();
    expect(await store.delete(ref, job.id, job.name)).toBe(false);
    await expect(store.create(makeJob(ref, { name: 'gone' }))).resolves.toBeUndefined();
  });
});

describe('JobService on DynamoDB', () => {
  it('retries a PATCH that lost a race on the version, so both concurrent patches land', async () => {
    const service = new JobService(store);
    const ref = freshProject();
    const job = await service.create(ref, { name: 'patched', image: 'alpine', command: ['true'] }, TEST_ACTOR);
    await Promise.all([
      service.patch({ ...ref, job_id: job.id }, { env: { A: '1' } }, TEST_ACTOR),
      service.patch({ ...ref, job_id: job.id }, { tags: { t: '1' } }, TEST_ACTOR),
    ]);
    const final = await service.get({ ...ref, job_id: job.id });
    expect(final).toMatchObject({ env: { A: '1' }, tags: { t: '1' } });
    expect((await store.get(ref, job.id))?.version).toBe(3);
  });

  it('rejects an invalid cpu/memory pair after merging a PATCH, and pairs a cpu given alone with its smallest memory', async () => {
    const service = new JobService(store);
    const ref = freshProject();
    const job = await service.create(ref, { name: 'sized', image: 'alpine', command: ['true'] }, TEST_ACTOR);
    await expect(
      service.patch({ ...ref, job_id: job.id }, { cpu: 1, memory_mb: 512 }, TEST_ACTOR),
    ).rejects.toMatchObject({
      errors: [{ field: 'memory_mb', message: '512 is not valid with cpu 1; use 2048-8192 in steps of 1024' }],
    });
    expect(await service.patch({ ...ref, job_id: job.id }, { cpu: 1 }, TEST_ACTOR)).toMatchObject({
      cpu: 1,
      memory_mb: 2048,
    });
  });

  it('writes a revision with each change, keeps the newest `keep` of them, and answers 412 to a stale If-Match', async () => {
    const ref = freshProject();
    const service = new JobService(store);
    const job = await service.create(ref, { name: 'kept', image: 'alpine', command: ['true'] }, TEST_ACTOR);
    const jobRef = { ...ref, job_id: job.id };
    for (const image of ['a', 'b', 'c']) {
      const stored = (await store.get(ref, job.id))!;
      const next = { ...stored.job, image, revision: stored.version + 1 };
      const revision = { revision: next.revision, created_at: next.updated_at, actor: TEST_ACTOR, spec: specOf(next) };
      expect(await store.update(next, stored.version, next.name, revision, 2)).toBe(true);
    }
    const page = await store.revisions(jobRef, { limit: 10 });
    expect(page.items.map((r) => [r.revision, r.spec.image])).toEqual([
      [4, 'c'],
      [3, 'b'],
    ]);
    expect(await store.revision(jobRef, 1)).toBeNull();
    await expect(service.patch(jobRef, { image: 'd' }, TEST_ACTOR, { ifMatch: 3 })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect((await service.get(jobRef)).image).toBe('c');
  });

  it('keeps the table to one job item and one name item per job', async () => {
    const ref = freshProject();
    await new JobService(store).create(ref, { name: 'counted', image: 'alpine', command: ['true'] }, TEST_ACTOR);
    // A Scan is fine in a test; no API path uses one.
    const items = await table.client.send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': { S: `WS#acme#PRJ#${ref.project_id}` } },
      }),
    );
    expect(items.Items?.map((i) => i.SK?.S?.split('#')[0]).sort()).toEqual(['JOB', 'NAME']);
  });
});
