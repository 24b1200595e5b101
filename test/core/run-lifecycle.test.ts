// RunLifecycle against DynamoDB Local: the transitions a run's execution drives, each conditional on the run's
// status, and the exit status of a stopped container recorded once.
import { describe, expect, it } from 'vitest';
import { RunAlreadySettledError } from '../../functions/core/errors.ts';
import { runRef, type RunRef } from '../../functions/core/run-model.ts';
import { RunLifecycle } from '../../functions/core/run-lifecycle.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('run-lifecycle');
const project = { workspace_id: 'acme', project_id: 'lifecycle' };

let n = 0;
async function pendingRun(): Promise<RunRef> {
  const job = await t.core.services
    .jobs()
    .create(project, { name: `job-${n++}`, image: 'alpine', command: ['true'] }, TEST_ACTOR);
  return runRef(await t.core.services.runs().trigger({ ...project, job_id: job.id }, {}));
}
const read = (ref: RunRef) => t.core.runStore.get(ref);

/** An attempt's end as the state machine takes it: a task done is followed by its run's finish (a run of one task). */
async function endAttempt(lifecycle: RunLifecycle, ...args: Parameters<RunLifecycle['endAttempt']>) {
  const answer = await lifecycle.endAttempt(...args);
  if (answer.outcome === 'done') await lifecycle.finish(args[0]);
  return answer;
}

async function runOfTasks(tasks: number): Promise<RunRef> {
  const job = await t.core.services
    .jobs()
    .create(project, { name: `job-${n++}`, image: 'alpine', command: ['true'], tasks, retries: 1 }, TEST_ACTOR);
  return runRef(await t.core.services.runs().trigger({ ...project, job_id: job.id }, {}));
}
const taskList = async (ref: RunRef) => (await t.core.services.runs().tasks(ref, { limit: 100 })).items;

describe('RunLifecycle', () => {
  it('counts attempts, goes running when the container starts, retries while attempts are left, then fails', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    expect(await lifecycle.startAttempt(ref)).toEqual({ attempt: 1 });
    expect(await lifecycle.markRunning(ref, 'task-1')).toBe(true);
    expect(await read(ref)).toMatchObject({ status: 'running', backend: { task: 'task-1' } });
    expect(await endAttempt(lifecycle, ref, 1, 1, { ended: 'exited', exit_code: 3 })).toMatchObject({
      outcome: 'retry',
    });
    expect(await read(ref)).toMatchObject({
      status: 'running',
      exit_code: 3,
      error: 'attempt 1 of 2 exited with code 3; retrying',
    });
    expect(await lifecycle.startAttempt(ref)).toEqual({ attempt: 2 });
    expect((await read(ref))?.exit_code).toBeNull(); // a new attempt has no exit status yet
    expect(await endAttempt(lifecycle, ref, 2, 1, { ended: 'exited', exit_code: 127 })).toMatchObject({
      outcome: 'done',
    });
    expect(await read(ref)).toMatchObject({
      status: 'failed',
      exit_code: 127,
      error: 'command not found (exit 127) (attempt 2 of 2)',
    });
    await expect(lifecycle.startAttempt(ref)).rejects.toBeInstanceOf(RunAlreadySettledError);
  });

  it('says why a container never ran', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await lifecycle.startAttempt(ref);
    await endAttempt(lifecycle, ref, 1, 0, { ended: 'not-started', reason: 'ResourceInitializationError: no secret' });
    expect(await read(ref)).toMatchObject({
      status: 'failed',
      exit_code: null,
      error: 'the container did not run: ResourceInitializationError: no secret',
    });
  });

  it('fails a run whose image cannot be pulled at once, naming the image in full, with attempts left', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun(); // image: alpine
    await lifecycle.startAttempt(ref);
    expect(await endAttempt(lifecycle, ref, 1, 3, { ended: 'not-pulled', reason: 'manifest unknown' })).toMatchObject({
      outcome: 'done',
    });
    expect(await read(ref)).toMatchObject({
      status: 'failed',
      attempt: 1,
      exit_code: null,
      error: 'image "docker.io/library/alpine:latest" could not be pulled: manifest unknown',
    });
  });

  it('decides by the first retry rule naming the exit code, and by retries alone when none does', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const rules = [
      { exit_codes: [2, 64], action: 'fail' as const },
      { exit_codes: [137], action: 'retry' as const },
      { exit_codes: [137], action: 'fail' as const },
    ];
    const failing = await pendingRun();
    await lifecycle.startAttempt(failing);
    // 64 is the rule's second code: a rule matches on any of its codes, not only its first.
    expect(await endAttempt(lifecycle, failing, 1, 3, { ended: 'exited', exit_code: 64 }, rules)).toMatchObject({
      outcome: 'done',
    });
    expect(await read(failing)).toMatchObject({
      status: 'failed',
      attempt: 1,
      exit_code: 64,
      error: 'exited with code 64 (a retry rule fails exit code 64 without retrying; attempt 1 of 4)',
    });

    const retried = await pendingRun();
    await lifecycle.startAttempt(retried);
    expect(await endAttempt(lifecycle, retried, 1, 1, { ended: 'exited', exit_code: 137 }, rules)).toMatchObject({
      outcome: 'retry',
    });
    await lifecycle.startAttempt(retried);
    // Retried while retries allow, no further.
    expect(await endAttempt(lifecycle, retried, 2, 1, { ended: 'exited', exit_code: 137 }, rules)).toMatchObject({
      outcome: 'done',
    });
    expect(await read(retried)).toMatchObject({ status: 'failed', attempt: 2, exit_code: 137 });

    const unnamed = await pendingRun();
    await lifecycle.startAttempt(unnamed);
    expect(await endAttempt(lifecycle, unnamed, 1, 1, { ended: 'exited', exit_code: 1 }, rules)).toMatchObject({
      outcome: 'retry',
    });
    await lifecycle.startAttempt(unnamed);
    expect(await endAttempt(lifecycle, unnamed, 2, 1, { ended: 'exited', exit_code: 0 }, rules)).toMatchObject({
      outcome: 'done',
    });
    expect(await read(unnamed)).toMatchObject({ status: 'succeeded', attempt: 2 });
  });

  it('says a container killed at its memory limit ran out of memory', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await lifecycle.startAttempt(ref);
    await endAttempt(lifecycle, ref, 1, 0, { ended: 'exited', exit_code: 137, out_of_memory: true });
    expect(await read(ref)).toMatchObject({
      status: 'failed',
      exit_code: 137,
      error: 'out of memory: the container was killed at its memory limit (exit 137)',
    });
  });

  it("records a stopped container's exit status once, and only its current task's", async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await lifecycle.startAttempt(ref);
    await lifecycle.markRunning(ref, 'task-2');
    await lifecycle.settle(ref, 'cancelled', { error: 'cancelled (graceful)' });
    expect(await lifecycle.containerExited(ref, 'task-1', 143)).toBe(false);
    expect(await lifecycle.containerExited(ref, 'task-2', 143)).toBe(true);
    expect(await lifecycle.containerExited(ref, 'task-2', 137)).toBe(false);
    expect(await read(ref)).toMatchObject({ status: 'cancelled', exit_code: 143, error: 'cancelled (graceful)' });
  });

  it('keeps an exit status recorded before a timeout settles the run', async () => {
    const lifecycle = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await lifecycle.startAttempt(ref);
    await lifecycle.markRunning(ref, 'task-3');
    expect(await lifecycle.containerExited(ref, 'task-3', 137)).toBe(true);
    await lifecycle.taskTimedOut(ref);
    await lifecycle.finish(ref);
    expect(await read(ref)).toMatchObject({ status: 'failed', exit_code: 137, error: 'timed out' });
    expect(await lifecycle.settle(ref, 'succeeded', {})).toBeNull(); // a finished run never changes again
  });

  it('keeps an exit status its container records while the run is being settled after a timeout', async () => {
    const plain = t.core.services.runLifecycle();
    const ref = await pendingRun();
    await plain.startAttempt(ref);
    await plain.markRunning(ref, 'task-9');
    await plain.taskTimedOut(ref);
    // The container's end lands between the finish's read of the run and its write.
    const store = t.core.runStore;
    let landed = false;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'transition')
          return Reflect.get(target, prop, receiver).bind?.(target) ?? Reflect.get(target, prop, receiver);
        return async (...args: Parameters<typeof store.transition>) => {
          if (!landed) {
            landed = true;
            expect(await plain.containerExited(ref, 'task-9', 137)).toBe(true);
          }
          return target.transition(...args);
        };
      },
    });
    await new RunLifecycle(racing).finish(ref);
    expect(landed).toBe(true);
    expect(await read(ref)).toMatchObject({ status: 'failed', exit_code: 137, error: 'timed out' });
  });

  describe('a run of several tasks', () => {
    it('moves its task counts with each task, runs with its first task, and fails with the first task that failed for good', async () => {
      const lifecycle = t.core.services.runLifecycle();
      const ref = await runOfTasks(3);
      expect(await read(ref)).toMatchObject({
        status: 'pending',
        tasks: { count: 3, pending: 3, running: 0 },
        parallelism: 3,
      });
      for (const index of [0, 1, 2]) expect(await lifecycle.startAttempt(ref, index)).toEqual({ attempt: 1 });
      await lifecycle.markRunning(ref, 'task-b', undefined, 1);
      expect(await read(ref)).toMatchObject({
        status: 'running',
        attempt: 1,
        tasks: { pending: 2, running: 1 },
        backend: { task: 'task-b' },
      });
      await lifecycle.markRunning(ref, 'task-a', undefined, 0);
      await lifecycle.markRunning(ref, 'task-c', undefined, 2);
      expect(await read(ref)).toMatchObject({ tasks: { pending: 0, running: 3 }, backend: { task: 'task-b' } });

      expect(await lifecycle.endAttempt(ref, 1, 1, { ended: 'exited', exit_code: 0 }, [], 0)).toMatchObject({
        outcome: 'done',
      });
      expect(await lifecycle.endAttempt(ref, 1, 1, { ended: 'exited', exit_code: 4 }, [], 2)).toMatchObject({
        outcome: 'retry',
      });
      expect(await lifecycle.startAttempt(ref, 2)).toEqual({ attempt: 2 });
      expect(await read(ref)).toMatchObject({ status: 'running', attempt: 2, tasks: { running: 2, succeeded: 1 } });
      await lifecycle.endAttempt(ref, 2, 1, { ended: 'exited', exit_code: 5 }, [], 2);
      await lifecycle.endAttempt(ref, 1, 1, { ended: 'exited', exit_code: 0 }, [], 1);
      expect(await read(ref)).toMatchObject({
        status: 'running',
        tasks: { pending: 0, running: 0, succeeded: 2, failed: 1 },
      });
      expect(await taskList(ref)).toMatchObject([
        { index: 0, status: 'succeeded', attempt: 1, exit_code: 0, task: 'task-a' },
        { index: 1, status: 'succeeded', attempt: 1, exit_code: 0, task: 'task-b' },
        {
          index: 2,
          status: 'failed',
          attempt: 2,
          exit_code: 5,
          error: 'exited with code 5 (attempt 2 of 2)',
          task: 'task-c',
        },
      ]);
      await lifecycle.finish(ref);
      expect(await read(ref)).toMatchObject({
        status: 'failed',
        exit_code: 5,
        error: 'task 2 exited with code 5 (attempt 2 of 2) (1 of 3 tasks failed)',
      });
      expect(await t.core.runStore.counts(ref)).toMatchObject({ failed: 1, running: 0, total: 1 });
    });

    it('succeeds once every task has; many tasks ending at once all count', async () => {
      const lifecycle = t.core.services.runLifecycle();
      const ref = await runOfTasks(12);
      await Promise.all(
        Array.from({ length: 12 }, async (_, index) => {
          await lifecycle.startAttempt(ref, index);
          await lifecycle.markRunning(ref, `task-${index}`, undefined, index);
          await lifecycle.endAttempt(ref, 1, 1, { ended: 'exited', exit_code: 0 }, [], index);
        }),
      );
      expect(await read(ref)).toMatchObject({
        status: 'running',
        tasks: { count: 12, pending: 0, running: 0, succeeded: 12 },
      });
      await lifecycle.finish(ref);
      expect(await read(ref)).toMatchObject({ status: 'succeeded', exit_code: 0, error: null });
    });

    it('cancelled, its unfinished tasks are cancelled with it, and a task whose container ends later records its exit status', async () => {
      const lifecycle = t.core.services.runLifecycle();
      const ref = await runOfTasks(3);
      await lifecycle.startAttempt(ref, 0);
      await lifecycle.markRunning(ref, 'task-a', undefined, 0);
      await lifecycle.settle(ref, 'cancelled', { error: 'cancelled (force)' });
      expect(await read(ref)).toMatchObject({ status: 'cancelled', tasks: { pending: 0, running: 0, cancelled: 3 } });
      expect((await taskList(ref)).map((task) => task.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(await lifecycle.containerExited(ref, 'task-a', 137, 0)).toBe(true);
      expect(await lifecycle.containerExited(ref, 'task-a', 137, 0)).toBe(false);
      expect((await taskList(ref))[0]).toMatchObject({ status: 'cancelled', exit_code: 137 });
      await expect(lifecycle.startAttempt(ref, 1)).rejects.toBeInstanceOf(RunAlreadySettledError);
    });
  });
});
