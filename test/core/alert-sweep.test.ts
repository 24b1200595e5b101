// The alert sweep on DynamoDB Local with a test clock, as the AWS reconciler runs it each minute: a run past its
// job's max_duration_seconds is told slow once; the newest fire due longer than missed_schedule_seconds that made
// no run (EventBridge Scheduler did not deliver it) is told missed once, and a fire that made a run, was skipped,
// or belongs to a suspended schedule is not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoEventOutbox } from '../../functions/adapters/dynamodb/outbox.ts';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../functions/adapters/dynamodb/run-store.ts';
import { AlertSweep } from '../../functions/core/alert-sweep.ts';
import { newId, scheduledRunId } from '../../functions/core/ids.ts';
import { buildJob, type JobCreate } from '../../functions/core/jobs.ts';
import type { RunReconciler } from '../../functions/core/run-reconciler.ts';
import { reconcilerHandler } from '../../functions/orchestration/events.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { aRun } from '../helpers/runs.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let runs: DynamoRunStore;
let jobs: DynamoJobStore;
let outbox: DynamoEventOutbox;
const ref = { workspace_id: 'acme', project_id: 'sweep' };
const T0 = new Date('2026-12-01T10:00:30.000Z');
let now = T0;

beforeAll(async () => {
  table = await createTestTable('alert-sweep');
  runs = new DynamoRunStore(table);
  jobs = new DynamoJobStore(table);
  outbox = new DynamoEventOutbox(table);
});
afterAll(() => table.drop());

async function aJob(spec: Partial<JobCreate>) {
  const id = newId('job', T0.getTime());
  const job = buildJob(
    ref,
    id,
    { name: id, image: 'alpine', command: ['true'], ...spec },
    T0.toISOString(),
    T0.toISOString(),
  );
  await jobs.create(job);
  return job;
}

/** The events the outbox holds of a type and job, handed on as they are read (each is seen once). */
async function told(type: string, jobId: string) {
  const events = (await outbox.pending(100)).filter((e) => e.type === type && e.data.job_id === jobId);
  await outbox.handedOn(events);
  return events;
}

const sweep = () => new AlertSweep({ runs, jobs, now: () => now });

describe('the alert sweep', () => {
  it('tells a run running past max_duration_seconds once, through the reconciler as AWS invokes it', async () => {
    const job = await aJob({ alerts: { max_duration_seconds: 60 } });
    const run = aRun({ ...ref, job_id: job.id }, newId('run', T0.getTime()), {
      status: 'running',
      started_at: T0.toISOString(),
    });
    await runs.create(run, { forbidActive: false });
    const handle = (sweeper: AlertSweep) =>
      reconcilerHandler({} as RunReconciler, undefined, sweeper)({ action: 'alert_sweep' });
    now = new Date(T0.getTime() + 59_000);
    expect(await handle(sweep())).toMatchObject({ slow: [] });
    now = new Date(T0.getTime() + 61_000);
    expect(await handle(sweep())).toMatchObject({ slow: [run.id] });
    // Another sweep (a second host, or the next minute) tells it no second time.
    expect(await handle(sweep())).toMatchObject({ slow: [] });
    const [slow, ...more] = await told('run.slow', job.id);
    expect(more).toEqual([]);
    expect(slow!.data).toMatchObject({
      run: { id: run.id, status: 'running' },
      alert: { rule: 'max_duration_seconds', threshold: 60, value: 61 },
    });
  });

  it('tells the newest fire due past missed_schedule_seconds that made no run, once', async () => {
    const job = await aJob({ schedule: '*/5 * * * *', alerts: { missed_schedule_seconds: 120 } });
    // 10:05 and 10:10 have passed; 10:10 is only 60 s old at 10:11, so 10:05 is the one told.
    now = new Date('2026-12-01T10:11:00.000Z');
    expect(await sweep().missedFires()).toEqual([{ job_id: job.id, scheduled_for: '2026-12-01T10:05:00.000Z' }]);
    expect(await sweep().missedFires()).toEqual([]);
    now = new Date('2026-12-01T10:12:00.000Z');
    expect(await sweep().missedFires()).toEqual([{ job_id: job.id, scheduled_for: '2026-12-01T10:10:00.000Z' }]);
    const events = await told('schedule.missed', job.id);
    expect(events.map((e) => e.data.scheduled_for)).toEqual(['2026-12-01T10:05:00.000Z', '2026-12-01T10:10:00.000Z']);
    expect(events[0]!.data.alert).toMatchObject({ rule: 'missed_schedule_seconds', threshold: 120, value: 360 });
  });

  it('does not tell a fire that made a run, one skipped, or one of a suspended schedule', async () => {
    now = new Date('2026-12-01T10:11:00.000Z');
    const ran = await aJob({ schedule: '*/5 * * * *', alerts: { missed_schedule_seconds: 120 } });
    const fire = new Date('2026-12-01T10:05:00.000Z');
    // The run exists though the fire's record was never written (the service stopped between the two).
    await runs.create(
      aRun({ ...ref, job_id: ran.id }, scheduledRunId(ran.id, fire), {
        trigger: 'schedule',
        scheduled_for: fire.toISOString(),
      }),
      { forbidActive: false },
    );
    const skipped = await aJob({ schedule: '*/5 * * * *', alerts: { missed_schedule_seconds: 120 } });
    await jobs.recordScheduleEvent({ ...ref, job_id: skipped.id }, 'skipped', fire);
    const suspended = await aJob({
      schedule: '*/5 * * * *',
      suspended: true,
      alerts: { missed_schedule_seconds: 120 },
    });
    const silent = await aJob({ schedule: '*/5 * * * *' });
    const missed = await sweep().missedFires();
    for (const job of [ran, skipped, suspended, silent]) expect(missed.map((m) => m.job_id)).not.toContain(job.id);
  });
});
