// ScheduledTrigger against DynamoDB Local: a fire becomes one run whose id the fire determines, and what a
// schedule that outlived its job, its cron or its activity fires is nothing.
import { describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../functions/core/ids.ts';
import type { JobCreate } from '../../functions/core/jobs.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('scheduled-trigger');
const project = { workspace_id: 'acme', project_id: 'schedules' };
const at = '2026-12-01T03:00:00.000Z';

let n = 0;
async function scheduledJob(spec: Partial<JobCreate> = {}) {
  const job = await t.core.services
    .jobs()
    .create(
      project,
      { name: `job-${n++}`, image: 'alpine', command: ['true'], schedule: '0 3 * * *', ...spec },
      TEST_ACTOR,
    );
  return { ...project, job_id: job.id };
}

describe('ScheduledTrigger', () => {
  it('makes one run per fire, named by the job and the time, however often the fire is delivered', async () => {
    const job = await scheduledJob();
    const trigger = t.core.services.scheduledTrigger();
    const runId = scheduledRunId(job.job_id, new Date(at));
    expect(await trigger.fire({ job, scheduled_time: at })).toEqual({ outcome: 'fired', run_id: runId });
    expect(await trigger.fire({ job, scheduled_time: at })).toEqual({ outcome: 'duplicate', run_id: runId });
    expect(await t.core.runStore.get({ ...job, run_id: runId })).toMatchObject({
      trigger: 'schedule',
      scheduled_for: at,
    });
    expect(await t.core.services.jobs().scheduleState(job)).toMatchObject({ last_fired_at: at, last_skipped_at: null });
  });

  it('records a fire skipped by forbid while a run is active', async () => {
    const job = await scheduledJob({ concurrency: 'forbid' });
    await t.core.services.runs().trigger(job, {});
    expect(await t.core.services.scheduledTrigger().fire({ job, scheduled_time: at })).toMatchObject({
      outcome: 'skipped',
    });
    expect(await t.core.services.jobs().scheduleState(job)).toMatchObject({ last_skipped_at: at });
  });

  it('fires nothing for a suspended schedule, a job without one, or a job that is gone', async () => {
    const trigger = t.core.services.scheduledTrigger();
    expect(await trigger.fire({ job: await scheduledJob({ suspended: true }), scheduled_time: at })).toMatchObject({
      outcome: 'ignored',
      reason: 'the schedule is suspended',
    });
    expect(await trigger.fire({ job: await scheduledJob({ schedule: null }), scheduled_time: at })).toMatchObject({
      outcome: 'ignored',
      reason: 'the job no longer has a schedule',
    });
    const gone = await scheduledJob();
    await t.core.services.jobs().delete(gone);
    expect(await trigger.fire({ job: gone, scheduled_time: at })).toMatchObject({
      outcome: 'ignored',
      reason: 'the job no longer exists',
    });
  });

  it("keeps a job's schedule in step with its spec", async () => {
    const job = await scheduledJob();
    expect(t.core.schedules.synced).toContain(job.job_id);
    await t.core.services.jobs().delete(job);
    expect(t.core.schedules.removed).toContain(job.job_id);
  });
});
