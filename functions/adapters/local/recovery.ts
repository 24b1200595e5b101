// After a restart, every run the previous service process left pending or running is settled or taken back:
// each of its tasks re-attached if its process still lives, ended from its recorded exit status if it ended
// meanwhile, otherwise failed with the reason; a run with no task left alive settles by its tasks. Nothing stays
// active forever. (In AWS the execution-status rule and the lazy check on reads do this job.)
import type { JobService } from '../../core/job-service.ts';
import type { RunStore } from '../../core/ports.ts';
import type { ContainerExit, ContainerRunner } from './container-runner.ts';
import type { RunLifecycle } from '../../core/run-lifecycle.ts';
import { runRef, type Run } from '../../core/run-model.ts';
import { executionRequest } from '../../core/runs.ts';
import type { Logger } from '../../logger.ts';
import { recoveredEnd, type LocalOrchestrator } from './local-orchestrator.ts';

export interface RecoveryReport {
  reattached: string[];
  settled: string[];
  /** Runs that were waiting to start: they wait again, in their place. */
  requeued: string[];
}

export async function recoverRuns(deps: {
  store: RunStore;
  runner: ContainerRunner;
  orchestrator: LocalOrchestrator;
  lifecycle: RunLifecycle;
  jobs: JobService;
  logger: Logger;
  /** The secret values a run's output is masked with (read again: the previous process kept them in memory only). */
  masks?: (run: Run) => Promise<string[]>;
}): Promise<RecoveryReport> {
  const report: RecoveryReport = { reattached: [], settled: [], requeued: [] };
  const waiting: Run[] = [];
  const runs: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listActive({ limit: 100, cursor });
    runs.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);

  for (const run of runs) {
    const ref = runRef(run);
    const masks = (await deps.masks?.(run).catch(() => [])) ?? [];
    const found = await deps.runner.recover(run, masks);
    // None of its tasks ever started: it was waiting for admission, and waits again once every task still
    // running holds its slot (below), so the limits hold across the restart.
    if (found.length === 0 && run.status === 'pending' && run.started_at === null) {
      waiting.push(run);
      continue;
    }
    const alive: Array<{ index: number; exit: Promise<ContainerExit> }> = [];
    for (const task of found) {
      if (task.state === 'alive') alive.push({ index: task.index, exit: task.exit });
      else if (task.state === 'ended')
        await deps.lifecycle.endTask(
          ref,
          task.index,
          recoveredEnd(task.exit, 'while the service was down (no retries after a restart)'),
        );
      else
        await deps.lifecycle.endTask(ref, task.index, {
          exit_code: null,
          error: `the local service stopped while the run was ${run.status}, and ${task.reason}`,
        });
    }
    // A task with nothing on disk never started (or had ended and been recorded): no execution is left to start it.
    const seen = new Set(found.map((task) => task.index));
    const never =
      run.tasks.count === 1 && run.started_at
        ? 'its process is gone and recorded no exit status'
        : 'its container never started';
    for (let index = 0; index < run.tasks.count; index++) {
      if (!seen.has(index))
        await deps.lifecycle.endTask(ref, index, {
          exit_code: null,
          error: `the local service stopped while the run was ${run.status}, and ${never}`,
        });
    }
    if (alive.length > 0) {
      const job = await deps.jobs.get(ref).catch(() => null);
      deps.orchestrator.attach(run, alive, job?.timeout_seconds ?? 0, job ?? undefined);
      report.reattached.push(run.id);
    } else {
      await deps.lifecycle.finish(ref);
      report.settled.push(run.id);
    }
  }
  // Whatever a killed service left of runs no longer active (a container created but never started) goes.
  const removed = await deps.runner.removeLeftovers(new Set(report.reattached));
  if (removed.length > 0) deps.logger.info('removed containers left by a stopped service', { containers: removed });
  // After the leftovers went: what a waiting run starts now is its own.
  for (const run of waiting) {
    const ref = runRef(run);
    const job = await deps.jobs.get(ref).catch(() => null);
    if (job) {
      await deps.orchestrator.start(executionRequest(job, run));
      report.requeued.push(run.id);
    } else {
      await deps.lifecycle.failed(ref, 'the local service stopped while the run waited to start, and its job is gone');
      report.settled.push(run.id);
    }
  }
  if (runs.length > 0)
    deps.logger.info('recovered runs', {
      reattached: report.reattached.length,
      settled: report.settled.length,
      requeued: report.requeued.length,
    });
  return report;
}
