// The service's own figures through GET /v1/metrics: text any OpenMetrics parser takes (checked with a strict one
// of the format's grammar), counters that move with the runs made, and who may read them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOpenMetrics, sampleValue } from '../helpers/openmetrics.ts';
import { projectPath, startTestService, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

let t: TestService;
const P = projectPath('acme', 'measured');
const where = { workspace: 'acme', project: 'measured' };

beforeAll(async () => {
  t = await startTestService('service-metrics');
});
afterAll(() => t.stop());

async function metrics(query = '') {
  const reply = await t.api.get(`/v1/metrics${query}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
  return parseOpenMetrics(reply.body as unknown as string);
}

describe('GET /v1/metrics', () => {
  it('counts runs by status with their durations and waits, tasks running now, and delivery attempts', async () => {
    const job = (
      await t.api.post(`${P}/jobs`, {
        name: 'measured',
        image: 'alpine:3',
        command: ['sh', '-c', 'sleep "$S"; exit "$C"'],
      })
    ).body.data;
    await t.api.post(`${P}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['run.failed'] });
    const run = async (env: Record<string, string>) => {
      const made = (await t.api.post(`${P}/jobs/${job.id}/runs`, { env })).body.data;
      return (await t.api.get(`${P}/jobs/${job.id}/runs/${made.id}?wait=20`)).body.data;
    };
    await run({ S: '0', C: '0' });
    await run({ S: '0.3', C: '0' });
    await run({ S: '0', C: '3' });
    const long = (await t.api.post(`${P}/jobs/${job.id}/runs`, { env: { S: '30', C: '0' } })).body.data;
    await eventually(
      async () => (await t.api.get(`${P}/jobs/${job.id}/runs/${long.id}`)).body.data.status === 'running',
      'running',
    );

    // Counted from the outbox's events, a moment after the runs settled.
    await eventually(
      async () => sampleValue(await metrics(), 'jobs_runs_total', { ...where, status: 'failed' }) === 1,
      'the failed run counted',
    );
    const families = await metrics();
    expect(sampleValue(families, 'jobs_runs_total', { ...where, status: 'succeeded' })).toBe(2);
    expect(sampleValue(families, 'jobs_run_duration_seconds_count', where)).toBe(3);
    expect(sampleValue(families, 'jobs_run_duration_seconds_bucket', { ...where, le: '0.1' })).toBeLessThanOrEqual(2);
    expect(sampleValue(families, 'jobs_run_duration_seconds_bucket', { ...where, le: '1' })).toBe(3);
    expect(sampleValue(families, 'jobs_run_queue_wait_seconds_count', where)).toBe(4);
    expect(sampleValue(families, 'jobs_tasks_running', where)).toBe(1);
    expect(sampleValue(families, 'jobs_tasks_pending', where)).toBe(0);
    expect(families.get('jobs_run_duration_seconds')).toMatchObject({ type: 'histogram', unit: 'seconds' });
    // The failed run's webhook could not be reached: an attempt that will be tried again.
    await eventually(
      async () =>
        sampleValue(await metrics(), 'jobs_webhook_deliveries_total', { ...where, outcome: 'retrying' })! >= 1,
      'the delivery attempt counted',
    );

    await t.api.post(`${P}/jobs/${job.id}/runs/${long.id}/cancel`, { mode: 'force' });
    await eventually(
      async () => sampleValue(await metrics(), 'jobs_runs_total', { ...where, status: 'cancelled' }) === 1,
      'the cancelled run counted',
    );
    const byJob = await metrics('?by=job');
    expect(
      sampleValue(byJob, 'jobs_job_runs_total', { ...where, job: 'measured', job_id: job.id, status: 'succeeded' }),
    ).toBe(2);
    expect(sampleValue(await metrics(), 'jobs_job_runs_total', where)).toBeUndefined();
  });

  it('is for admin keys only, and refuses an unknown breakdown naming it', async () => {
    const writer = (await t.api.post('/v1/keys', { name: 'w', role: 'writer', workspaces: ['acme'] })).body.data;
    expect((await t.api.withKey(writer.secret).get('/v1/metrics')).status).toBe(403);
    const wrong = await t.api.get('/v1/metrics?by=workspace');
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors?.[0]?.field).toBe('by');
  });
});

describe('the OpenMetrics parser of the tests', () => {
  it('refuses what the format does not allow', () => {
    expect(() => parseOpenMetrics('x_total 1\n# EOF\n')).toThrow(/not a sample of a declared family/);
    expect(() => parseOpenMetrics('# TYPE x counter\nx_total 1\n')).toThrow(/EOF/);
    expect(() => parseOpenMetrics('# TYPE x counter\nx_total{a="1} 1\n# EOF\n')).toThrow(/not a sample/);
    expect(() =>
      parseOpenMetrics('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0\n# EOF\n'),
    ).toThrow(/cumulative/);
  });
});
