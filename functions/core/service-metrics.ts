// The service's own figures, as Prometheus and its kin read them (`GET /v1/metrics`, OpenMetrics text): runs by
// how they ended and how long they took, how long runs waited to start, how late scheduled runs started, webhook
// delivery attempts by outcome (counters kept per project, durably, as events flow through the outbox, so they
// survive a restart and serve both hosts), and the tasks running and waiting now (read from the active runs).
import type { ServiceEvent } from './events.ts';
import type { EventSink, JobStore, ProjectRef, RunStore } from './ports.ts';
import { RUN_STATUSES } from './run-statuses.ts';
import { isAlertEvent } from './alert-rules.ts';

/** The histograms' upper bounds in seconds (each adds +Inf). */
export const SECONDS_BOUNDS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 21600, 86400] as const;
export const DELIVERY_OUTCOMES = ['succeeded', 'retrying', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];
const HISTOGRAMS = ['duration', 'wait', 'late'] as const;
type Histogram = (typeof HISTOGRAMS)[number];

/** Counter name → amount: runs_<status>, <histogram>_<bucket index>, <histogram>_sum_ms, deliveries_<outcome>. */
export type Counters = Record<string, number>;

/** Where the counters are kept, one set per project. */
export interface ServiceMetricsStore {
  add(ref: ProjectRef, counters: Counters): Promise<void>;
  all(): Promise<Array<{ ref: ProjectRef; counters: Counters }>>;
}

/** The index of the first bound a duration fits under (SECONDS_BOUNDS.length: only +Inf). */
export function boundIndex(ms: number): number {
  const index = SECONDS_BOUNDS.findIndex((bound) => ms <= bound * 1000);
  return index === -1 ? SECONDS_BOUNDS.length : index;
}

function observe(counters: Counters, histogram: Histogram, ms: number): void {
  const bucket = `${histogram}_${boundIndex(ms)}`;
  counters[bucket] = (counters[bucket] ?? 0) + 1;
  counters[`${histogram}_sum_ms`] = (counters[`${histogram}_sum_ms`] ?? 0) + Math.max(0, Math.round(ms));
}

/** What one event adds to its project's counters (nothing for an event that moves no figure). */
export function countersOf(event: ServiceEvent): Counters {
  const run = event.data.run;
  const counters: Counters = {};
  if (!run) return counters;
  if (event.type === 'run.started' && run.started_at) {
    observe(counters, 'wait', Date.parse(run.started_at) - Date.parse(run.created_at));
    if (run.scheduled_for) observe(counters, 'late', Date.parse(run.started_at) - Date.parse(run.scheduled_for));
  }
  if (event.type === 'run.succeeded' || event.type === 'run.failed' || event.type === 'run.cancelled') {
    counters[`runs_${run.status}`] = 1;
    if (run.duration_ms !== null && run.status !== 'cancelled') observe(counters, 'duration', run.duration_ms);
  }
  return counters;
}

/** One figure as it happens, for a store of time series (CloudWatch's embedded metric format in AWS). */
export interface Figure {
  name: string;
  unit: 'Count' | 'Milliseconds';
  value: number;
}

/** Where figures go as they happen, labelled by project, besides the kept counters. */
export interface FigureSink {
  record(ref: ProjectRef, figures: Figure[]): void;
}

/** The figures' names, as an operator finds them on the dashboard (and an alarm reads them). */
export const FIGURES = {
  runs: { succeeded: 'RunsSucceeded', failed: 'RunsFailed', cancelled: 'RunsCancelled' },
  duration: 'RunDuration',
  wait: 'QueueWait',
  late: 'ScheduleLateness',
  tasks: { running: 'TasksRunning', pending: 'TasksPending' },
  deliveries: {
    succeeded: 'WebhookDeliveriesSucceeded',
    retrying: 'WebhookDeliveriesRetrying',
    failed: 'WebhookDeliveriesFailed',
  },
  alerts: {
    'job.failing': 'JobsFailing',
    'job.recovered': 'JobsRecovered',
    'schedule.missed': 'SchedulesMissed',
    'run.slow': 'RunsSlow',
    'job.paused': 'JobsPaused',
  },
} as const;

const count = (name: string): Figure => ({ name, unit: 'Count', value: 1 });
const millis = (name: string, ms: number): Figure => ({
  name,
  unit: 'Milliseconds',
  value: Math.max(0, Math.round(ms)),
});

/** What one event adds to the time series: the same figures as the counters, and each alert told. */
export function figuresOf(event: ServiceEvent): Figure[] {
  if (isAlertEvent(event.type)) return [count(FIGURES.alerts[event.type])];
  const run = event.data.run;
  if (!run) return [];
  const figures: Figure[] = [];
  if (event.type === 'run.started' && run.started_at) {
    figures.push(millis(FIGURES.wait, Date.parse(run.started_at) - Date.parse(run.created_at)));
    if (run.scheduled_for)
      figures.push(millis(FIGURES.late, Date.parse(run.started_at) - Date.parse(run.scheduled_for)));
  }
  if (event.type === 'run.succeeded' || event.type === 'run.failed' || event.type === 'run.cancelled') {
    figures.push(count(FIGURES.runs[run.status as 'succeeded' | 'failed' | 'cancelled']));
    if (run.duration_ms !== null && run.status !== 'cancelled') figures.push(millis(FIGURES.duration, run.duration_ms));
  }
  return figures;
}

/**
 * The EventSink that keeps the counters. It never refuses an event (a lost increment is a figure a little low,
 * never a run lost), so other sinks never see an event twice for it.
 */
export class MetricsRecorder implements EventSink {
  readonly #store: ServiceMetricsStore;
  readonly #warn: (message: string, error: Error) => void;
  readonly #figures: FigureSink | null;

  constructor(
    store: ServiceMetricsStore,
    warn: (message: string, error: Error) => void = () => undefined,
    figures: FigureSink | null = null,
  ) {
    this.#store = store;
    this.#warn = warn;
    this.#figures = figures;
  }

  async publish(events: ServiceEvent[]): Promise<{ failed: string[] }> {
    const byProject = new Map<string, { ref: ProjectRef; counters: Counters }>();
    for (const event of events) {
      const figures = this.#figures ? figuresOf(event) : [];
      if (figures.length > 0) this.#figures?.record(event.data, figures);
      const added = countersOf(event);
      if (Object.keys(added).length === 0) continue;
      const ref = { workspace_id: event.data.workspace_id, project_id: event.data.project_id };
      const entry = byProject.get(`${ref.workspace_id}/${ref.project_id}`) ?? { ref, counters: {} };
      for (const [name, by] of Object.entries(added)) entry.counters[name] = (entry.counters[name] ?? 0) + by;
      byProject.set(`${ref.workspace_id}/${ref.project_id}`, entry);
    }
    for (const { ref, counters } of byProject.values())
      await this.#store.add(ref, counters).catch((error: Error) => this.#warn('could not count events', error));
    return { failed: [] };
  }

  /** A webhook delivery attempt's outcome. */
  async delivery(ref: ProjectRef, outcome: DeliveryOutcome): Promise<void> {
    this.#figures?.record(ref, [count(FIGURES.deliveries[outcome])]);
    await this.#store
      .add(ref, { [`deliveries_${outcome}`]: 1 })
      .catch((error: Error) => this.#warn('could not count a delivery', error));
  }
}

/** What a project has running and waiting now. */
export interface ProjectTasks {
  running: number;
  pending: number;
}

/** Runs by status of one job, for `?by=job`. */
export interface JobRuns {
  ref: ProjectRef;
  job_id: string;
  job_name: string;
  counts: Record<string, number>;
}

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${label(value)}"`)
    .join(',')}}`;

const HISTOGRAM_FAMILIES: Record<Histogram, { name: string; help: string }> = {
  duration: { name: 'jobs_run_duration_seconds', help: 'How long runs that succeeded or failed took.' },
  wait: { name: 'jobs_run_queue_wait_seconds', help: 'How long runs waited from their trigger to their start.' },
  late: { name: 'jobs_schedule_lateness_seconds', help: 'How long after their scheduled time scheduled runs started.' },
};

/** The OpenMetrics text of every project's figures (and, given, each job's runs by status). */
export function openMetricsText(
  projects: Array<{ ref: ProjectRef; counters: Counters; tasks: ProjectTasks }>,
  jobs: JobRuns[] | null = null,
): string {
  const out: string[] = [];
  const where = (ref: ProjectRef) => ({ workspace: ref.workspace_id, project: ref.project_id });
  out.push('# TYPE jobs_runs counter', '# HELP jobs_runs Runs that finished, by how they ended.');
  for (const { ref, counters } of projects)
    for (const status of RUN_STATUSES.filter((s) => s !== 'pending' && s !== 'running'))
      out.push(`jobs_runs_total${labels({ ...where(ref), status })} ${counters[`runs_${status}`] ?? 0}`);
  if (jobs) {
    out.push('# TYPE jobs_job_runs counter', "# HELP jobs_job_runs Each job's runs that finished, by how they ended.");
    for (const job of jobs)
      for (const status of ['succeeded', 'failed', 'cancelled'])
        out.push(
          `jobs_job_runs_total${labels({ ...where(job.ref), job: job.job_name, job_id: job.job_id, status })} ${job.counts[status] ?? 0}`,
        );
  }
  for (const histogram of HISTOGRAMS) {
    const { name, help } = HISTOGRAM_FAMILIES[histogram];
    out.push(`# TYPE ${name} histogram`, `# HELP ${name} ${help}`, `# UNIT ${name} seconds`);
    for (const { ref, counters } of projects) {
      let cumulative = 0;
      SECONDS_BOUNDS.forEach((bound, i) => {
        cumulative += counters[`${histogram}_${i}`] ?? 0;
        out.push(`${name}_bucket${labels({ ...where(ref), le: String(bound) })} ${cumulative}`);
      });
      cumulative += counters[`${histogram}_${SECONDS_BOUNDS.length}`] ?? 0;
      out.push(`${name}_bucket${labels({ ...where(ref), le: '+Inf' })} ${cumulative}`);
      out.push(`${name}_sum${labels(where(ref))} ${(counters[`${histogram}_sum_ms`] ?? 0) / 1000}`);
      out.push(`${name}_count${labels(where(ref))} ${cumulative}`);
    }
  }
  for (const state of ['running', 'pending'] as const) {
    const name = `jobs_tasks_${state}`;
    out.push(
      `# TYPE ${name} gauge`,
      `# HELP ${name} Tasks ${state === 'running' ? 'running' : 'waiting to start'} now.`,
    );
    for (const { ref, tasks } of projects) out.push(`${name}${labels(where(ref))} ${tasks[state]}`);
  }
  out.push(
    '# TYPE jobs_webhook_deliveries counter',
    '# HELP jobs_webhook_deliveries Webhook delivery attempts, by outcome.',
  );
  for (const { ref, counters } of projects)
    for (const outcome of DELIVERY_OUTCOMES)
      out.push(
        `jobs_webhook_deliveries_total${labels({ ...where(ref), outcome })} ${counters[`deliveries_${outcome}`] ?? 0}`,
      );
  out.push('# EOF');
  return `${out.join('\n')}\n`;
}

/** `GET /v1/metrics`: the kept counters of every project, its tasks now, and each job's runs when asked. */
export class ServiceMetrics {
  readonly #store: ServiceMetricsStore;
  readonly #runs: RunStore;
  readonly #jobs: JobStore;

  constructor(deps: { store: ServiceMetricsStore; runs: RunStore; jobs: JobStore }) {
    this.#store = deps.store;
    this.#runs = deps.runs;
    this.#jobs = deps.jobs;
  }

  async text(options: { byJob: boolean }): Promise<string> {
    const projects = new Map<string, { ref: ProjectRef; counters: Counters; tasks: ProjectTasks }>();
    const entry = (ref: ProjectRef) => {
      const name = `${ref.workspace_id}/${ref.project_id}`;
      const found = projects.get(name) ?? { ref, counters: {}, tasks: { running: 0, pending: 0 } };
      projects.set(name, found);
      return found;
    };
    for (const { ref, counters } of await this.#store.all()) entry(ref).counters = counters;
    for (const { ref, tasks } of await this.tasksNow()) entry(ref).tasks = tasks;
    const sorted = [...projects.values()].sort((a, b) =>
      `${a.ref.workspace_id}/${a.ref.project_id}`.localeCompare(`${b.ref.workspace_id}/${b.ref.project_id}`),
    );
    return openMetricsText(sorted, options.byJob ? await this.#jobRuns(sorted.map((p) => p.ref)) : null);
  }

  /** Each project's tasks running and waiting now, from the active runs only (a Query of the active set). */
  async tasksNow(): Promise<Array<{ ref: ProjectRef; tasks: ProjectTasks }>> {
    const projects = new Map<string, { ref: ProjectRef; tasks: ProjectTasks }>();
    let cursor: string | undefined;
    do {
      const page = await this.#runs.listActive({ limit: 100, cursor });
      for (const run of page.items) {
        const name = `${run.workspace_id}/${run.project_id}`;
        const ref = { workspace_id: run.workspace_id, project_id: run.project_id };
        const found = projects.get(name) ?? { ref, tasks: { running: 0, pending: 0 } };
        projects.set(name, found);
        found.tasks.running += run.tasks.running;
        found.tasks.pending += run.tasks.pending;
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return [...projects.values()];
  }

  /** The tasks now as figures (AWS: each minute, so a graph of them has a point a minute). */
  async recordTasks(sink: FigureSink): Promise<void> {
    for (const { ref, tasks } of await this.tasksNow())
      sink.record(ref, [
        { name: FIGURES.tasks.running, unit: 'Count', value: tasks.running },
        { name: FIGURES.tasks.pending, unit: 'Count', value: tasks.pending },
      ]);
  }

  async #jobRuns(refs: ProjectRef[]): Promise<JobRuns[]> {
    const jobs: JobRuns[] = [];
    for (const ref of refs) {
      let cursor: string | undefined;
      do {
        const page = await this.#jobs.list(ref, { tags: [] }, { limit: 100, cursor });
        for (const job of page.items)
          jobs.push({
            ref,
            job_id: job.id,
            job_name: job.name,
            counts: await this.#runs.counts({ ...ref, job_id: job.id }),
          });
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    }
    return jobs;
  }
}
