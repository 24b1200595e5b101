// Fires run-after chains from the run events, wherever they are handed on (the local outbox pump, the table's
// stream in AWS): a run that ended starts a run of each job of its project that runs after it, on that ending.
// Events are handed on at least once; the run made has an id derived from its job and the run that ended, so a
// repeat (a restart, a retried batch) finds it made and makes no second one.
import { endsAs, refersTo } from './chains.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { ServiceEvent } from './events.ts';
import { chainedRunId } from './ids.ts';
import type { Job } from './jobs.ts';
import type { EventSink, JobStore, ProjectRef } from './ports.ts';
import { jobRef, type RunService } from './runs.ts';

const ENDINGS = new Set(['run.succeeded', 'run.failed', 'run.cancelled']);
export const UPSTREAM_OUTPUT_VARIABLE = 'JOBS_UPSTREAM_OUTPUT';

export class ChainTrigger implements EventSink {
  readonly #jobs: JobStore;
  readonly #runs: () => RunService;
  readonly #note: (message: string, fields: Record<string, unknown>) => void;

  constructor(deps: {
    jobs: JobStore;
    runs: () => RunService;
    note?: (message: string, fields: Record<string, unknown>) => void;
  }) {
    this.#jobs = deps.jobs;
    this.#runs = deps.runs;
    this.#note = deps.note ?? (() => undefined);
  }

  async publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    const projects = new Map<string, Promise<Job[]>>();
    for (const event of events) {
      const { run, job_id: jobId, job_name: jobName } = event.data;
      // A job gone has no name: its dependents lost their edge to it when it was deleted.
      if (!ENDINGS.has(event.type) || !run || !jobId || !jobName) continue;
      const key = `${run.workspace_id}/${run.project_id}`;
      try {
        if (!projects.has(key)) projects.set(key, this.#projectJobs(run));
        const dependents = (await projects.get(key)!).filter((job) =>
          job.run_after.some((entry) => refersTo(entry, { id: jobId, name: jobName }) && endsAs(entry.on, run.status)),
        );
        for (const dependent of dependents) await this.#start(dependent, { job_id: jobId, run_id: run.id }, event);
      } catch (error) {
        projects.delete(key);
        this.#note('could not start the runs after a run', { run_id: run.id, error: error as Error });
        failed.push(event.id);
      }
    }
    return { failed };
  }

  async #start(job: Job, cause: { job_id: string; run_id: string }, event: ServiceEvent): Promise<void> {
    const ended = event.data.run;
    const endedAt = new Date(ended?.finished_at ?? event.timestamp);
    const runId = chainedRunId(job.id, cause.run_id, endedAt);
    // The run that ended hands its output on (its JSON text), as the one that runs after it reads it.
    const output = ended?.output ?? null;
    const input = output === null ? {} : { env: { [UPSTREAM_OUTPUT_VARIABLE]: JSON.stringify(output) } };
    try {
      await this.#runs().trigger(jobRef(job), input, { trigger: 'dependency', runId, job, causedBy: cause });
    } catch (error) {
      // Made already (a repeat of the event), or the job went meanwhile: nothing to do.
      if (error instanceof NotFoundError || (error instanceof ConflictError && error.field === 'run_id')) return;
      // `forbid` with a run of it active: this ending starts nothing, as a skipped fire would.
      if (error instanceof ConflictError) {
        this.#note('a run after another was not started: its job has a run active (forbid)', {
          job_id: job.id,
          caused_by: cause.run_id,
        });
        return;
      }
      throw error;
    }
  }

  async #projectJobs(ref: ProjectRef): Promise<Job[]> {
    const jobs: Job[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#jobs.list(ref, { tags: [] }, { limit: 100, cursor });
      jobs.push(...page.items.filter((job) => job.run_after.length > 0));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return jobs;
  }
}
