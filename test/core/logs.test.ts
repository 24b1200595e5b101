// LogService: a run's or a job's lines, read only once the run or job is found in the caller's project; a read
// with `wait` held until a line exists or the run finishes; `complete` only when the run's log is whole.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../functions/core/errors.ts';
import type { LogLine, LogSource } from '../../functions/core/ports.ts';
import { LogService } from '../../functions/core/logs.ts';
import { RunLifecycle } from '../../functions/core/run-lifecycle.ts';
import { RunSignals } from '../../functions/core/run-signals.ts';
import { runRef, type RunRef } from '../../functions/core/run-model.ts';
import { useCore } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

const t = useCore('log-service');
const project = { workspace_id: 'acme', project_id: 'logs' };

const line = (run: RunRef, message: string): LogLine => ({
  timestamp: new Date().toISOString(),
  run_id: run.run_id,
  attempt: 1,
  task_index: 0,
  stream: 'stdout',
  message,
});

async function aRun(name: string): Promise<RunRef> {
  const job = await t.core.services.jobs().create(project, { name, image: 'alpine', command: ['true'] }, TEST_ACTOR);
  return runRef(await t.core.services.runs().trigger({ ...project, job_id: job.id }, {}));
}

describe('LogService', () => {
  it("reads a run's lines and a job's, and nothing for a run or job that is not the project's", async () => {
    const run = await aRun('talkative');
    t.core.logs.push(line(run, 'hello'));
    expect(
      (await t.core.services.logs().forRun(run, { limit: 10, filter: 'hel' })).items.map((l) => l.message),
    ).toEqual(['hello']);
    expect(t.core.logs.queries.at(-1)).toEqual({ job: run, run_id: run.run_id, limit: 10, filter: 'hel' });
    expect((await t.core.services.logs().forJob(run, { limit: 10 })).items).toHaveLength(1);
    const elsewhere = { ...run, project_id: 'other' };
    await expect(t.core.services.logs().forRun(elsewhere, { limit: 10 })).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      t.core.services.logs().forJob({ ...project, job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' }, { limit: 10 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('holds a reply after the last line until the next line is written, and answers it', async () => {
    const run = await aRun('held');
    const first = await t.core.services.logs().forRun(run, { limit: 10 });
    expect(first).toMatchObject({ items: [], complete: false });
    const held = t.core.services.logs().forRun(run, { limit: 10, cursor: first.cursor, wait: 20 });
    // The reply is held: it is still open once the service has read the log and begun to wait.
    await expect
      .poll(() => t.core.logs.queries.filter((q) => q.run_id === run.run_id).length)
      .toBeGreaterThanOrEqual(2);
    t.core.logs.push(line(run, 'late'));
    const reply = await held;
    expect(reply.items.map((l) => l.message)).toEqual(['late']);
    expect(reply.complete).toBe(false);
  });

  it('answers an empty held read when the time is up, with a cursor that still points after the last line', async () => {
    const run = await aRun('quiet');
    t.core.logs.push(line(run, 'only'));
    const page = await t.core.services.logs().forRun(run, { limit: 10 });
    const started = Date.now();
    const empty = await t.core.services.logs().forRun(run, { limit: 10, cursor: page.cursor, wait: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(empty).toMatchObject({ items: [], cursor: page.cursor, complete: false });
  });

  it('answers a read that stopped at its limit of work at once, even held and with no line, and the next read goes on from its cursor', async () => {
    const run = await aRun('haystack');
    for (let i = 0; i < 9; i++) t.core.logs.push(line(run, `hay ${i}`));
    t.core.logs.push(line(run, 'needle'));
    t.core.logs.scanLimit = 4;
    try {
      const found: string[] = [];
      let cursor: string | undefined;
      for (let reads = 0; reads < 10; reads++) {
        const page = await t.core.services
          .logs()
          .forRun(run, { limit: 10, filter: 'needle', wait: 20, ...(cursor ? { cursor } : {}) });
        found.push(...page.items.map((l) => l.message));
        if (!page.more) break;
        expect(page).toMatchObject({ partial: true, complete: false });
        cursor = page.cursor;
      }
      expect(found).toEqual(['needle']);
      // Three reads of at most four lines each, none of them held for its 20 seconds.
      expect(t.core.logs.queries.filter((q) => q.run_id === run.run_id && q.filter === 'needle')).toHaveLength(3);
    } finally {
      t.core.logs.scanLimit = undefined;
    }
  });

  it('is complete once the run has finished and its log is whole, not before', async () => {
    const run = await aRun('finishing');
    t.core.logs.writing.add(run.run_id);
    await t.core.services.runLifecycle().settle(run, 'succeeded', {});
    t.core.logs.push(line(run, 'tail'));
    // Finished, but its output is still arriving: not complete, even with every stored line returned.
    const page = await t.core.services.logs().forRun(run, { limit: 10 });
    expect(page).toMatchObject({ items: [{ message: 'tail' }], complete: false });
    t.core.logs.writing.delete(run.run_id);
    expect(await t.core.services.logs().forRun(run, { limit: 10, cursor: page.cursor, wait: 20 })).toMatchObject({
      items: [],
      complete: true,
    });
    // A page that leaves lines behind is not the end either.
    t.core.logs.push(line(run, 'more'));
    expect(await t.core.services.logs().forRun(run, { limit: 1 })).toMatchObject({
      items: [{ message: 'tail' }],
      complete: false,
    });
  });

  it('hears a run that settles while its lines are being read, and answers complete at once', async () => {
    const run = await aRun('settles-mid-read');
    const signals = new RunSignals();
    const lifecycle = new RunLifecycle(t.core.runStore, { signals });
    await lifecycle.startAttempt(run);
    await lifecycle.markRunning(run, 'task-1');
    // The run settles after the held read has read it (running) and while it reads the lines: the one moment a
    // wait registered only afterwards would miss, and sleep to its deadline.
    let settled = false;
    const source: LogSource = {
      ...t.core.logs,
      query: async (query) => {
        if (!settled) {
          settled = true;
          await lifecycle.settle(run, 'succeeded', { exit_code: 0, error: null });
        }
        return t.core.logs.query(query);
      },
      changed: (job, signal) => t.core.logs.changed(job, signal),
      settled: (r) => t.core.logs.settled(r),
      deleteForJob: (job) => t.core.logs.deleteForJob(job),
    };
    const logs = new LogService({
      jobs: t.core.services.jobs(),
      runs: t.core.runStore,
      source,
      signals,
      pollMs: 60_000,
    });
    const reply = await Promise.race([
      logs.forRun(run, { limit: 10, wait: 20 }),
      new Promise<'held'>((resolve) => setTimeout(() => resolve('held'), 10_000)),
    ]);
    expect(settled).toBe(true);
    expect(reply).toMatchObject({ items: [], complete: true });
  });
});
