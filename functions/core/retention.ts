// Run history is kept within each job's `history` limits. When a run settles (its event comes through the
// outbox, like every other consumer's) it is marked to expire after `max_age_days`, and the job's oldest
// finished runs beyond `max_runs` are removed. A sweep removes the runs whose time has come. A removed run goes
// with whatever else the host keeps of it (log lines, metric samples); active runs are never removed. The same
// code serves both hosts.
import type { EventSink } from './ports.ts';
import type { ServiceEvent } from './events.ts';
import type { JobRef } from './jobs.ts';
import type { JobStore, RunArtifacts, RunStore } from './ports.ts';
import type { Run } from './run-model.ts';

const DAY_MS = 86_400_000;
/** Runs looked at per Query: a trim usually removes one, a sweep takes what is due in pages of this size. */
const PAGE = 100;
const SETTLED_EVENTS = new Set<ServiceEvent['type']>(['run.succeeded', 'run.failed', 'run.cancelled']);

export interface RetentionReport {
  removed: number;
}

/** A run that just settled, as its event tells it: when it finished and how many tasks it had. */
interface SettledRun {
  id: string;
  finished_at: string;
  tasks?: number;
}

export class RunRetention implements EventSink {
  readonly #jobs: JobStore;
  readonly #runs: RunStore;
  readonly #artifacts: RunArtifacts[];
  readonly #now: () => Date;
  readonly #warn: (message: string, error: Error) => void;

  constructor(deps: {
    jobs: JobStore;
    runs: RunStore;
    artifacts: RunArtifacts[];
    now?: () => Date;
    warn?: (message: string, error: Error) => void;
  }) {
    this.#jobs = deps.jobs;
    this.#runs = deps.runs;
    this.#artifacts = deps.artifacts;
    this.#now = deps.now ?? (() => new Date());
    this.#warn = deps.warn ?? (() => undefined);
  }

  /**
   * The EventSink: each settled run is marked to expire and its job trimmed. It never refuses an event (a trim
   * that fails is done by the next settle or the sweep), so other sinks never see an event twice for it.
   */
  async publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    const byJob = new Map<string, { job: JobRef; runs: SettledRun[] }>();
    for (const event of events) {
      const run = event.data.run;
      if (!SETTLED_EVENTS.has(event.type) || !run || !event.data.job_id) continue;
      const job = {
        workspace_id: event.data.workspace_id,
        project_id: event.data.project_id,
        job_id: event.data.job_id,
      };
      const entry = byJob.get(job.job_id) ?? { job, runs: [] };
      entry.runs.push({ id: run.id, finished_at: run.finished_at ?? event.timestamp, tasks: run.tasks.count });
      byJob.set(job.job_id, entry);
    }
    for (const { job, runs } of byJob.values()) {
      try {
        await this.settled(job, runs);
      } catch (error) {
        this.#warn('could not apply the history limits of a job; the next settle or sweep will', error as Error);
      }
    }
    return { failed: [] };
  }

  /** Runs of the job just settled: each marked to expire by the job's age limit, then the job trimmed to its count. */
  async settled(ref: JobRef, runs: SettledRun[]): Promise<RetentionReport> {
    const stored = await this.#jobs.get(ref, ref.job_id);
    if (!stored) return { removed: 0 };
    const { max_age_days, max_runs } = stored.job.history;
    for (const run of runs)
      await this.#runs.setExpiry(
        { ...ref, run_id: run.id },
        new Date(Date.parse(run.finished_at) + max_age_days * DAY_MS),
        run.tasks ?? 1,
      );
    return this.trim(ref, max_runs);
  }

  /** Removes the job's oldest finished runs beyond `maxRuns` (active ones stay, and still count). */
  async trim(ref: JobRef, maxRuns: number): Promise<RetentionReport> {
    const { retained } = await this.#runs.counts(ref);
    const excess = retained - maxRuns;
    if (excess <= 0) return { removed: 0 };
    const oldest = await this.#runs.oldest(ref, Math.min(excess, PAGE * 10));
    return { removed: (await this.#remove(ref, oldest)).length };
  }

  /** Removes every run whose age has come, in every job. */
  async sweep(): Promise<RetentionReport> {
    let removed = 0;
    for (
      let due = await this.#runs.expired(this.#now(), PAGE);
      due.length > 0;
      due = await this.#runs.expired(this.#now(), PAGE)
    ) {
      const byJob = new Map<string, Run[]>();
      for (const run of due) byJob.set(run.job_id, [...(byJob.get(run.job_id) ?? []), run]);
      let progress = 0;
      for (const runs of byJob.values()) progress += (await this.#remove(runs[0]!, runs)).length;
      removed += progress;
      if (progress === 0) break; // what is left cannot be removed now (a transaction refused): the next sweep tries
    }
    return { removed };
  }

  async #remove(ref: JobRef, runs: Run[]): Promise<Run[]> {
    const removed = await this.#runs.remove(
      { workspace_id: ref.workspace_id, project_id: ref.project_id, job_id: ref.job_id },
      runs,
    );
    if (removed.length > 0)
      await Promise.all(
        this.#artifacts.map((artifacts) =>
          artifacts.removeRuns(
            ref,
            removed.map((run) => run.id),
          ),
        ),
      );
    return removed;
  }
}
