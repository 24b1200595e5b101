// RunService against DynamoDB Local, with an orchestrator that records instead of running.
import { describe, expect, it } from 'vitest';
import { ConflictError, IdempotencyMismatchError } from '../../functions/core/errors.ts';
import type { JobCreate } from '../../functions/core/jobs.ts';
import { runRef } from '../../functions/core/run-model.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('run-service');
const project = { workspace_id: 'acme', project_id: 'run-service' };

let n = 0;
async function newJob(spec: Partial<JobCreate> = {}) {
  const job = await t.core.services
    .jobs()
    .create(project, { name: `job-${n++}`, image: 'alpine', command: ['true'], ...spec }, TEST_ACTOR);
  return { job, ref: { ...project, job_id: job.id } };
}

describe('RunService', () => {
  it("writes the run pending and starts its execution with the job's spec, the overrides over it", async () => {
    const { job, ref } = await newJob({
      env: { A: 'job', B: 'job' },
      timeout_seconds: 90,
      retries: 2,
      retry_rules: [{ exit_codes: [3], action: 'fail' }],
      queue_timeout_seconds: 600,
    });
    const run = await t.core.services.runs().trigger(ref, { command: 'echo hi', env: { B: 'run' }, priority: 80 });
    expect(run).toMatchObject({
      status: 'pending',
      attempt: 0,
      trigger: 'manual',
      priority: 80,
      command: ['/bin/sh', '-c', 'echo hi'],
      overrides: { env: { B: 'run' } },
    });
    expect(t.core.orchestrator.started.at(-1)).toEqual({
      run: runRef(run),
      timeout_seconds: 90,
      retries: 2,
      retry_rules: [{ exit_codes: [3], action: 'fail' }],
      tasks: { count: 1, parallelism: 1 },
      priority: 80,
      created_at: run.created_at,
      queue_timeout_seconds: 600,
      container: {
        image: job.image,
        command: ['/bin/sh', '-c', 'echo hi'],
        env: { A: 'job', B: 'run' },
        secrets: {},
        registry_credentials: null,
        network: 'public',
        cpu: 0.25,
        memory_mb: 512,
      },
    });
    expect(await t.core.runStore.counts(ref)).toMatchObject({ pending: 1, total: 1 });
  });

  it('returns the same run for a repeated Idempotency-Key, and refuses the key with another body', async () => {
    const { ref } = await newJob();
    const first = await t.core.services.runs().trigger(ref, { env: { X: '1' } }, { idempotencyKey: 'k' });
    const again = await t.core.services.runs().trigger(ref, { env: { X: '1' } }, { idempotencyKey: 'k' });
    expect(again.id).toBe(first.id);
    await expect(
      t.core.services.runs().trigger(ref, { env: { X: '2' } }, { idempotencyKey: 'k' }),
    ).rejects.toBeInstanceOf(IdempotencyMismatchError);
  });

  it('forbid refuses a second active run; replace cancels the active one first, with the default grace', async () => {
    const forbid = await newJob({ concurrency: 'forbid' });
    await t.core.services.runs().trigger(forbid.ref, {});
    await expect(t.core.services.runs().trigger(forbid.ref, {})).rejects.toBeInstanceOf(ConflictError);
    const replace = await newJob({ concurrency: 'replace' });
    const old = await t.core.services.runs().trigger(replace.ref, {});
    await t.core.services.runs().trigger(replace.ref, {});
    expect(await t.core.runStore.get(runRef(old))).toMatchObject({
      status: 'cancelled',
      error: 'replaced by a newer run',
    });
    expect(t.core.orchestrator.stopped.at(-1)).toMatchObject({ run_id: old.id, mode: 'graceful', graceSeconds: 30 });
  });

  it('cancels an active run (settled first, then its execution stopped) and refuses a finished one', async () => {
    const { ref } = await newJob();
    const run = await t.core.services.runs().trigger(ref, {});
    const cancelled = await t.core.services.runs().cancel(runRef(run), { mode: 'force', graceSeconds: 0 });
    expect(cancelled).toMatchObject({ status: 'cancelled', error: 'cancelled (force)', exit_code: null });
    expect(t.core.orchestrator.stopped.at(-1)).toMatchObject({ run_id: run.id, mode: 'force' });
    await expect(t.core.services.runs().cancel(runRef(run), { mode: 'force', graceSeconds: 0 })).rejects.toThrow(
      `run ${run.id} is already cancelled`,
    );
  });

  it('reruns with the same overrides, as trigger rerun', async () => {
    const { ref } = await newJob();
    const run = await t.core.services.runs().trigger(ref, { command: ['date'], env: { K: 'v' } });
    const rerun = await t.core.services.runs().rerun(runRef(run));
    expect(rerun).toMatchObject({
      trigger: 'rerun',
      command: ['date'],
      overrides: { command: ['date'], env: { K: 'v' } },
    });
  });

  it('reads without writing: a run whose execution has ended stays as it is until the reconciler settles it', async () => {
    const { ref } = await newJob();
    const run = await t.core.services.runs().trigger(ref, {});
    t.core.orchestrator.running.clear();
    expect((await t.core.services.runs().get(runRef(run))).status).toBe('pending');
    expect((await t.core.runStore.get(runRef(run)))?.status).toBe('pending');
  });

  it("gives a job's status: no latest run before the first, then counts and the schedule", async () => {
    const { ref } = await newJob({ schedule: '0 3 * * *', timezone: 'Europe/Berlin' });
    expect(await t.core.services.runs().status(ref)).toMatchObject({
      latest_run: null,
      counts: { total: 0 },
      schedule: { cron: '0 3 * * *', timezone: 'Europe/Berlin' },
    });
    const run = await t.core.services.runs().trigger(ref, {});
    expect((await t.core.services.runs().status(ref)).latest_run?.id).toBe(run.id);
  });

  it("stops a deleted job's runs, then removes them and its logs", async () => {
    const { ref } = await newJob();
    const run = await t.core.services.runs().trigger(ref, {});
    await t.core.services.jobs().delete(ref);
    expect(t.core.orchestrator.stopped.some((s) => s.run_id === run.id && s.cause === 'the job was deleted')).toBe(
      true,
    );
    expect(await t.core.runStore.get(runRef(run))).toBeNull();
    expect(t.core.logs.deleted).toContain(ref.job_id);
  });
});
