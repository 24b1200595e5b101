import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullImageName } from '../../functions/core/images.ts';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../functions/adapters/dynamodb/run-store.ts';
import { newId } from '../../functions/core/ids.ts';
import { buildJob } from '../../functions/core/jobs.ts';
import { RunLifecycle } from '../../functions/core/run-lifecycle.ts';
import { pendingTasks, type Run } from '../../functions/core/run-model.ts';
import { RunReconciler } from '../../functions/core/run-reconciler.ts';
import { ecsTaskEventHandler, reconcilerHandler } from '../../functions/orchestration/events.ts';
import { runStateHandler } from '../../functions/orchestration/run-state.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { aRun } from '../helpers/runs.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoRunStore;
let lifecycle: RunLifecycle;
const ref = { workspace_id: 'acme', project_id: 'etl' };

beforeAll(async () => {
  table = await createTestTable('events');
  store = new DynamoRunStore(table);
  lifecycle = new RunLifecycle(store);
});
afterAll(() => table.drop());

async function pendingRun(tasks = 1): Promise<Run> {
  const jobId = newId('job');
  await new DynamoJobStore(table).create(
    buildJob(ref, jobId, { name: jobId, image: 'alpine', command: ['true'], tasks }, 't', 't'),
  );
  const run = aRun({ ...ref, job_id: jobId }, newId('run'), {
    created_at: new Date().toISOString(),
    backend: { runner: 'ecs', task: null, execution: 'exec', task_role: null },
    tasks: pendingTasks(tasks),
    parallelism: Math.min(tasks, 10),
  });
  await store.create(run, { forbidActive: false });
  return run;
}

const taskArn = 'arn:aws:ecs:eu-west-1:123456789012:task/jobs/0123456789abcdef';

describe('ECS task state changes', () => {
  it("mark a run running when its task's container really starts", async () => {
    const run = await pendingRun();
    const handle = ecsTaskEventHandler(store, lifecycle);
    const detail = {
      lastStatus: 'RUNNING',
      startedBy: run.id,
      group: `family:job-${run.job_id}`,
      taskArn,
      startedAt: '2026-11-22T10:15:30.123Z',
    };
    expect(
      await handle({ 'detail-type': 'ECS Task State Change', detail: { ...detail, lastStatus: 'PROVISIONING' } }),
    ).toEqual({ marked: false });
    expect(await handle({ 'detail-type': 'ECS Task State Change', detail })).toEqual({ marked: true });
    const running = await store.get({ ...ref, job_id: run.job_id, run_id: run.id });
    expect(running).toMatchObject({
      status: 'running',
      started_at: '2026-11-22T10:15:30.123Z',
      backend: { runner: 'ecs', task: taskArn, execution: 'exec', task_role: null },
    });
    expect(await store.counts({ ...ref, job_id: run.job_id })).toMatchObject({ pending: 0, running: 1, total: 1 });
  });

  it('record the exit status of a stopped run from its STOPPED event, once, for its own task only', async () => {
    const run = await pendingRun();
    const runRef = { ...ref, job_id: run.job_id, run_id: run.id };
    const handle = ecsTaskEventHandler(store, lifecycle);
    const detail = { startedBy: run.id, group: `family:job-${run.job_id}`, taskArn };
    await handle({ 'detail-type': 'ECS Task State Change', detail: { ...detail, lastStatus: 'RUNNING' } });
    await lifecycle.settle(runRef, 'cancelled', { error: 'cancelled (graceful)' });
    expect(await store.get(runRef)).toMatchObject({ status: 'cancelled', exit_code: null });
    const stopped = (exitCode: number, task = taskArn) => ({
      'detail-type': 'ECS Task State Change' as const,
      detail: { ...detail, taskArn: task, lastStatus: 'STOPPED', containers: [{ name: 'job', exitCode }] },
    });
    expect(await handle(stopped(143, `${taskArn}-an-earlier-attempt`))).toEqual({ exit_recorded: false });
    expect(await handle(stopped(143))).toEqual({ exit_recorded: true });
    expect(await handle(stopped(137))).toEqual({ exit_recorded: false });
    expect(await store.get(runRef)).toMatchObject({
      status: 'cancelled',
      exit_code: 143,
      error: 'cancelled (graceful)',
    });
  });

  it("mark each task of a run of several by the JOBS_TASK_INDEX of its overrides, and record a stopped task's exit status on that task", async () => {
    const run = await pendingRun(3);
    const runRef = { ...ref, job_id: run.job_id, run_id: run.id };
    const handle = ecsTaskEventHandler(store, lifecycle);
    const event = (index: number, lastStatus: string, exitCode?: number) => ({
      'detail-type': 'ECS Task State Change' as const,
      detail: {
        lastStatus,
        startedBy: run.id,
        group: `family:job-${run.job_id}`,
        taskArn: `${taskArn}-${index}`,
        overrides: {
          containerOverrides: [
            {
              name: 'job',
              environment: [
                { name: 'STAGE', value: 'x' },
                { name: 'JOBS_TASK_INDEX', value: String(index) },
              ],
            },
          ],
        },
        ...(exitCode === undefined ? {} : { containers: [{ name: 'job', exitCode }] }),
      },
    });
    for (const index of [0, 2]) await lifecycle.startAttempt(runRef, index);
    expect(await handle(event(2, 'RUNNING'))).toEqual({ marked: true });
    expect(await store.get(runRef)).toMatchObject({
      status: 'running',
      tasks: { pending: 2, running: 1 },
      backend: { task: `${taskArn}-2` },
    });
    expect(await handle(event(0, 'RUNNING'))).toEqual({ marked: true });
    await lifecycle.settle(runRef, 'cancelled', { error: 'cancelled (graceful)' });
    expect(await handle(event(0, 'STOPPED', 143))).toEqual({ exit_recorded: true });
    const tasks = await store.tasks(runRef, 0, 2);
    expect(tasks).toMatchObject([
      { index: 0, status: 'cancelled', exit_code: 143, task: `${taskArn}-0` },
      { index: 2, status: 'running', exit_code: null },
    ]);
  });

  it("ignore tasks that are not a run's", async () => {
    const handle = ecsTaskEventHandler(store, lifecycle);
    expect(
      await handle({
        'detail-type': 'ECS Task State Change',
        detail: { lastStatus: 'RUNNING', startedBy: 'ecs-svc/123', group: 'service:web', taskArn },
      }),
    ).toEqual({ marked: false });
  });
});

describe('the reconciler', () => {
  it('settles a run whose execution failed without settling it, and leaves a settled run alone', async () => {
    const run = await pendingRun();
    const handle = reconcilerHandler(
      new RunReconciler({ store, lifecycle, orchestrator: { isRunning: async () => false } as never }),
    );
    const input = JSON.stringify({ run: { ...ref, job_id: run.job_id, run_id: run.id }, task_indexes: [0] });
    const event = {
      'detail-type': 'Step Functions Execution Status Change' as const,
      detail: { status: 'FAILED', name: run.id, input, error: 'States.Runtime', cause: 'boom' },
    };
    expect(await handle(event)).toEqual({ settled: true });
    expect(await store.get({ ...ref, job_id: run.job_id, run_id: run.id })).toMatchObject({
      status: 'failed',
      error: 'the execution failed: States.Runtime: boom',
    });
    expect(await handle(event)).toEqual({ settled: false });
    expect(await handle({ ...event, detail: { ...event.detail, status: 'SUCCEEDED' } })).toEqual({ settled: false });
  });

  it("leaves a task's child execution (the Map's) to its parent: its input has no task list", async () => {
    const run = await pendingRun();
    const handle = reconcilerHandler(
      new RunReconciler({ store, lifecycle, orchestrator: { isRunning: async () => false } as never }),
    );
    const input = JSON.stringify({ run: { ...ref, job_id: run.job_id, run_id: run.id }, task: { index: 0, count: 1 } });
    expect(
      await handle({
        'detail-type': 'Step Functions Execution Status Change',
        detail: { status: 'ABORTED', name: 'child', input },
      }),
    ).toEqual({ settled: false });
    expect(await store.get({ ...ref, job_id: run.job_id, run_id: run.id })).toMatchObject({ status: 'pending' });
  });
});

describe('the run-state function', () => {
  it('counts attempts, settles on success, and refuses to start an attempt of a settled run', async () => {
    const run = await pendingRun();
    const handle = runStateHandler(lifecycle);
    const runRef = { ...ref, job_id: run.job_id, run_id: run.id };
    expect(await handle({ action: 'start_attempt', run: runRef })).toMatchObject({ attempt: 1 });
    // Attempts are left: the definition's Retry runs the attempt again on this error.
    await expect(
      handle({
        action: 'end_attempt',
        run: runRef,
        attempt: 1,
        retries: 2,
        result: { Error: 'States.TaskFailed', Cause: JSON.stringify({ Containers: [{ ExitCode: 9 }] }) },
      }),
    ).rejects.toMatchObject({ name: 'Run.AttemptFailed', message: 'exited with code 9' });
    expect(await store.get(runRef)).toMatchObject({
      status: 'pending',
      exit_code: 9,
      error: 'attempt 1 of 3 exited with code 9; retrying',
    });
    expect(await handle({ action: 'start_attempt', run: runRef })).toMatchObject({ attempt: 2 });
    expect(
      await handle({
        action: 'end_attempt',
        run: runRef,
        attempt: 2,
        retries: 2,
        result: { exit_code: 0, task: taskArn },
      }),
    ).toEqual({ outcome: 'done' });
    expect(await handle({ action: 'finish', run: runRef })).toEqual({ settled: true });
    expect(await store.get(runRef)).toMatchObject({ status: 'succeeded', exit_code: 0, error: null, attempt: 2 });
    await expect(handle({ action: 'start_attempt', run: runRef })).rejects.toMatchObject({
      name: 'Run.AlreadySettled',
    });
  });

  it('fails a run whose image ECS could not pull at once, without retrying, naming the image', async () => {
    const run = await pendingRun();
    const handle = runStateHandler(lifecycle);
    const runRef = { ...ref, job_id: run.job_id, run_id: run.id };
    await handle({ action: 'start_attempt', run: runRef });
    const cause = JSON.stringify({
      StoppedReason: 'CannotPullContainerError: pull access denied',
      Containers: [{ Reason: 'CannotPullContainerError: pull access denied' }],
    });
    expect(
      await handle({
        action: 'end_attempt',
        run: runRef,
        attempt: 1,
        retries: 2,
        result: { Error: 'States.TaskFailed', Cause: cause },
      }),
    ).toMatchObject({ outcome: 'done' });
    await handle({ action: 'finish', run: runRef });
    expect(await store.get(runRef)).toMatchObject({
      status: 'failed',
      attempt: 1,
      exit_code: null,
      error: `image "${fullImageName(run.image)}" could not be pulled: pull access denied`,
    });
  });

  it('explains a container that never ran, and one its memory limit killed, from the ECS task description', async () => {
    const handle = runStateHandler(lifecycle);
    const never = await pendingRun();
    const neverRef = { ...ref, job_id: never.job_id, run_id: never.id };
    await handle({ action: 'start_attempt', run: neverRef });
    const cause = JSON.stringify({
      StoppedReason: 'ResourceInitializationError: unable to pull secrets',
      Containers: [{}],
    });
    await handle({
      action: 'end_attempt',
      run: neverRef,
      attempt: 1,
      retries: 0,
      result: { Error: 'States.TaskFailed', Cause: cause },
    });
    await handle({ action: 'finish', run: neverRef });
    expect(await store.get(neverRef)).toMatchObject({
      status: 'failed',
      exit_code: null,
      error: 'the container did not run: ResourceInitializationError: unable to pull secrets',
    });

    const hog = await pendingRun();
    const hogRef = { ...ref, job_id: hog.job_id, run_id: hog.id };
    await handle({ action: 'start_attempt', run: hogRef });
    const oom = JSON.stringify({
      StoppedReason: 'Essential container in task exited',
      Containers: [{ ExitCode: 137, Reason: 'OutOfMemoryError: Container killed due to memory usage' }],
    });
    await handle({
      action: 'end_attempt',
      run: hogRef,
      attempt: 1,
      retries: 0,
      result: { Error: 'States.TaskFailed', Cause: oom },
    });
    await handle({ action: 'finish', run: hogRef });
    expect(await store.get(hogRef)).toMatchObject({
      status: 'failed',
      exit_code: 137,
      error: 'out of memory: the container was killed at its memory limit (exit 137)',
    });
  });
});
