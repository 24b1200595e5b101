// Scheduled jobs on the local host: the real scheduler, the same trigger EventBridge Scheduler invokes in AWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../functions/core/ids.ts';
import type { Run } from '../../client/jobs-client.ts';
import {
  job,
  projectPath,
  startTestService,
  waitForStatus,
  type ApiClient,
  type TestService,
} from '../helpers/service.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath('acme', 'schedules');

beforeAll(async () => {
  t = await startTestService('schedules');
  api = t.api;
});
afterAll(() => t.stop());

async function createJob(overrides: Record<string, unknown>) {
  const response = await api.post(`${P}/jobs`, job(overrides));
  expect(response.status).toBe(201);
  return response.body.data as { id: string; workspace_id: string; project_id: string };
}

const fire = (job: { id: string; workspace_id: string; project_id: string }, at: string) =>
  t.service.host.services
    .scheduledTrigger()
    .fire({ job: { workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id }, scheduled_time: at });

describe('a scheduled job', () => {
  it('fires by itself at the minute, as a run with trigger schedule and its scheduled time', async () => {
    const created = await createJob({ schedule: '* * * * *', command: 'echo tick' });
    const nextMinute = Math.ceil(Date.now() / 60_000) * 60_000;
    const scheduledFor = new Date(nextMinute).toISOString();
    const runId = scheduledRunId(created.id, new Date(nextMinute));
    let run: Run | undefined;
    while (!run && Date.now() < nextMinute + 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const response = await api.get(`${P}/jobs/${created.id}/runs/${runId}`);
      if (response.status === 200) run = response.body.data;
    }
    expect(run).toMatchObject({ id: runId, trigger: 'schedule', scheduled_for: scheduledFor });
    // Made at that minute, not a later one (how soon after it is the schedules benchmark's figure).
    expect(Date.parse(run!.created_at) - nextMinute).toBeGreaterThanOrEqual(0);
    expect(Date.parse(run!.created_at) - nextMinute).toBeLessThan(10_000);
    expect((await waitForStatus(api, `${P}/jobs/${created.id}/runs/${runId}`, ['succeeded'])).status).toBe('succeeded');
    const status = await api.get(`${P}/jobs/${created.id}/status`);
    expect(status.body.data.schedule).toMatchObject({
      cron: '* * * * *',
      last_fired_at: scheduledFor,
      last_skipped_at: null,
    });
    expect(Date.parse(status.body.data.schedule?.next_fire_at ?? '')).toBeGreaterThan(nextMinute);
    await api.patch(`${P}/jobs/${created.id}`, { schedule: null });
  }, 90_000);

  it('makes one run of a fire delivered twice', async () => {
    const created = await createJob({ schedule: '0 3 * * *', command: 'true' });
    const first = await fire(created, '2026-11-20T03:00:00.000Z');
    const again = await fire(created, '2026-11-20T03:00:00.000Z');
    expect(first).toEqual({
      outcome: 'fired',
      run_id: scheduledRunId(created.id, new Date('2026-11-20T03:00:00.000Z')),
    });
    expect(again).toEqual({ outcome: 'duplicate', run_id: first.outcome === 'fired' ? first.run_id : '' });
    const runs = await api.get(`${P}/jobs/${created.id}/runs`);
    expect(runs.body.data).toHaveLength(1);
    expect(runs.body.data[0]).toMatchObject({ trigger: 'schedule', scheduled_for: '2026-11-20T03:00:00.000Z' });
  });

  it('forbid: skips a fire while a run is active and records the skip; fires again once nothing is active', async () => {
    const created = await createJob({ schedule: '0 3 * * *', command: 'sleep 30', concurrency: 'forbid' });
    const manual = (await api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    await waitForStatus(api, `${P}/jobs/${created.id}/runs/${manual.id}`, ['running']);
    expect(await fire(created, '2026-11-20T03:00:00.000Z')).toMatchObject({ outcome: 'skipped' });
    const skipped = await api.get(`${P}/jobs/${created.id}/status`);
    expect(skipped.body.data.schedule).toMatchObject({
      last_skipped_at: '2026-11-20T03:00:00.000Z',
      last_fired_at: null,
    });
    await api.post(`${P}/jobs/${created.id}/runs/${manual.id}/cancel`, { mode: 'force' });
    expect(await fire(created, '2026-11-21T03:00:00.000Z')).toMatchObject({ outcome: 'fired' });
    const fired = await api.get(`${P}/jobs/${created.id}/status`);
    expect(fired.body.data.schedule).toMatchObject({
      last_fired_at: '2026-11-21T03:00:00.000Z',
      last_skipped_at: '2026-11-20T03:00:00.000Z',
    });
  });

  it('replace: cancels the active run, then fires', async () => {
    const created = await createJob({ schedule: '0 3 * * *', command: 'sleep 30', concurrency: 'replace' });
    const manual = (await api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    await waitForStatus(api, `${P}/jobs/${created.id}/runs/${manual.id}`, ['running']);
    const result = await fire(created, '2026-11-20T03:00:00.000Z');
    expect(result.outcome).toBe('fired');
    expect((await api.get(`${P}/jobs/${created.id}/runs/${manual.id}`)).body.data).toMatchObject({
      status: 'cancelled',
      error: 'replaced by a newer run',
    });
    // A repeated delivery of that fire does not cancel the run it made.
    expect((await fire(created, '2026-11-20T03:00:00.000Z')).outcome).toBe('duplicate');
    const scheduled = result.outcome === 'fired' ? result.run_id : '';
    expect((await api.get(`${P}/jobs/${created.id}/runs/${scheduled}`)).body.data.status).toMatch(/pending|running/);
    await api.post(`${P}/jobs/${created.id}/runs/${scheduled}/cancel`, { mode: 'force' });
  });

  it('suspended: fires nothing, and its status says so', async () => {
    const armed = t.service.host.scheduler.size;
    const created = await createJob({ schedule: '* * * * *', suspended: true });
    expect(t.service.host.scheduler.size).toBe(armed);
    expect(await fire(created, '2026-11-20T03:00:00.000Z')).toEqual({
      outcome: 'ignored',
      reason: 'the schedule is suspended',
    });
    const status = await api.get(`${P}/jobs/${created.id}/status`);
    expect(status.body.data.schedule).toMatchObject({ suspended: true, next_fire_at: null });
    await api.patch(`${P}/jobs/${created.id}`, { suspended: false });
    expect(t.service.host.scheduler.size).toBe(armed + 1);
    await api.patch(`${P}/jobs/${created.id}`, { suspended: true });
    expect(t.service.host.scheduler.size).toBe(armed);
  });

  it('stops firing when a PATCH removes the schedule, or the job is deleted', async () => {
    const armed = t.service.host.scheduler.size;
    const patched = await createJob({ schedule: '*/5 * * * *' });
    const deleted = await createJob({ schedule: '*/5 * * * *' });
    expect(t.service.host.scheduler.size).toBe(armed + 2);
    await api.patch(`${P}/jobs/${patched.id}`, { schedule: null });
    expect((await api.get(`${P}/jobs/${patched.id}/status`)).body.data.schedule).toBeNull();
    expect(await fire(patched, '2026-11-20T03:00:00.000Z')).toEqual({
      outcome: 'ignored',
      reason: 'the job no longer has a schedule',
    });
    await api.delete(`${P}/jobs/${deleted.id}`);
    expect(t.service.host.scheduler.size).toBe(armed);
    expect(await fire(deleted, '2026-11-20T03:00:00.000Z')).toEqual({
      outcome: 'ignored',
      reason: 'the job no longer exists',
    });
  });

  it('lists scheduled jobs with the scheduled filter', async () => {
    const Q = projectPath('acme', 'schedule-filter');
    await api.post(`${Q}/jobs`, job({ name: 'with', schedule: '@daily' }));
    await api.post(`${Q}/jobs`, job({ name: 'without' }));
    expect((await api.get(`${Q}/jobs?scheduled=true`)).body.data.map((j: { name: string }) => j.name)).toEqual([
      'with',
    ]);
  });
});
