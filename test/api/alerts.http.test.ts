// A job's alerts, from a started local service to a real HTTP receiver that checks every delivery as a Standard
// Webhooks receiver does: failures in a row (also when runs fail at once), recovery, a slow run, a fire missed
// while the service was down (told once, across restarts), and the schedule paused after failures with its reason.
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTable } from '../../functions/adapters/dynamodb/table-client.ts';
import { key } from '../../functions/adapters/dynamodb/keys.ts';
import { scheduleFor } from '../../functions/core/cron.ts';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';

interface Told {
  id: string;
  type: string;
  data: {
    job_id: string;
    job_name: string | null;
    run: { id: string; status: string } | null;
    scheduled_for?: string;
    alert: { rule: string; threshold: number; value: number; message: string };
  };
}

let t: TestService;
let receiver: Receiver;
const P = projectPath('acme', 'alerts');
const ALERTS = ['job.failing', 'job.recovered', 'schedule.missed', 'run.slow', 'job.paused'];

beforeAll(async () => {
  receiver = await startReceiver();
  t = await startTestService('alerts', { alertSweepMs: 100 });
});
afterAll(async () => {
  await t?.stop();
  receiver?.close();
});

/** A job and a webhook for its alerts (and its runs' ends), delivered to a path of its own. */
async function watched(name: string, spec: Record<string, unknown>) {
  const job = (await t.api.post(`${P}/jobs`, { name, image: 'alpine', command: 'exit 1', ...spec })).body.data;
  const path = `/${name}`;
  const hook = await t.api.post(`${P}/webhooks`, {
    url: `${receiver.base}${path}`,
    events: [...ALERTS, 'run.succeeded', 'run.failed'],
    job_id: job.id,
  });
  expect(hook.status).toBe(201);
  const secret = hook.body.data.secret as string;
  const told = (type?: string): Told[] =>
    receiver.received
      .filter((r) => r.path === path)
      .map((r) => new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as Told)
      .filter((event) => type === undefined || event.type === type);
  const run = async () => {
    const runId = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data.id as string;
    return waitForStatus(t.api, `${P}/jobs/${job.id}/runs/${runId}`, ['succeeded', 'failed']);
  };
  return { job, told, run };
}

describe('alerts', () => {
  it('tells job.failing at the Nth failure in a row, once, and job.recovered at the first success after it', async () => {
    const { job, told, run } = await watched('failing', { alerts: { consecutive_failures: 3 } });
    expect(job.alerts).toEqual({ consecutive_failures: 3 });
    for (let i = 0; i < 2; i++) await run();
    const third = await run();
    await eventually(() => told('job.failing').length === 1, 'job.failing delivered');
    const failing = told('job.failing')[0]!;
    expect(failing.data).toMatchObject({
      job_id: job.id,
      job_name: 'failing',
      run: { id: third.id, status: 'failed' },
      alert: { rule: 'consecutive_failures', threshold: 3, value: 3, message: '3 runs in a row failed' },
    });
    const fourth = await run();
    await eventually(() => told('run.failed').some((e) => e.data.run?.id === fourth.id), 'the fourth failure told');
    expect(told('job.failing')).toHaveLength(1);

    await t.api.patch(`${P}/jobs/${job.id}`, { command: 'true' });
    const success = await run();
    await eventually(() => told('job.recovered').length === 1, 'job.recovered delivered');
    expect(told('job.recovered')[0]!.data).toMatchObject({
      run: { id: success.id, status: 'succeeded' },
      alert: { rule: 'consecutive_failures', threshold: 3, value: 4, message: 'succeeded after 4 failures in a row' },
    });
    const again = await run();
    await eventually(() => told('run.succeeded').some((e) => e.data.run?.id === again.id), 'the next success told');
    expect(told('job.recovered')).toHaveLength(1);
    expect((await t.api.get(`${P}/jobs/${job.id}/status`)).body.data.health.consecutive_failures).toBe(0);
  });

  it('tells job.failing once when the failures come all at once', async () => {
    const { job, told } = await watched('failing-at-once', { alerts: { consecutive_failures: 3 } });
    const runs = await Promise.all(
      Array.from({ length: 6 }, async () => (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data.id as string),
    );
    for (const id of runs) await waitForStatus(t.api, `${P}/jobs/${job.id}/runs/${id}`, ['failed']);
    await eventually(() => told('run.failed').length === 6, 'every failure told');
    expect(told('job.failing')).toHaveLength(1);
    expect(told('job.failing')[0]!.data.alert.value).toBe(3);
    expect((await t.api.get(`${P}/jobs/${job.id}/status`)).body.data.health.consecutive_failures).toBe(6);
  });

  it('tells run.slow once, while the run still runs past max_duration_seconds', async () => {
    const { job, told } = await watched('slow', { command: 'sleep 3', alerts: { max_duration_seconds: 1 } });
    const runId = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data.id as string;
    await eventually(() => told('run.slow').length === 1, 'run.slow delivered');
    const slow = told('run.slow')[0]!;
    expect(slow.data.run).toMatchObject({ id: runId, status: 'running' });
    expect(slow.data.alert).toMatchObject({ rule: 'max_duration_seconds', threshold: 1 });
    expect(slow.data.alert.value).toBeGreaterThanOrEqual(1);
    await waitForStatus(t.api, `${P}/jobs/${job.id}/runs/${runId}`, ['succeeded']);
    await eventually(() => told('run.succeeded').length === 1, 'its end told');
    expect(told('run.slow')).toHaveLength(1);
  });

  it('suspends the schedule after pause_after_failures failures in a row, says why, and a resume clears it', async () => {
    const { job, told, run } = await watched('paused', {
      schedule: '0 3 1 1 *',
      alerts: { pause_after_failures: 2 },
    });
    const armed = t.service.host.scheduler.size;
    await run();
    expect((await t.api.get(`${P}/jobs/${job.id}`)).body.data.suspended).toBe(false);
    const second = await run();
    await eventually(() => told('job.paused').length === 1, 'job.paused delivered');
    // The scheduler holds the schedule no longer.
    await eventually(() => t.service.host.scheduler.size === armed - 1, 'the schedule disarmed');
    expect(told('job.paused')[0]!.data).toMatchObject({
      run: { id: second.id },
      alert: { rule: 'pause_after_failures', threshold: 2, value: 2 },
    });
    const paused = await t.api.get(`${P}/jobs/${job.id}`);
    expect(paused.body.data).toMatchObject({ suspended: true, revision: 2 });
    expect(paused.headers.get('etag')).toBe('"2"');
    const status = (await t.api.get(`${P}/jobs/${job.id}/status`)).body.data;
    expect(status.schedule).toMatchObject({
      suspended: true,
      next_fire_at: null,
      suspended_reason: 'paused after 2 runs in a row failed (pause_after_failures: 2)',
    });
    // The pause is a revision of its own, made by the service.
    const revision = (await t.api.get(`${P}/jobs/${job.id}/revisions/2`)).body.data;
    expect(revision).toMatchObject({ actor: { key_id: 'service' }, spec: { suspended: true } });

    const resumed = await t.api.patch(`${P}/jobs/${job.id}`, { suspended: false }, { headers: { 'if-match': '"2"' } });
    expect(resumed.status).toBe(200);
    const after = (await t.api.get(`${P}/jobs/${job.id}/status`)).body.data.schedule;
    expect(after).toMatchObject({ suspended: false, suspended_reason: null });
  });

  it('rejects alerts out of range, naming the field, and merges a PATCH of alerts', async () => {
    const bad = await t.api.post(`${P}/jobs`, {
      name: 'bad-alerts',
      image: 'alpine',
      command: 'true',
      alerts: { missed_schedule_seconds: 5, slow: 1 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      { field: 'alerts.missed_schedule_seconds', message: expect.stringMatching(/60/) },
      { field: 'alerts.slow', message: expect.any(String) },
    ]);
    const ranged = await t.api.post(`${P}/jobs`, {
      name: 'bad-alerts',
      image: 'alpine',
      command: 'true',
      alerts: { missed_schedule_seconds: 5 },
    });
    expect(ranged.status).toBe(400);
    expect(ranged.body.errors).toEqual([{ field: 'alerts.missed_schedule_seconds', message: expect.any(String) }]);
    expect((await t.api.get(`${P}/jobs?limit=100`)).body.data.map((j: { name: string }) => j.name)).not.toContain(
      'bad-alerts',
    );

    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'merged-alerts',
        image: 'alpine',
        command: 'true',
        alerts: { consecutive_failures: 2, max_duration_seconds: 60 },
      })
    ).body.data;
    const patched = await t.api.patch(`${P}/jobs/${job.id}`, {
      alerts: { max_duration_seconds: null, pause_after_failures: 5 },
    });
    expect(patched.body.data.alerts).toEqual({ consecutive_failures: 2, pause_after_failures: 5 });
    expect((await t.api.patch(`${P}/jobs/${job.id}`, { alerts: null })).body.data.alerts).toEqual({});
  });
});

describe('a fire missed while the service was down', () => {
  it('is told as schedule.missed at the next start, once', async () => {
    // A daily fire three minutes ago: before the job was made, so no scheduler fires it meanwhile.
    const fire = new Date(Date.now() - 3 * 60_000);
    const cron = `${fire.getUTCMinutes()} ${fire.getUTCHours()} * * *`;
    const { job, told } = await watched('missed', {
      command: 'true',
      schedule: cron,
      alerts: { missed_schedule_seconds: 60 },
    });
    await t.stop({ keep: true });
    // While the service is down, time passes for the job: it is made five minutes older, so its fire of three
    // minutes ago was due while nothing ran it.
    const table = new DynamoTable({ endpoint: t.service.dynamodbEndpoint, tableName: t.service.tableName });
    const earlier = new Date(Date.now() - 5 * 60_000).toISOString();
    await table.send(
      new UpdateItemCommand({
        TableName: t.service.tableName,
        Key: marshall({ PK: key.project({ workspace_id: 'acme', project_id: 'alerts' }), SK: key.job(job.id) }),
        UpdateExpression: 'SET created_at = :at, updated_at = :at',
        ExpressionAttributeValues: marshall({ ':at': earlier }),
      }),
    );
    table.destroy();

    t = await startTestService('alerts', { alertSweepMs: 100, catchUpSeconds: 0, restartOf: t });
    await eventually(() => told('schedule.missed').length === 1, 'schedule.missed delivered');
    const missed = told('schedule.missed')[0]!;
    const due = scheduleFor(cron, 'UTC').next(new Date(fire.getTime() - 60_000))!;
    expect(missed.data).toMatchObject({
      job_id: job.id,
      run: null,
      scheduled_for: due.toISOString(),
      alert: { rule: 'missed_schedule_seconds', threshold: 60 },
    });
    expect(missed.data.alert.value).toBeGreaterThanOrEqual(60);
    const status = (await t.api.get(`${P}/jobs/${job.id}/status`)).body.data.schedule;
    expect(status?.last_missed_at).toBe(missed.data.scheduled_for);

    // Another restart tells it no second time.
    await t.stop({ keep: true });
    t = await startTestService('alerts', { alertSweepMs: 100, catchUpSeconds: 0, restartOf: t });
    const run = (await t.api.post(`${P}/jobs/${job.id}/runs`)).body.data.id as string;
    await eventually(() => told('run.succeeded').some((e) => e.data.run?.id === run), 'a later event delivered');
    expect(told('schedule.missed')).toHaveLength(1);
  });
});
