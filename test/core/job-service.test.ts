// JobService against DynamoDB Local: jobs are created with their defaults, patched under their version, unique
// by name in their project, and what follows a job (its schedule, its runs) follows each change in order.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../functions/core/errors.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('job-service');
const project = { workspace_id: 'acme', project_id: 'job-service' };

describe('JobService', () => {
  it('creates a job with its defaults, refuses its name twice in a project, and allows it in another', async () => {
    const jobs = t.core.services.jobs();
    const job = await jobs.create(project, { name: 'nightly', image: 'alpine', command: 'echo hi' }, TEST_ACTOR);
    expect(job).toMatchObject({
      command: ['/bin/sh', '-c', 'echo hi'],
      timezone: 'UTC',
      cpu: 0.25,
      memory_mb: 512,
      concurrency: 'allow',
    });
    expect(await jobs.get({ ...project, job_id: job.id })).toEqual(job);
    await expect(
      jobs.create(project, { name: 'nightly', image: 'alpine', command: ['true'] }, TEST_ACTOR),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      jobs.create(
        { ...project, project_id: 'elsewhere' },
        { name: 'nightly', image: 'alpine', command: ['true'] },
        TEST_ACTOR,
      ),
    ).resolves.toBeTruthy();
  });

  it('patches: omitted fields stay, null resets, the cpu/memory pair is checked on the merged job, a rename frees the old name', async () => {
    const jobs = t.core.services.jobs();
    const job = await jobs.create(
      project,
      {
        name: 'patched',
        image: 'alpine',
        command: ['true'],
        retries: 3,
        cpu: 1,
        memory_mb: 2048,
      },
      TEST_ACTOR,
    );
    const ref = { ...project, job_id: job.id };
    const next = await jobs.patch(ref, { retries: null, name: 'renamed' }, TEST_ACTOR);
    expect(next).toMatchObject({ retries: 0, name: 'renamed', cpu: 1, memory_mb: 2048 });
    // Both given, they must pair; one alone brings the other along where it would not.
    await expect(jobs.patch(ref, { cpu: 1, memory_mb: 1024 }, TEST_ACTOR)).rejects.toBeInstanceOf(ValidationError);
    expect(await jobs.patch(ref, { memory_mb: 1024 }, TEST_ACTOR)).toMatchObject({ cpu: 0.25, memory_mb: 1024 });
    await expect(
      jobs.create(project, { name: 'patched', image: 'alpine', command: ['true'] }, TEST_ACTOR),
    ).resolves.toBeTruthy();
  });

  it('syncs the schedule on create and on a schedule change only, and removes it before the job goes', async () => {
    const jobs = t.core.services.jobs();
    const job = await jobs.create(
      project,
      {
        name: 'scheduled',
        image: 'alpine',
        command: ['true'],
        schedule: '0 3 * * *',
      },
      TEST_ACTOR,
    );
    const ref = { ...project, job_id: job.id };
    const synced = () => t.core.schedules.synced.filter((id) => id === job.id).length;
    expect(synced()).toBe(1);
    await jobs.patch(ref, { image: 'busybox' }, TEST_ACTOR);
    expect(synced()).toBe(1);
    await jobs.patch(ref, { suspended: true }, TEST_ACTOR);
    expect(synced()).toBe(2);
    await jobs.delete(ref);
    expect(t.core.schedules.removed).toContain(job.id);
    await expect(jobs.get(ref)).rejects.toBeInstanceOf(NotFoundError);
    await expect(jobs.delete(ref)).rejects.toBeInstanceOf(NotFoundError);
  });
});
