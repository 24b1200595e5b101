// Log lines as the API reads them: a run's, or all of a job's runs', from wherever the host keeps them, paged by
// a cursor that always points after the last line returned. A read with `wait` is held until a line after the
// cursor exists, the run finishes or the time is up, so a follower loops on the cursor and sees every line once.
// Only reads: the run or job must exist (and be the caller's project), nothing else is touched.
import { NotFoundError } from './errors.ts';
import { sleep } from './sleep.ts';
import type { Job, JobRef } from './jobs.ts';
import { maskLine } from './secrets.ts';
import type { JobService } from './job-service.ts';
import type { LogPage, LogQuery, LogSource, RunStore } from './ports.ts';
import { isActive, type RunRef } from './run-model.ts';
import type { RunSignals } from './run-signals.ts';

export type LogRead = Omit<LogQuery, 'job' | 'run_id'> & {
  /** Seconds to hold a reply that has no line, 0–20. */
  wait?: number | undefined;
};

export interface RunLogPage extends LogPage {
  /** The run has finished and every line of it has been returned. */
  complete: boolean;
  /** Some of its output was not kept (past its cap, or lost to a full disk); a marker line says so. */
  truncated: boolean;
}

/** While lines exist that cannot be read whole yet (being written), look again this soon. */
const HELD_LINES_RETRY_MS = 2;

export class LogService {
  readonly #jobs: JobService;
  readonly #runs: RunStore;
  readonly #source: LogSource;
  readonly #signals: RunSignals | undefined;
  readonly #pollMs: number;
  readonly #masks: ((job: Job) => Promise<string[]>) | undefined;

  constructor(deps: {
    jobs: JobService;
    runs: RunStore;
    source: LogSource;
    signals?: RunSignals | undefined;
    pollMs: number;
    /**
     * The secret values a job's output is masked with as it is served, where the host stores it unmasked (AWS);
     * none where it is masked as it is stored.
     */
    masks?: ((job: Job) => Promise<string[]>) | undefined;
  }) {
    this.#jobs = deps.jobs;
    this.#runs = deps.runs;
    this.#source = deps.source;
    this.#signals = deps.signals;
    this.#pollMs = deps.pollMs;
    this.#masks = deps.masks;
  }

  /** A reader of lines that masks each as it is served (or passes them through where nothing needs masking). */
  async #masker(job: JobRef | Job, filter: string | undefined): Promise<(page: LogPage) => LogPage> {
    if (!this.#masks) return (page) => page;
    if (!('secrets' in job)) job = await this.#jobs.get(job);
    if (Object.keys(job.secrets).length === 0) return (page) => page;
    const values = await this.#masks(job);
    if (values.length === 0) return (page) => page;
    return (page) => ({
      ...page,
      items: page.items
        .map((line) => ({ ...line, message: maskLine(line.message, values) }))
        // A filter matched against the stored text must not tell a value by which lines it keeps.
        .filter((line) => !filter || line.message.includes(filter)),
    });
  }

  /**
   * A page of a run's lines. A read that stopped at its limit of work (a filter over a large log) answers at once,
   * also with no line: the work of one request stays bounded, and its cursor goes on from where it stopped.
   */
  async forRun(ref: RunRef, read: LogRead): Promise<RunLogPage> {
    const { wait, ...query } = read;
    const deadline = Date.now() + (wait ?? 0) * 1000;
    const mask = await this.#masker(ref, query.filter);
    for (;;) {
      const watch = this.#watch(ref, deadline, [ref.run_id]);
      try {
        // The run is read before its lines: if it had finished by then, the lines read next are all it wrote.
        const run = await this.#runs.get(ref);
        if (!run) throw new NotFoundError('run', ref.run_id);
        const page = mask(await this.#source.query({ ...query, job: ref, run_id: ref.run_id }));
        const complete = !isActive(run.status) && !page.more && this.#source.settled(run);
        if (page.items.length > 0 || complete || page.partial || Date.now() >= deadline)
          return { ...page, complete, truncated: page.truncated ?? false };
        // Lines passed over (outside the filter) are not read again while the reply waits.
        query.cursor = page.cursor;
        await this.#pause(watch, page, deadline);
      } finally {
        watch.abort();
      }
    }
  }

  async forJob(ref: JobRef, read: LogRead): Promise<LogPage> {
    const { wait, ...query } = read;
    const deadline = Date.now() + (wait ?? 0) * 1000;
    const mask = await this.#masker(await this.#jobs.get(ref), query.filter);
    for (;;) {
      const watch = this.#watch(ref, deadline, []);
      try {
        const page = mask(await this.#source.query({ ...query, job: ref }));
        if (page.items.length > 0 || page.partial || Date.now() >= deadline) return page;
        query.cursor = page.cursor;
        await this.#pause(watch, page, deadline);
      } finally {
        watch.abort();
      }
    }
  }

  /**
   * Listens for the log's next change, and the runs' next change, from before either is read: a line written or
   * a run settled meanwhile is not slept through.
   */
  #watch(job: JobRef, deadline: number, runIds: string[]): Watch {
    const controller = new AbortController();
    const changed = this.#source.changed?.(job, controller.signal);
    const left = Math.max(0, deadline - Date.now());
    const runChanged =
      runIds.length > 0 && this.#signals
        ? this.#signals.wait(runIds, left, controller.signal)
        : sleep(left, controller.signal);
    return { changed, runChanged, abort: () => controller.abort() };
  }

  /** Until the log changes, the run changes, or (where no signal exists) the next look; never past the deadline. */
  async #pause(watch: Watch, page: LogPage, deadline: number): Promise<void> {
    const left = Math.max(0, deadline - Date.now());
    if (page.more) return sleep(Math.min(HELD_LINES_RETRY_MS, left));
    if (!watch.changed) return sleep(Math.min(this.#pollMs, left));
    await Promise.race([watch.changed, watch.runChanged]);
  }
}

interface Watch {
  changed: Promise<void> | undefined;
  runChanged: Promise<void>;
  abort(): void;
}
