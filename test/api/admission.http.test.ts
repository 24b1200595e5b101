// Admission end to end on host processes: a project's limit holds (sampled from the API and from the processes),
// waiting runs show their place and reason, priority then age orders them, a workspace limit is shared by weighted
// fair share, a queue timeout fails a run naming the limit, a waiting run is cancelled at once, and the host's
// capacity holds and refuses at once what could never fit it. Runs wait on a gate file, never on a clock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '../../client/jobs-client.ts';
import {
  job,
  projectPath,
  startTestService,
  waitForRun,
  waitForStatus,
  type ProjectPath,
  type TestService,
} from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';
import { runsWithProcesses } from '../helpers/process.ts';

let t: TestService;
let gates: string;

beforeAll(async () => {
  t = await startTestService('admission');
  gates = mkdtempSync(join(tmpdir(), 'jobs-gates-'));
});
afterAll(async () => {
  await t?.stop();
  rmSync(gates, { recursive: true, force: true });
});

/** A gate: runs of a job made with its command wait until it opens, then run for `seconds`. */
function gate(name: string, seconds = 1) {
  const file = join(gates, name);
  return {
    command: `until [ -e ${file} ]; do sleep 0.05; done; sleep ${seconds}`,
    open: () => writeFileSync(file, ''),
  };
}

async function listRuns(P: ProjectPath, jobId: string): Promise<Run[]> {
  return (await t.api.get(`${P}/runs?job_id=${jobId}&limit=100`)).body.data;
}

/**
 * Watches the runs of a job until every one of them has finished, sampling the API and the processes all along:
 * the most running at once that either ever saw.
 */
async function drain(P: ProjectPath, jobId: string, ids: string[], timeoutMs = 60_000) {
  let api = 0;
  let processes = 0;
  await eventually(
    async () => {
      const runs = await listRuns(P, jobId);
      api = Math.max(api, runs.filter((run) => run.status === 'running').length);
      processes = Math.max(processes, runsWithProcesses(ids).size);
      return runs.every((run) => !['pending', 'running'].includes(run.status));
    },
    'every run finished',
    timeoutMs,
    20,
  );
  return { api, processes };
}

describe('admission', () => {
  it('holds a project to its limit of 2, places the rest 1..6 with the reason, and starts them by priority then age', async () => {
    const P = projectPath('acme', 'adm-limit');
    expect((await t.api.request('PUT', `${P}/settings`, { body: { limits: { running_tasks: 2 } } })).status).toBe(200);
    const g = gate('limit');
    const created = (await t.api.post(`${P}/jobs`, job({ command: g.command }))).body.data;
    const runs = `${P}/jobs/${created.id}/runs` as const;
    // Eight at once; the sixth asks a higher priority than the rest.
    const triggered = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.api.post(runs, i === 5 ? { priority: 70 } : {})),
    );
    const ids = triggered.map((reply) => reply.body.data.id);
    await eventually(async () => {
      const listed = await listRuns(P, created.id);
      return listed.filter((run) => run.queue !== null).length === 6 && listed.some((run) => run.status === 'running');
    }, 'six runs waiting in the queue, the others running');
    const listed = await listRuns(P, created.id);
    await eventually(
      async () => (await listRuns(P, created.id)).filter((run) => run.status === 'running').length === 2,
      'two running',
    );
    const running = (await listRuns(P, created.id)).filter((run) => run.status === 'running');
    const waiting = listed.filter((run) => run.queue !== null);
    expect(running).toHaveLength(2);
    expect(waiting.every((run) => run.status === 'pending')).toBe(true);
    expect(waiting.map((run) => run.queue!.position).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(new Set(waiting.map((run) => run.queue!.reason))).toEqual(
      new Set(['project acme/adm-limit is at its limit of 2 running tasks']),
    );
    for (const run of waiting) expect(Date.parse(run.queue!.since)).toBeGreaterThanOrEqual(Date.parse(run.created_at));
    // A single read shows the same place.
    const one = (await t.api.get(`${runs}/${waiting[0]!.id}`)).body.data;
    expect(one.queue).toMatchObject({ position: waiting[0]!.queue!.position });
    expect(running.map((run) => run.queue)).toEqual([null, null]);

    // Triggered later with priority 90: next in line.
    const urgent = (await t.api.post(runs, { priority: 90 })).body.data;
    expect(urgent.priority).toBe(90);
    await waitForRun(t.api, `${runs}/${urgent.id}`, (run) => run.queue?.position === 1, 'the urgent run first');

    g.open();
    const seen = await drain(P, created.id, [...ids, urgent.id]);
    expect(seen.api).toBeLessThanOrEqual(2);
    expect(seen.processes).toBeLessThanOrEqual(2);
    expect(seen.processes).toBeGreaterThan(0);
    const done = await listRuns(P, created.id);
    expect(done.map((run) => run.status)).toEqual(Array(9).fill('succeeded'));
    // Started in queue order: the urgent run, the one of priority 70, then the others oldest first. Two start
    // together each time two slots free (runs of one second apart): a later one never started a round earlier.
    const order = [...waiting, urgent]
      .sort((a, b) => b.priority - a.priority || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id))
      .map((run) => run.id);
    // The run of priority 70 may have been one of the first two to start, when all eight were in before the
    // first admission: then it never waited. Waiting, it comes right after the urgent run.
    const first = waiting.some((run) => run.id === ids[5]) ? [urgent.id, ids[5]] : [urgent.id];
    expect(order.slice(0, first.length)).toEqual(first);
    if (first.length === 1) expect(running.map((run) => run.id)).toContain(ids[5]);
    const started = new Map(done.map((run) => [run.id, Date.parse(run.started_at!)]));
    for (let i = 1; i < order.length; i++)
      for (const earlier of order.slice(0, i))
        expect(started.get(order[i]!)!, `${order[i]} started a round before ${earlier}`).toBeGreaterThan(
          started.get(earlier)! - 500,
        );
  });

  it("shares a workspace's limit by weighted fair share: a project with 2 waiting is not starved by one with 40", async () => {
    const W = '/v1/workspaces/fair';
    const A = projectPath('fair', 'a');
    const B = projectPath('fair', 'b');
    expect((await t.api.request('PUT', `${W}/settings`, { body: { limits: { running_tasks: 4 } } })).status).toBe(200);
    const g = gate('fair');
    const jobA = (await t.api.post(`${A}/jobs`, job({ command: g.command }))).body.data;
    const jobB = (await t.api.post(`${B}/jobs`, job({ command: g.command }))).body.data;
    for (let i = 0; i < 44; i++) await t.api.post(`${A}/jobs/${jobA.id}/runs`);
    await eventually(
      async () => (await listRuns(A, jobA.id)).filter((run) => run.queue !== null).length === 40,
      '4 of A running and 40 waiting',
    );
    const b = await Promise.all([0, 1].map(() => t.api.post(`${B}/jobs/${jobB.id}/runs`)));
    for (const reply of b)
      await waitForRun(
        t.api,
        `${B}/jobs/${jobB.id}/runs/${reply.body.data.id}`,
        (run) => run.queue?.reason === 'workspace fair is at its limit of 4 running tasks',
        'B waiting on the workspace limit',
      );
    g.open();
    const bRuns = await Promise.all(
      b.map((reply) => waitForStatus(t.api, `${B}/jobs/${jobB.id}/runs/${reply.body.data.id}`, ['succeeded'], 30_000)),
    );
    const lastB = Math.max(...bRuns.map((run) => Date.parse(run.started_at!)));
    const aRuns = await listRuns(A, jobA.id);
    const aStartedBeforeB = aRuns.filter((run) => run.started_at && Date.parse(run.started_at) <= lastB).length;
    // A's first four, and fewer than four more.
    expect(aStartedBeforeB).toBeGreaterThanOrEqual(4);
    expect(aStartedBeforeB).toBeLessThan(8);
    expect((await t.api.delete(`${A}/jobs/${jobA.id}`)).status).toBe(200);
  });

  it('fails a run that waited past queue_timeout_seconds naming the limit, and cancels a waiting run at once', async () => {
    const P = projectPath('acme', 'adm-timeout');
    await t.api.request('PUT', `${P}/settings`, { body: { limits: { running_tasks: 1 } } });
    const g = gate('timeout', 0);
    const holder = (await t.api.post(`${P}/jobs`, job({ command: g.command }))).body.data;
    const first = (await t.api.post(`${P}/jobs/${holder.id}/runs`)).body.data;
    await waitForStatus(t.api, `${P}/jobs/${holder.id}/runs/${first.id}`, ['running']);

    const impatient = (await t.api.post(`${P}/jobs`, job({ command: 'true', queue_timeout_seconds: 2 }))).body.data;
    expect(impatient.queue_timeout_seconds).toBe(2);
    const late = (await t.api.post(`${P}/jobs/${impatient.id}/runs`)).body.data;
    const failed = await waitForStatus(t.api, `${P}/jobs/${impatient.id}/runs/${late.id}`, ['failed'], 15_000);
    expect(failed.error).toBe('not started within 2 s: project acme/adm-timeout is at its limit of 1 running task');
    expect(failed).toMatchObject({ started_at: null, exit_code: null, queue: null, attempt: 0 });

    const waiting = (await t.api.post(`${P}/jobs/${holder.id}/runs`)).body.data;
    const path = `${P}/jobs/${holder.id}/runs/${waiting.id}` as const;
    await waitForRun(t.api, path, (run) => run.queue?.position === 1, 'the run waiting');
    const cancelled = await t.api.post(`${path}/cancel`, { mode: 'force' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({ status: 'cancelled', queue: null, started_at: null });
    g.open();
    await waitForStatus(t.api, `${P}/jobs/${holder.id}/runs/${first.id}`, ['succeeded']);
    // It never started after its cancel, though the slot freed.
    expect((await t.api.get(path)).body.data).toMatchObject({ status: 'cancelled', started_at: null, attempt: 0 });
  });

  it('refuses a bad priority or queue timeout, naming the field', async () => {
    const P = projectPath('acme', 'adm-bad');
    const bad = await t.api.post(`${P}/jobs`, job({ priority: 101, queue_timeout_seconds: 0 }));
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['priority', 'queue_timeout_seconds']);
    const created = (await t.api.post(`${P}/jobs`, job({ command: 'true' }))).body.data;
    expect(created).toMatchObject({ priority: 50, queue_timeout_seconds: 86_400 });
    const trigger = await t.api.post(`${P}/jobs/${created.id}/runs`, { priority: -1 });
    expect(trigger.status).toBe(400);
    expect(trigger.body.errors?.[0]?.field).toBe('priority');
  });
});

describe('admission on a host of 1 cpu', () => {
  let host: TestService;
  beforeAll(async () => {
    host = await startTestService('admission-host', { env: { JOBS_CAPACITY_CPU: '1' } });
  });
  afterAll(() => host?.stop());

  it('runs at most 4 tasks of 0.25 cpu at once, and fails at once a task of 2 cpu saying what the host offers', async () => {
    const P = projectPath('acme', 'host');
    const g = gate('host');
    const created = (await host.api.post(`${P}/jobs`, job({ command: g.command, cpu: 0.25 }))).body.data;
    const ids = (await Promise.all(Array.from({ length: 6 }, () => host.api.post(`${P}/jobs/${created.id}/runs`)))).map(
      (reply) => reply.body.data.id,
    );
    const listed = async () => (await host.api.get(`${P}/runs?job_id=${created.id}`)).body.data;
    await eventually(async () => {
      const runs = await listed();
      return (
        runs.filter((run) => run.status === 'running').length === 4 && runs.filter((run) => run.queue).length === 2
      );
    }, 'four running and two waiting');
    const runs = await listed();
    expect(runs.filter((run) => run.queue).map((run) => run.queue!.reason)).toEqual([
      'the host is at its capacity of 1 cpu (1 in use)',
      'the host is at its capacity of 1 cpu (1 in use)',
    ]);
    expect(runsWithProcesses(ids).size).toBeLessThanOrEqual(4);

    const big = (await host.api.post(`${P}/jobs`, job({ command: 'true', cpu: 2 }))).body.data;
    const refused = (await host.api.post(`${P}/jobs/${big.id}/runs`)).body.data;
    const failed = await waitForStatus(host.api, `${P}/jobs/${big.id}/runs/${refused.id}`, ['failed'], 5_000);
    expect(failed.error).toBe('the task asks 2 cpu; the host offers 1');
    g.open();
    await eventually(
      async () => (await listed()).every((run) => run.status === 'succeeded'),
      'all six succeeded',
      30_000,
    );
  });
});
