// Log lines as the API reads them: a run's, or all of a job's runs', from wherever the host keeps them. Only
// reads: the run or job must exist (and be the caller's project), nothing else is touched.
import { NotFoundError } from './errors.ts';
import type { JobRef, JobService } from './jobs.ts';
import type { LogLine, LogQuery, LogSource, Page, RunStore } from './ports.ts';
import type { RunRef } from './run-model.ts';

export type LogRead = Omit<LogQuery, 'job' | 'run_id'>;

export class LogService {
  readonly #jobs: JobService;
  readonly #runs: RunStore;
  readonly #source: LogSource;

  constructor(deps: { jobs: JobService; runs: RunStore; source: LogSource }) {
    this.#jobs = deps.jobs;
    this.#runs = deps.runs;
    this.#source = deps.source;
  }

  async forRun(ref: RunRef, read: LogRead): Promise<Page<LogLine>> {
    if (!(await this.#runs.get(ref))) throw new NotFoundError('run', ref.run_id);
    return this.#source.query({ ...read, job: ref, run_id: ref.run_id });
  }

  async forJob(ref: JobRef, read: LogRead): Promise<Page<LogLine>> {
    await this.#jobs.get(ref);
    return this.#source.query({ ...read, job: ref });
  }
}
