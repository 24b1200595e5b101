// Runs split into tasks through the started service: each task its own process with its index, count and attempt;
// at most parallelism at once; per-task records paged by cursor; log lines by task; the run's outcome from its
// tasks; a cancel that stops twenty tasks at once and leaves none behind; overrides, reruns and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedProcesses } from '../../functions/adapters/local/process-tree.ts';
import {
  job,
  projectPath,
  startTestService,
  waitForRun,
  waitForStatus,
  type ApiResponse,
  type RunPath,
  type TestService,
} from '../helpers/service.ts';
import type { Job, RunTask } from '../../client/jobs-client.ts';
import { eventually } from '../helpers/wait.ts';

let t: TestService;
const P = projectPath('acme', 'tasks');
beforeAll(async () => {
  // Twenty tasks of 0.25 cpu and 512 MiB run at once here, whatever this machine's cores and memory make the host's
  // capacity.
  t = await startTestService('tasks', { env: { JOBS_CAPACITY_CPU: '8', JOBS_CAPACITY_MEMORY_MB: '16384' } });
});
afterAll(() => t?.stop());

async function createJob(spec: Record<string, unknown>): Promise<Job> {
  const response = await t.api.post(`${P}/jobs`, job(spec));
  expect(response.status).toBe(201);
  return response.body.data;
}

async function allTasks(path: RunPath, limit = 100): Promise<RunTask[]> {
  const tasks: RunTask[] = [];
  let cursor: string | null = null;
  do {
    const page: ApiResponse<RunTask[]> = await t.api.get(
      `${path}/tasks?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(page.status).toBe(200);
    tasks.push(...page.body.data);
    cursor = page.body.next_cursor ?? null;
  } while (cursor);
  return tasks;
}

describe('a run of several tasks', () => {
  it('runs every task with its own index, count and attempt, at most parallelism at once, and succeeds when all have', async () => {
    const created = await createJob({
      name: 'split',
      command: 'echo "task $JOBS_TASK_INDEX of $JOBS_TASK_COUNT attempt $JOBS_ATTEMPT"; sleep 0.3',
      tasks: 5,
      parallelism: 2,
    });
    expect(created).toMatchObject({ tasks: 5, parallelism: 2 });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    expect(run).toMatchObject({ status: 'pending', tasks: { count: 5, pending: 5, running: 0 }, parallelism: 2 });
    const path = `${P}/jobs/${created.id}/runs/${run.id}` as const;
    const done = await waitForStatus(t.api, path, ['succeeded', 'failed'], 30_000);
    expect(done).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
      error: null,
      attempt: 1,
      tasks: { count: 5, pending: 0, running: 0, succeeded: 5, failed: 0, cancelled: 0 },
    });

    const tasks = await allTasks(path, 2);
    expect(tasks.map((task) => task.index)).toEqual([0, 1, 2, 3, 4]);
    for (const task of tasks)
      expect(task).toMatchObject({ status: 'succeeded', attempt: 1, exit_code: 0, error: null });
    expect(new Set(tasks.map((task) => task.task)).size).toBe(5);
    // No moment had more than two tasks between their start and their end.
    const moments = tasks
      .flatMap((task) => [
        [Date.parse(task.started_at!), 1],
        [Date.parse(task.finished_at!), -1],
      ])
      .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    let running = 0;
    let most = 0;
    for (const [, step] of moments) {
      running += step!;
      most = Math.max(most, running);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect(Date.parse(done.finished_at!)).toBeGreaterThanOrEqual(
      Math.max(...tasks.map((task) => Date.parse(task.finished_at!))),
    );

    await eventually(async () => (await t.api.get(`${path}/logs`)).body.complete === true, 'the log complete');
    const lines = (await t.api.get(`${path}/logs`)).body.data;
    expect(lines.map((line) => line.message).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `task ${i} of 5 attempt 1`));
    for (const line of lines) expect(line.message).toBe(`task ${line.task_index} of 5 attempt 1`);
    const third = (await t.api.get(`${path}/logs?task=3`)).body.data;
    expect(third.map((line) => [line.task_index, line.message])).toEqual([[3, 'task 3 of 5 attempt 1']]);
  });

  it('fails once every task has ended, with the exit code and error of the task that failed for good', async () => {
    const created = await createJob({
      name: 'one-fails',
      command: 'if [ "$JOBS_TASK_INDEX" = 1 ]; then exit 3; fi; sleep 1',
      tasks: 3,
      retries: 1,
    });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    const path = `${P}/jobs/${created.id}/runs/${run.id}` as const;
    const done = await waitForStatus(t.api, path, ['succeeded', 'failed'], 30_000);
    expect(done).toMatchObject({
      status: 'failed',
      exit_code: 3,
      attempt: 2,
      tasks: { succeeded: 2, failed: 1, running: 0, pending: 0 },
    });
    expect(done.error).toBe('task 1 exited with code 3 (attempt 2 of 2) (1 of 3 tasks failed)');
    const tasks = await allTasks(path);
    expect(tasks).toMatchObject([
      { index: 0, status: 'succeeded', attempt: 1 },
      { index: 1, status: 'failed', attempt: 2, exit_code: 3, error: 'exited with code 3 (attempt 2 of 2)' },
      { index: 2, status: 'succeeded', attempt: 1 },
    ]);
    // The others ran to their end: the run failed only after them.
    expect(Date.parse(done.finished_at!)).toBeGreaterThanOrEqual(Date.parse(tasks[0]!.finished_at!));
  });

  it('cancelled, stops all twenty tasks at once and leaves no process of any behind', async () => {
    const created = await createJob({
      name: 'twenty',
      command: 'sleep 60 & sleep 60 & wait',
      tasks: 20,
      parallelism: 20,
    });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    const path = `${P}/jobs/${created.id}/runs/${run.id}` as const;
    await waitForRun(t.api, path, (r) => r.tasks.running === 20, 'twenty tasks running', 30_000);
    expect(markedProcesses(`JOBS_RUN_ID=${run.id}`).length).toBeGreaterThanOrEqual(20);
    const cancelled = await t.api.post(`${path}/cancel`, { mode: 'force' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data).toMatchObject({
      status: 'cancelled',
      tasks: { count: 20, running: 0, pending: 0, cancelled: 20 },
    });
    await eventually(() => markedProcesses(`JOBS_RUN_ID=${run.id}`).length === 0, 'no process of the run left', 5_000);
    await eventually(
      async () => (await allTasks(path)).every((task) => task.status === 'cancelled' && task.exit_code === 137),
      'every task cancelled with the exit status of its kill',
    );
  });

  it('takes tasks and parallelism from a trigger, and a rerun runs the same', async () => {
    const created = await createJob({ name: 'overridden', command: 'true' });
    expect(created).toMatchObject({ tasks: 1, parallelism: 1 });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 3, parallelism: 1 })).body.data;
    expect(run).toMatchObject({ tasks: { count: 3 }, parallelism: 1 });
    await waitForStatus(t.api, `${P}/jobs/${created.id}/runs/${run.id}`, ['succeeded'], 30_000);
    const again = (await t.api.post(`${P}/jobs/${created.id}/runs/${run.id}/rerun`)).body.data;
    expect(again).toMatchObject({ trigger: 'rerun', tasks: { count: 3 }, parallelism: 1 });
    const more = (await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 30 })).body.data;
    expect(more).toMatchObject({ tasks: { count: 30 }, parallelism: 10 });
    await waitForStatus(t.api, `${P}/jobs/${created.id}/runs/${more.id}`, ['succeeded'], 60_000);
  });

  it('splits a scheduled fire as the job says, and an Idempotency-Key repeat returns the same run of tasks', async () => {
    const created = await createJob({
      name: 'scheduled-split',
      command: 'echo "$JOBS_TASK_INDEX/$JOBS_TASK_COUNT"',
      schedule: '0 3 * * *',
      tasks: 4,
      parallelism: 2,
    });
    const fired = await t.service.host.services.scheduledTrigger().fire({
      job: { workspace_id: 'acme', project_id: 'tasks', job_id: created.id },
      scheduled_time: '2026-11-20T03:00:00.000Z',
    });
    expect(fired.outcome).toBe('fired');
    const path = `${P}/jobs/${created.id}/runs/${fired.outcome === 'fired' ? fired.run_id : ''}` as const;
    const done = await waitForStatus(t.api, path, ['succeeded', 'failed'], 30_000);
    expect(done).toMatchObject({
      status: 'succeeded',
      trigger: 'schedule',
      tasks: { count: 4, succeeded: 4 },
      parallelism: 2,
    });

    const headers = { 'idempotency-key': 'split-once' };
    const first = await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 2 }, { headers });
    const again = await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 2 }, { headers });
    expect(first.status).toBe(202);
    expect(again.body.data).toMatchObject({ id: first.body.data.id, tasks: { count: 2 } });
    expect((await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 3 }, { headers })).status).toBe(422);
    await waitForStatus(t.api, `${P}/jobs/${created.id}/runs/${first.body.data.id}`, ['succeeded'], 30_000);
  });

  it('lists the one task of a run of one', async () => {
    const created = await createJob({ name: 'single', command: 'exit 4' });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    const path = `${P}/jobs/${created.id}/runs/${run.id}` as const;
    const done = await waitForStatus(t.api, path, ['failed'], 15_000);
    expect(await allTasks(path)).toEqual([
      {
        index: 0,
        status: 'failed',
        attempt: 1,
        exit_code: 4,
        started_at: done.started_at,
        finished_at: done.finished_at,
        error: 'exited with code 4',
        task: done.backend.task,
        output: null,
      },
    ]);
  });
});

describe('tasks and parallelism on a job', () => {
  it('follow each other: a default parallelism follows the task count, one set on purpose stays within it', async () => {
    const created = await createJob({ name: 'following', command: 'true' });
    expect((await t.api.patch(`${P}/jobs/${created.id}`, { tasks: 40 })).body.data).toMatchObject({
      tasks: 40,
      parallelism: 10,
    });
    expect((await t.api.patch(`${P}/jobs/${created.id}`, { tasks: 4 })).body.data).toMatchObject({
      tasks: 4,
      parallelism: 4,
    });
    expect((await t.api.patch(`${P}/jobs/${created.id}`, { tasks: 50, parallelism: 3 })).body.data).toMatchObject({
      tasks: 50,
      parallelism: 3,
    });
    expect((await t.api.patch(`${P}/jobs/${created.id}`, { tasks: 2 })).body.data).toMatchObject({
      tasks: 2,
      parallelism: 2,
    });
    expect((await t.api.patch(`${P}/jobs/${created.id}`, { tasks: null, parallelism: null })).body.data).toMatchObject({
      tasks: 1,
      parallelism: 1,
    });
  });

  it.each([
    [{ tasks: 0 }, 'tasks'],
    [{ tasks: 1001 }, 'tasks'],
    [{ tasks: 2.5 }, 'tasks'],
    [{ tasks: 3, parallelism: 4 }, 'parallelism'],
    [{ parallelism: 0 }, 'parallelism'],
  ])('refuses %j on create naming %s, and creates nothing', async (spec, field) => {
    const before = (await t.api.get(`${P}/jobs?limit=100`)).body.data.length;
    const response = await t.api.post(
      `${P}/jobs`,
      job({ name: `bad-${field}-${Object.values(spec).join('-')}`, ...spec }),
    );
    expect(response.status).toBe(400);
    expect(response.body.errors!.map((e: { field: string }) => e.field)).toContain(field);
    expect((await t.api.get(`${P}/jobs?limit=100`)).body.data.length).toBe(before);
  });

  it('refuses a patch and a trigger whose parallelism passes the tasks, naming parallelism, and changes nothing', async () => {
    const created = await createJob({ name: 'bounded', command: 'true', tasks: 3 });
    const patched = await t.api.patch(`${P}/jobs/${created.id}`, { parallelism: 5 });
    expect(patched.status).toBe(400);
    expect(patched.body.errors!.map((e: { field: string }) => e.field)).toEqual(['parallelism']);
    expect((await t.api.get(`${P}/jobs/${created.id}`)).body.data).toMatchObject({ tasks: 3, parallelism: 3 });
    for (const body of [{ parallelism: 4 }, { tasks: 2, parallelism: 3 }, { tasks: 0 }, { tasks: 1001 }]) {
      const triggered = await t.api.post(`${P}/jobs/${created.id}/runs`, body);
      expect(triggered.status).toBe(400);
      expect(triggered.body.errors!.map((e: { field: string }) => e.field)).toEqual([Object.keys(body).at(-1)]);
    }
    expect((await t.api.get(`${P}/jobs/${created.id}/status`)).body.data.counts.total).toBe(0);
  });

  it('answers 409 to a trigger with tasks while a forbid job has a run active, and starts nothing', async () => {
    const created = await createJob({ name: 'forbidden', command: 'sleep 30', concurrency: 'forbid' });
    const active = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    const refused = await t.api.post(`${P}/jobs/${created.id}/runs`, { tasks: 5 });
    expect(refused.status).toBe(409);
    expect((await t.api.get(`${P}/jobs/${created.id}/status`)).body.data.counts).toMatchObject({ total: 1 });
    await t.api.post(`${P}/jobs/${created.id}/runs/${active.id}/cancel`, { mode: 'force' });
  });

  it('refuses a task list cursor that is not one', async () => {
    const created = await createJob({ name: 'cursor', command: 'true', tasks: 2 });
    const run = (await t.api.post(`${P}/jobs/${created.id}/runs`)).body.data;
    const response = await t.api.get(`${P}/jobs/${created.id}/runs/${run.id}/tasks?cursor=nonsense`);
    expect(response.status).toBe(400);
    expect(response.body.errors!.map((e: { field: string }) => e.field)).toEqual(['cursor']);
  });
});
