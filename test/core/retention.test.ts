// Run history within each job's limits, against DynamoDB Local: the newest `max_runs` finished runs kept, a run
// past `max_age_days` removed by the sweep (with a clock the test controls), active runs never removed, the
// job's `total` still counting every run and `retained` what is kept, and a removed run's artifacts removed too.
import { QueryCommand, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { JobRef } from '../../functions/core/jobs.ts';
import type { RunArtifacts } from '../../functions/core/ports.ts';
import { RunRetention } from '../../functions/core/retention.ts';
import { runRef, type RunRef } from '../../functions/core/run-model.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('retention');
const project = { workspace_id: 'acme', project_id: 'retention' };
const DAY_MS = 86_400_000;

/** The artifacts the retention removed, as the host would be asked to remove them. */
class RemovedArtifacts implements RunArtifacts {
  readonly removed: string[] = [];
  async removeRuns(_job: JobRef, runIds: string[]): Promise<void> {
    this.removed.push(...runIds);
  }
}

let n = 0;
async function newJob(history: { max_runs?: number; max_age_days?: number }): Promise<JobRef> {
  const job = await t.core.services
    .jobs()
    .create(project, { name: `kept-${n++}`, image: 'alpine', command: ['true'], history }, TEST_ACTOR);
  return { ...project, job_id: job.id };
}

async function finishedRun(job: JobRef): Promise<RunRef & { finished_at: string }> {
  const lifecycle = t.core.services.runLifecycle();
  const ref = runRef(await t.core.services.runs().trigger(job, {}));
  await lifecycle.startAttempt(ref);
  await lifecycle.markRunning(ref, 'task');
  await lifecycle.endAttempt(ref, 1, 0, { ended: 'exited', exit_code: 0 });
  await lifecycle.finish(ref);
  const run = (await t.core.runStore.get(ref))!;
  return { ...ref, finished_at: run.finished_at! };
}

function retention(now: () => Date = () => new Date()) {
  const artifacts = new RemovedArtifacts();
  const platform = t.core.services.platform;
  return {
    artifacts,
    retention: new RunRetention({ jobs: platform.jobStore(), runs: t.core.runStore, artifacts: [artifacts], now }),
  };
}

const kept = async (job: JobRef) =>
  (await t.core.runStore.listForJob(job, {}, { limit: 100 })).items.map((r) => r.id).sort();

describe('run history', () => {
  it('keeps the newest max_runs finished runs, removing the others with their artifacts, and counts both', async () => {
    const job = await newJob({ max_runs: 3 });
    const { retention: r, artifacts } = retention();
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) {
      const run = await finishedRun(job);
      runs.push(run.run_id);
      await r.settled(job, [{ id: run.run_id, finished_at: run.finished_at }]);
    }
    expect(await kept(job)).toEqual(runs.slice(2).sort());
    expect(artifacts.removed).toEqual(runs.slice(0, 2));
    expect(await t.core.runStore.counts(job)).toMatchObject({ succeeded: 5, total: 5, retained: 3 });
  });

  it('never removes an active run, which still counts', async () => {
    const job = await newJob({ max_runs: 1 });
    const { retention: r } = retention();
    const active = runRef(await t.core.services.runs().trigger(job, {}));
    const finished = [await finishedRun(job), await finishedRun(job)];
    await r.settled(
      job,
      finished.map((f) => ({ id: f.run_id, finished_at: f.finished_at })),
    );
    // The active run is the oldest: the limit takes the finished one behind it, and keeps the newest.
    expect(await kept(job)).toEqual([active.run_id, finished[1]!.run_id].sort());
    expect((await t.core.runStore.counts(job)).retained).toBe(2);
  });

  it('removes a finished run once it is older than max_age_days, and never an active one', async () => {
    const job = await newJob({ max_age_days: 1 });
    const run = await finishedRun(job);
    const active = runRef(await t.core.services.runs().trigger(job, {}));
    let now = new Date(Date.parse(run.finished_at) + DAY_MS - 60_000);
    const { retention: r, artifacts } = retention(() => now);
    await r.settled(job, [{ id: run.run_id, finished_at: run.finished_at }]);
    // An active run cannot be marked to expire, however it is asked.
    await t.core.runStore.setExpiry(active, new Date(0));

    expect(await r.sweep()).toEqual({ removed: 0 });
    now = new Date(Date.parse(run.finished_at) + DAY_MS + 60_000);
    expect(await r.sweep()).toEqual({ removed: 1 });
    expect(await kept(job)).toEqual([active.run_id]);
    expect(artifacts.removed).toEqual([run.run_id]);
    expect(await t.core.runStore.counts(job)).toMatchObject({ total: 2, retained: 1 });
  });

  it("gives a run of several tasks' records the run's TTL, and removes them with the run", async () => {
    const job = await t.core.services.jobs().create(
      project,
      {
        name: `split-${n++}`,
        image: 'alpine',
        command: ['true'],
        tasks: 3,
        history: { max_runs: 1, max_age_days: 2 },
      },
      TEST_ACTOR,
    );
    const ref: JobRef = { ...project, job_id: job.id };
    const lifecycle = t.core.services.runLifecycle();
    const runs: RunRef[] = [];
    for (let i = 0; i < 2; i++) {
      const run = runRef(await t.core.services.runs().trigger(ref, {}));
      for (const index of [0, 1, 2]) {
        await lifecycle.startAttempt(run, index);
        await lifecycle.markRunning(run, `task-${i}-${index}`, undefined, index);
        await lifecycle.endAttempt(run, 1, 0, { ended: 'exited', exit_code: 0 }, [], index);
      }
      await lifecycle.finish(run);
      runs.push(run);
    }
    const [older, newer] = runs as [RunRef, RunRef];
    const { retention: trimmer } = retention();
    const finished = (await t.core.runStore.get(newer))!;
    // The first settle marks the newer run and trims the older one away, task records and all.
    await trimmer.settled(ref, [{ id: newer.run_id, finished_at: finished.finished_at!, tasks: 3 }]);
    expect(await kept(ref)).toEqual([newer.run_id]);
    expect(await t.core.runStore.tasks(older, 0, 2)).toEqual([]);
    expect((await t.core.runStore.tasks(newer, 0, 2)).map((task) => task.index)).toEqual([0, 1, 2]);
    // The newer run's task records carry its TTL: gone with it should no sweep run.
    const ttl = Math.floor((Date.parse(finished.finished_at!) + 2 * DAY_MS) / 1000) + 86_400;
    const items = await t.core.runStore.table.send<QueryCommandOutput>(
      new QueryCommand({
        TableName: t.core.runStore.table.name,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': `JOB#${job.id}`, ':prefix': `TASK#${newer.run_id}#` }),
      }),
    );
    expect((items.Items ?? []).map((item) => unmarshall(item).expires_at)).toEqual([ttl, ttl, ttl]);
  });
});
