// Backfill through a started local service: one run per fire of the job's schedule in a range, computed as the
// schedule fires (Europe/Berlin's daylight-saving changes included: a skipped hour fires nothing, a repeated one
// fires once), oldest first; a repeat makes no second run, a dry run makes none; bad ranges are 400s naming the
// field, a job with no schedule a 409.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Schedule } from '../../functions/core/cron.ts';
import { scheduledRunId } from '../../functions/core/ids.ts';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';

let t: TestService;
const P = projectPath('acme', 'backfill');
const CRON = '30 2 * * *';
const ZONE = 'Europe/Berlin';

beforeAll(async () => {
  t = await startTestService('backfill');
});
afterAll(() => t?.stop());

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
/** The reference: the schedule's own fires from `start`, while before `end`. */
function reference(start: string, end: string): string[] {
  const fires = new Schedule(CRON, ZONE).nextRuns(50, new Date(Date.parse(start) - 1));
  return iso(fires.filter((fire) => fire.getTime() < Date.parse(end)));
}

describe('POST …/jobs/{id}/backfill', () => {
  it('runs each fire of a range across the spring change once, oldest first; a repeat makes none twice; a dry run none', async () => {
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'spring',
        image: 'alpine',
        command: 'true',
        schedule: CRON,
        timezone: ZONE,
      })
    ).body.data;
    const range = { start: '2026-03-27T12:00:00Z', end: '2026-04-01T00:00:00Z' };
    // 02:30 does not exist on 2026-03-29 in Berlin: that day has no fire.
    const expected = ['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z'];
    expect(reference(range.start, range.end)).toEqual(expected);

    const dry = await t.api.post(`${P}/jobs/${job.id}/backfill?dry_run=true`, range);
    expect(dry.status).toBe(202);
    expect(dry.body.data).toEqual({ fires: expected, runs: [] });
    expect((await t.api.get(`${P}/jobs/${job.id}/runs`)).body.data).toEqual([]);

    const made = await t.api.post(`${P}/jobs/${job.id}/backfill`, range);
    expect(made.status).toBe(202);
    expect(made.body.data.fires).toEqual(expected);
    expect(made.body.data.runs.map((r: { id: string }) => r.id)).toEqual(
      expected.map((fire) => scheduledRunId(job.id, new Date(fire))),
    );
    for (const [i, run] of made.body.data.runs.entries()) {
      expect(run).toMatchObject({ trigger: 'backfill', scheduled_for: expected[i] });
      await waitForStatus(t.api, `${P}/jobs/${job.id}/runs/${run.id}`, ['succeeded']);
    }
    const again = await t.api.post(`${P}/jobs/${job.id}/backfill`, range);
    expect(again.body.data.runs.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual(
      made.body.data.runs.map((r: { id: string }) => [r.id, 'succeeded']),
    );
    expect((await t.api.get(`${P}/jobs/${job.id}/runs`)).body.data).toHaveLength(3);
  });

  it('fires the repeated autumn hour once', async () => {
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'autumn',
        image: 'alpine',
        command: 'true',
        schedule: CRON,
        timezone: ZONE,
      })
    ).body.data;
    const range = { start: '2026-10-24T12:00:00Z', end: '2026-10-26T12:00:00Z' };
    const dry = await t.api.post(`${P}/jobs/${job.id}/backfill?dry_run=true`, range);
    expect(dry.body.data.fires).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    expect(dry.body.data.fires).toEqual(reference(range.start, range.end));
  });

  it('refuses a bad range or too many fires naming the field, and a job with no schedule with 409', async () => {
    const job = (
      await t.api.post(`${P}/jobs`, { name: 'hourly', image: 'alpine', command: 'true', schedule: '0 * * * *' })
    ).body.data;
    const path = `${P}/jobs/${job.id}/backfill` as const;
    const tooMany = await t.api.post(path, {
      start: '2026-11-01T00:00:00Z',
      end: '2026-11-02T00:00:00Z',
      max_runs: 10,
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors).toEqual([
      { field: 'max_runs', message: expect.stringContaining('more than 10 fires') },
    ]);
    const backwards = await t.api.post(path, { start: '2026-11-02T00:00:00Z', end: '2026-11-01T00:00:00Z' });
    expect(backwards.body.errors).toEqual([{ field: 'end', message: 'must be after start' }]);
    const noZone = await t.api.post(path, { start: '2026-11-01 00:00', end: '2026-11-02T00:00:00Z' });
    expect(noZone.status).toBe(400);
    expect(noZone.body.errors?.[0]?.field).toBe('start');
    expect((await t.api.get(`${P}/jobs/${job.id}/runs`)).body.data).toEqual([]);

    const onDemand = (await t.api.post(`${P}/jobs`, { name: 'on-demand', image: 'alpine', command: 'true' })).body.data;
    const conflict = await t.api.post(`${P}/jobs/${onDemand.id}/backfill`, {
      start: '2026-11-01T00:00:00Z',
      end: '2026-11-02T00:00:00Z',
    });
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toMatch(/no schedule/);
  });
});

describe('schedule_jitter_seconds', () => {
  it('is kept on the job, shown in its status, and refused out of range naming the field', async () => {
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'jittered',
        image: 'alpine',
        command: 'true',
        schedule: '0 0 * * *',
        schedule_jitter_seconds: 90,
      })
    ).body.data;
    expect(job.schedule_jitter_seconds).toBe(90);
    expect((await t.api.get(`${P}/jobs/${job.id}/status`)).body.data.schedule).toMatchObject({ jitter_seconds: 90 });
    const bad = await t.api.patch(`${P}/jobs/${job.id}`, { schedule_jitter_seconds: 3601 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.field).toBe('schedule_jitter_seconds');
    expect((await t.api.patch(`${P}/jobs/${job.id}`, { schedule_jitter_seconds: null })).body.data).toMatchObject({
      schedule_jitter_seconds: 0,
    });
  });
});
