// The one place a run that its execution left active is settled. A run's execution settles it as its last step;
// when the execution ends another way (it failed, timed out or was stopped outside the service), its end event
// settles the run here, and a sweep finds what an event never reported: an active run, old enough, whose
// execution has ended. Reads never do this work: they only read.
import type { RunOrchestrator, RunStore } from './ports.ts';
import type { RunLifecycle } from './run-lifecycle.ts';
import { runRef, type RunRef } from './run-model.ts';

/** A run younger than this may not have its execution yet (it is started right after the run is written). */
export const STALE_AFTER_MS = 60_000;

export interface SweepReport {
  checked: number;
  settled: string[];
}

export class RunReconciler {
  readonly #store: RunStore;
  readonly #orchestrator: RunOrchestrator;
  readonly #lifecycle: RunLifecycle;
  readonly #now: () => Date;

  constructor(deps: { store: RunStore; orchestrator: RunOrchestrator; lifecycle: RunLifecycle; now?: () => Date }) {
    this.#store = deps.store;
    this.#orchestrator = deps.orchestrator;
    this.#lifecycle = deps.lifecycle;
    this.#now = deps.now ?? (() => new Date());
  }

  /** The run's execution has ended (`why`): the run is settled as failed if it is still active. */
  async executionEnded(ref: RunRef, why: string): Promise<boolean> {
    return (await this.#lifecycle.settle(ref, 'failed', { error: why })) !== null;
  }

  /** Settles every active run, old enough, whose execution the backend says has ended. */
  async sweep(): Promise<SweepReport> {
    const report: SweepReport = { checked: 0, settled: [] };
    const cutoff = this.#now().getTime() - STALE_AFTER_MS;
    let cursor: string | undefined;
    do {
      const page = await this.#store.listActive({ limit: 100, cursor });
      for (const run of page.items) {
        if (Date.parse(run.created_at) > cutoff || !run.backend.execution) continue;
        report.checked++;
        if ((await this.#orchestrator.isRunning(run.backend.execution)) !== false) continue;
        if (await this.executionEnded(runRef(run), 'the execution ended without settling the run'))
          report.settled.push(run.id);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return report;
  }
}
