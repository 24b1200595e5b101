// The reconciler against DynamoDB Local: a sweep settles exactly the active runs, old enough, whose execution the
// backend says has ended; young runs and runs whose execution runs or cannot be asked about are left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../functions/adapters/dynamodb/job-store.ts';
import { DynamoRunStore } from '../../functions/adapters/dynamodb/run-store.ts';
import { newId } from '../../functions/core/ids.ts';
import { buildJob } from '../../functions/core/jobs.ts';
import type { RunOrchestrator } from '../../functions/core/ports.ts';
import { RunLifecycle } from '../../functions/core/run-lifecycle.ts';
import type { Run } from '../../functions/core/run-model.ts';
import { RunReconciler, STALE_AFTER_MS } from '../../functions/core/run-reconciler.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { aRun } from '../helpers/runs.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
let store: DynamoRunStore;
const ref = { workspace_id: 'acme', project_id: 'reconcile' };
const now = new Date('2026-12-01T12:00:00.000Z');

beforeAll(async () => {
  table = await createTestTable('reconciler');
  store = new DynamoRunStore(table);
});
afterAll(() => table.drop());

async function activeRun(ageMs: number, execution: string): Promise<Run> {
  const jobId = newId('job');
  await new DynamoJobStore(table).create(
    buildJob(ref, jobId, { name: jobId, image: 'alpine', command: ['true'] }, 't', 't'),
  );
  const run = aRun({ ...ref, job_id: jobId }, newId('run'), {
    status: 'running',
    attempt: 1,
    created_at: new Date(now.getTime() - ageMs).toISOString(),
    backend: { runner: 'ecs', task: null, execution, task_role: null },
    tasks: { count: 1, pending: 0, running: 1, succeeded: 0, failed: 0, cancelled: 0 },
  });
  await store.create(run, { forbidActive: false });
  return run;
}

describe('RunReconciler', () => {
  it('settles only the old active runs whose execution has ended', async () => {
    const ended = await activeRun(STALE_AFTER_MS + 1_000, 'ended');
    const running = await activeRun(STALE_AFTER_MS + 1_000, 'running');
    const unknown = await activeRun(STALE_AFTER_MS + 1_000, 'unknown');
    const young = await activeRun(1_000, 'ended');
    const asked: string[] = [];
    const orchestrator = {
      isRunning: async (execution: string) => {
        asked.push(execution);
        return execution === 'ended' ? false : execution === 'running' ? true : 'unknown';
      },
    } as unknown as RunOrchestrator;
    const reconciler = new RunReconciler({
      store,
      orchestrator,
      lifecycle: new RunLifecycle(store, { now: () => now }),
      now: () => now,
    });
    const report = await reconciler.sweep();
    expect(report.settled).toEqual([ended.id]);
    expect(asked.sort()).toEqual(['ended', 'running', 'unknown']);
    const read = (run: Run) => store.get({ ...ref, job_id: run.job_id, run_id: run.id });
    expect(await read(ended)).toMatchObject({
      status: 'failed',
      error: 'the execution ended without settling the run',
    });
    for (const run of [running, unknown, young]) expect((await read(run))?.status).toBe('running');
    expect((await reconciler.sweep()).settled).toEqual([]);
  });

  it("settles a run whose execution's end was reported, once", async () => {
    const run = await activeRun(0, 'x');
    const reconciler = new RunReconciler({
      store,
      orchestrator: {} as RunOrchestrator,
      lifecycle: new RunLifecycle(store),
    });
    const runRef = { ...ref, job_id: run.job_id, run_id: run.id };
    expect(await reconciler.executionEnded(runRef, 'the execution was stopped')).toBe(true);
    expect(await reconciler.executionEnded(runRef, 'the execution was stopped')).toBe(false);
    expect(await store.get(runRef)).toMatchObject({ status: 'failed', error: 'the execution was stopped' });
  });
});
