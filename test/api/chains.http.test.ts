// Run-after chains through a started local service: A → B → C on success and D on A's failure; a cycle, an edge to
// no job or to itself refused naming the field; a job others name is not renamed under them; a deleted upstream
// removes the edge, saying so in a revision; a run event handed on twice starts its dependents once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEvent } from '../../functions/core/events.ts';
import type { Run } from '../../functions/core/run-model.ts';
import { projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

let t: TestService;
const P = projectPath('acme', 'chains');

beforeAll(async () => {
  t = await startTestService('chains');
});
afterAll(() => t?.stop());

const create = async (spec: Record<string, unknown>) => {
  const response = await t.api.post(`${P}/jobs`, { image: 'alpine', command: 'true', ...spec });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body.data;
};
const runsOf = async (jobId: string): Promise<Run[]> => (await t.api.get(`${P}/jobs/${jobId}/runs`)).body.data;

describe('run_after', () => {
  it('runs B after A succeeds and C after B, never D (after A fails), each linked to its cause', async () => {
    const a = await create({ name: 'a', command: `echo '::output::{"date": "2026-12-01", "rows": 7}'` });
    const b = await create({
      name: 'b',
      command: 'echo "upstream: $JOBS_UPSTREAM_OUTPUT"',
      run_after: [{ job: 'a', on: 'succeeded' }],
    });
    const c = await create({ name: 'c', run_after: [{ job: b.id, on: 'succeeded' }] });
    const d = await create({ name: 'd', run_after: [{ job: 'a', on: 'failed' }] });
    const runA = (await t.api.post(`${P}/jobs/${a.id}/runs`)).body.data;
    const doneA = await waitForStatus(t.api, `${P}/jobs/${a.id}/runs/${runA.id}`, ['succeeded']);
    await eventually(async () => (await runsOf(c.id)).length === 1, 'C ran');
    const [runB] = await runsOf(b.id);
    const [runC] = await runsOf(c.id);
    expect(runB).toMatchObject({ trigger: 'dependency', caused_by: { job_id: a.id, run_id: runA.id } });
    expect(runC).toMatchObject({ trigger: 'dependency', caused_by: { job_id: b.id, run_id: runB!.id } });
    const doneB = await waitForStatus(t.api, `${P}/jobs/${b.id}/runs/${runB!.id}`, ['succeeded']);
    expect(Date.parse(runB!.created_at)).toBeGreaterThanOrEqual(Date.parse(doneA.finished_at!));
    expect(Date.parse(runC!.created_at)).toBeGreaterThanOrEqual(Date.parse(doneB.finished_at!));
    await waitForStatus(t.api, `${P}/jobs/${c.id}/runs/${runC!.id}`, ['succeeded']);
    expect(await runsOf(d.id)).toEqual([]);
    // A's output reached B as JOBS_UPSTREAM_OUTPUT.
    expect(doneA.output).toEqual({ date: '2026-12-01', rows: 7 });
    const linesB = (await t.api.get(`${P}/jobs/${b.id}/runs/${runB!.id}/logs`)).body.data.map(
      (line: { message: string }) => line.message,
    );
    expect(linesB).toEqual(['upstream: {"date":"2026-12-01","rows":7}']);

    // The same ending handed on again (as a restart or a retried batch would) starts nothing more.
    await t.service.host.services.eventRelay().relay([runEvent('run.succeeded', doneA as never, new Date())]);
    expect(await runsOf(b.id)).toHaveLength(1);

    // A's failure starts D, not B.
    await t.api.patch(`${P}/jobs/${a.id}`, { command: 'exit 4' });
    const failing = (await t.api.post(`${P}/jobs/${a.id}/runs`)).body.data;
    await eventually(async () => (await runsOf(d.id)).length === 1, 'D ran');
    expect((await runsOf(d.id))[0]).toMatchObject({ caused_by: { job_id: a.id, run_id: failing.id } });
    expect(await runsOf(b.id)).toHaveLength(1);
  });

  it('refuses a cycle naming its jobs, an edge to no job, and one to the job itself', async () => {
    const x = await create({ name: 'x' });
    const y = await create({ name: 'y', run_after: [{ job: 'x', on: 'succeeded' }] });
    const z = await create({ name: 'z', run_after: [{ job: 'y', on: 'finished' }] });
    const cycle = await t.api.patch(`${P}/jobs/${x.id}`, { run_after: [{ job: z.id, on: 'succeeded' }] });
    expect(cycle.status).toBe(400);
    expect(cycle.body.errors).toEqual([
      { field: 'run_after', message: 'makes a cycle: x runs after z runs after y runs after x' },
    ]);
    const missing = await t.api.patch(`${P}/jobs/${y.id}`, { run_after: [{ job: 'nope', on: 'succeeded' }] });
    expect(missing.body.errors).toEqual([{ field: 'run_after.0.job', message: "no job named 'nope' in this project" }]);
    const itself = await t.api.patch(`${P}/jobs/${y.id}`, { run_after: [{ job: 'y', on: 'succeeded' }] });
    expect(itself.body.errors).toEqual([{ field: 'run_after.0.job', message: 'a job cannot run after itself' }]);
    const badOn = await t.api.patch(`${P}/jobs/${y.id}`, { run_after: [{ job: 'x', on: 'done' }] });
    expect(badOn.body.errors?.[0]?.field).toBe('run_after.0.on');
    expect((await t.api.get(`${P}/jobs/${x.id}`)).body.data.run_after).toEqual([]);
  });

  it('keeps the name of a job others name, and removes the edges to a deleted job, saying so', async () => {
    const up = await create({ name: 'up' });
    const down = await create({ name: 'down', run_after: [{ job: 'up', on: 'succeeded' }] });
    const renamed = await t.api.patch(`${P}/jobs/${up.id}`, { name: 'upstream' });
    expect(renamed.status).toBe(409);
    expect(renamed.body.message).toContain('(down)');
    expect((await t.api.delete(`${P}/jobs/${up.id}`)).status).toBe(200);
    const after = (await t.api.get(`${P}/jobs/${down.id}`)).body.data;
    expect(after).toMatchObject({ run_after: [], revision: 2 });
    const revision = (await t.api.get(`${P}/jobs/${down.id}/revisions/2`)).body.data;
    expect(revision.actor).toEqual({ key_id: 'service', key_name: "the service: job 'up' was deleted" });
  });
});
