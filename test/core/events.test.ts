// Run and schedule events: exactly one per status change (and per retry), written with the change itself, from
// the run lifecycle, the one place run state changes; a skipped fire is told once however often it is delivered.
import { describe, expect, it } from 'vitest';
import { runRef, type RunRef } from '../../functions/core/run-model.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('events');
const project = { workspace_id: 'acme', project_id: 'events' };

let n = 0;
async function pendingRun(options: { concurrency?: 'forbid' } = {}): Promise<RunRef> {
  const job = await t.core.services
    .jobs()
    .create(project, { name: `job-${n++}`, image: 'alpine', command: ['true'], ...options }, TEST_ACTOR);
  return runRef(await t.core.services.runs().trigger({ ...project, job_id: job.id }, {}));
}

/** The pending events of one run, oldest first, then taken out of the outbox. */
async function takeEvents(ref: RunRef) {
  const events = (await t.core.outbox.pending(100)).filter(
    (event) => event.data.run?.id === ref.run_id || (!event.data.run && event.data.job_id === ref.job_id),
  );
  await t.core.outbox.handedOn(events);
  return events;
}

describe('run events', () => {
  it('tells of a run that starts, retries and succeeds once each, with the run as it was after the change', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await lifecycle.startAttempt(ref);
    await lifecycle.markRunning(ref, 'task-1');
    await lifecycle.markRunning(ref, 'task-1'); // a repeated start report is no second event
    await lifecycle.endAttempt(ref, 1, 1, { ended: 'exited', exit_code: 3 });
    await lifecycle.startAttempt(ref);
    await lifecycle.endAttempt(ref, 2, 1, { ended: 'exited', exit_code: 0 });
    await lifecycle.finish(ref);
    await lifecycle.settle(ref, 'failed', {}); // already settled: nothing happens, nothing is told
    const events = await takeEvents(ref);
    expect(events.map((e) => e.type)).toEqual(['run.started', 'run.retrying', 'run.succeeded']);
    expect(events.map((e) => e.data.run?.status)).toEqual(['running', 'running', 'succeeded']);
    for (const event of events) {
      expect(event.id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(event.data).toMatchObject({ ...project, job_id: ref.job_id, job_name: null });
    }
    expect(events[1]!.data.run).toMatchObject({ exit_code: 3, error: 'attempt 1 of 2 exited with code 3; retrying' });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
  });

  it('tells of a cancelled run, and of a run whose job settles it failed, with its status', async () => {
    const cancelled = await pendingRun();
    await t.core.services.runs().cancel(cancelled, { mode: 'force', graceSeconds: 0 });
    expect((await takeEvents(cancelled)).map((e) => [e.type, e.data.run?.status])).toEqual([
      ['run.cancelled', 'cancelled'],
    ]);
    const failed = await pendingRun();
    await t.core.services.runLifecycle().failed(failed, 'the execution failed');
    expect((await takeEvents(failed)).map((e) => e.type)).toEqual(['run.failed']);
  });

  it('tells of a fire that forbid skipped once, however often the fire is delivered', async () => {
    const ref = await pendingRun({ concurrency: 'forbid' });
    await takeEvents(ref);
    const job = { workspace_id: ref.workspace_id, project_id: ref.project_id, job_id: ref.job_id };
    await t.core.services.jobs().patch(job, { schedule: '*/5 * * * *' }, TEST_ACTOR);
    const at = new Date(Date.UTC(2026, 11, 1, 12, 0));
    expect(await t.core.services.scheduledTrigger().fire({ job, scheduled_time: at.toISOString() })).toMatchObject({
      outcome: 'skipped',
    });
    expect(await t.core.services.scheduledTrigger().fire({ job, scheduled_time: at.toISOString() })).toMatchObject({
      outcome: 'skipped',
    });
    const events = await takeEvents(ref);
    expect(events.map((e) => [e.type, e.data.scheduled_for])).toEqual([['schedule.skipped', at.toISOString()]]);
  });
});
