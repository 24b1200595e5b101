// After a restart, every run the previous service process left pending or running is settled or taken back:
// re-attached if its process still lives, settled from its recorded exit status if it ended meanwhile,
// otherwise failed with the reason. Nothing stays active forever. (In AWS the execution-status rule and the
// lazy check on reads do this job.)
import type { JobService } from '../../core/jobs.ts';
import type { RunStore } from '../../core/ports.ts';
import type { ContainerRunner } from './container-runner.ts';
import { OUT_OF_MEMORY } from './container-launcher.ts';
import { exitError, type RunLifecycle } from '../../core/run-lifecycle.ts';
import { runRef, type Run } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import type { LocalOrchestrator } from './local-orchestrator.ts';

export interface RecoveryReport {
  reattached: string[];
  settled: string[];
}

export async function recoverRuns(deps: {
  store: RunStore;
  runner: ContainerRunner;
  orchestrator: LocalOrchestrator;
  lifecycle: RunLifecycle;
  jobs: JobService;
  logger: Logger;
}): Promise<RecoveryReport> {
  const report: RecoveryReport = { reattached: [], settled: [] };
  const runs: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listActive({ limit: 100, cursor });
    runs.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);

  for (const run of runs) {
    const ref = runRef(run);
    const found = await deps.runner.recover(run);
    if (found.state === 'alive') {
      const job = await deps.jobs.get(ref).catch(() => null);
      deps.orchestrator.attach(run, found.exit, job?.timeout_seconds ?? 0);
      report.reattached.push(run.id);
    } else if (found.state === 'ended') {
      const { exit_code } = found.exit;
      const error = exit_code === 0 ? null : `${exit_code === null ? (found.exit.error ?? 'its process ended without an exit status') : exitError(exit_code, found.exit.error === OUT_OF_MEMORY)} while the service was down (no retries after a restart)`;
      await deps.lifecycle.settle(ref, exit_code === 0 ? 'succeeded' : 'failed', { exit_code, error });
      report.settled.push(run.id);
    } else {
      await deps.lifecycle.settle(ref, 'failed', { error: `the local service stopped while the run was ${run.status}, and ${found.reason}` });
      report.settled.push(run.id);
    }
  }
  // Whatever a killed service left of runs no longer active (a container created but never started) goes.
  const removed = await deps.runner.removeLeftovers(new Set(report.reattached));
  if (removed.length > 0) deps.logger.info('removed containers left by a stopped service', { containers: removed });
  if (runs.length > 0) deps.logger.info('recovered runs', { reattached: report.reattached.length, settled: report.settled.length });
  return report;
}
