// Runs as the API sees them: trigger, read (with long polling), list, cancel, rerun, batch statuses, status.
import { auditEntry, changedFields, type Requester } from './audit.ts';
import { jobHealth, windowStart, type Health } from './health.ts';
import { scheduleFor } from './cron.ts';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from './errors.ts';
import { newId, scheduledRunId } from './ids.ts';
import { backfillFires } from './backfill.ts';
import { normalizeCommand, parallelismError, parallelismFor } from './job-spec.ts';
import type { Job, JobRef } from './jobs.ts';
import type { JobHooks, JobService } from './job-service.ts';
import type { RunLifecycle } from './run-lifecycle.ts';
import type { RunSignals } from './run-signals.ts';
import { sleep } from './sleep.ts';
import {
  isActive,
  isFinal,
  pendingTasks,
  redactOverrides,
  runRef,
  shownTask,
  singleTask,
  unstartedTask,
  type PublicRun,
  type Run,
  type RunCounts,
  type RunQueue,
  type RunRef,
  type RunStatus,
  type RunTask,
  type Trigger,
} from './run-model.ts';
import type {
  ExecutionRequest,
  Idempotency,
  LogSource,
  Page,
  PageRequest,
  ProjectRef,
  RunFilter,
  RunOrchestrator,
  RunQueues,
  RunStore,
  StopOptions,
} from './ports.ts';

export interface TriggerInput {
  command?: string | string[] | undefined;
  env?: Record<string, string> | undefined;
  tasks?: number | undefined;
  parallelism?: number | undefined;
  priority?: number | undefined;
}

/** The tasks a run of `job` is split into, and how many run at once, with a trigger's overrides applied. */
export function runTasks(
  job: Pick<Job, 'tasks' | 'parallelism'>,
  input: Pick<TriggerInput, 'tasks' | 'parallelism'>,
): { count: number; parallelism: number } {
  const count = input.tasks ?? job.tasks;
  const parallelism = input.parallelism ?? (input.tasks === undefined ? job.parallelism : parallelismFor(count, job));
  const error = parallelismError(count, parallelism);
  if (error) throw new ValidationError([error]);
  return { count, parallelism };
}

export interface BackfillRequest {
  start: Date;
  end: Date;
  max_runs: number;
  dry_run: boolean;
}

export interface BackfillResult {
  fires: Date[];
  runs: Run[];
}

export interface TriggerOptions {
  trigger?: Trigger;
  idempotencyKey?: string | undefined;
  /** For scheduled fires: the time the schedule fired for, and the run id derived from it. */
  scheduledFor?: Date;
  runId?: string;
  /** The job, when the caller has just read it (saves reading it again). */
  job?: Job;
  /** Who asked, through the API: the trigger's audit entry is written with the run. */
  requester?: Requester | undefined;
  /** The run whose end made this one (run_after). */
  causedBy?: { job_id: string; run_id: string };
}

export interface RunStatusSummary {
  id: string;
  status: RunStatus | 'not_found';
  exit_code: number | null;
  error: string | null;
  output: unknown;
}

export interface JobStatus {
  latest_run: Run | null;
  counts: RunCounts;
  /** How the job has done over the last days, from aggregates kept as its runs settle. */
  health: Health;
  schedule: {
    cron: string;
    timezone: string;
    /** Each fire may start up to this many seconds after its time. */
    jitter_seconds: number;
    suspended: boolean;
    /** Why the service suspended it (pause_after_failures); null otherwise. */
    suspended_reason: string | null;
    next_fire_at: string | null;
    /** The scheduled time of the last fire that made a run. */
    last_fired_at: string | null;
    /** The scheduled time of the last fire skipped (`forbid` with a run active). */
    last_skipped_at: string | null;
    /** The scheduled time of the last fire told missed (schedule.missed). */
    last_missed_at: string | null;
  } | null;
}

/** The grace a graceful cancel gives by default, and a replaced run gets. */
export const DEFAULT_GRACE_SECONDS = 30;

/** What stopping runs takes: settling them first (so nothing restarts them), then stopping their execution. */
export interface RunStopping {
  store: RunStore;
  orchestrator: RunOrchestrator;
  lifecycle: RunLifecycle;
}

/** Cancels every active run of a job (`replace` concurrency, a deleted job). */
export async function cancelActiveRuns(deps: RunStopping, ref: JobRef, options: StopOptions): Promise<void> {
  for (const runId of await deps.store.activeRunIds(ref)) {
    const settled = await deps.lifecycle.settle({ ...ref, run_id: runId }, 'cancelled', { error: options.cause });
    if (settled) await deps.orchestrator.stop(settled, options);
  }
}

/** A job's runs follow it: before it is removed its runs stop; after, they and their logs are removed. */
export function runsFollowTheirJob(deps: RunStopping & { logs: LogSource }): JobHooks {
  const deleted = { mode: 'force', graceSeconds: 0, cause: 'the job was deleted' } as const;
  return {
    deleting: (job) => cancelActiveRuns(deps, jobRef(job), deleted),
    deleted: async (job) => {
      const ref = jobRef(job);
      // A run triggered while the job was being deleted is still active: its container is stopped too.
      const stragglers = await deps.store.deleteAllForJob(ref);
      for (const run of stragglers) await deps.orchestrator.stop(run, deleted);
      await deps.logs.deleteForJob(ref);
    },
  };
}

export interface RunServiceDeps extends RunStopping {
  jobs: JobService;
  idempotency: Idempotency;
  now?: () => Date;
  /** How often a waiting read looks again. */
  pollMs?: number;
  /** Where runs change in this process, waiting reads are woken at once. */
  signals?: RunSignals;
  /** Where waiting runs stand (none: the host cannot tell, and no run shows a place). */
  queues?: RunQueues;
}

export class RunService {
  readonly #deps: RunServiceDeps;
  readonly #now: () => Date;
  readonly #pollMs: number;

  constructor(deps: RunServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#pollMs = deps.pollMs ?? 250;
  }

  /** Creates a pending run and starts its execution; with an idempotency key, a repeat returns the same run. */
  async trigger(ref: JobRef, input: TriggerInput, options: TriggerOptions = {}): Promise<Run> {
    if (!options.idempotencyKey) return this.#trigger(ref, input, options);
    const scope = `trigger/${ref.workspace_id}/${ref.project_id}/${ref.job_id}`;
    const runId = await this.#deps.idempotency.once(
      scope,
      options.idempotencyKey,
      input,
      async () => (await this.#trigger(ref, input, options)).id,
    );
    return this.get({ ...ref, run_id: runId });
  }

  async #trigger(ref: JobRef, input: TriggerInput, options: TriggerOptions): Promise<Run> {
    const { store, orchestrator, lifecycle } = this.#deps;
    const job = options.job ?? (await this.#deps.jobs.get(ref));
    // A variable read from a secret is the secret's: a trigger cannot put another value in its place.
    const overridden = Object.keys(input.env ?? {}).filter((name) => name in job.secrets);
    if (overridden.length > 0)
      throw new ValidationError(
        overridden.map((name) => ({ field: `env.${name}`, message: 'is set from a secret; a run cannot override it' })),
      );
    const tasks = runTasks(job, input);
    // A backfill's runs are asked for together: they neither replace nor refuse each other (admission paces them).
    const backfill = options.trigger === 'backfill';
    if (job.concurrency === 'replace' && !backfill) {
      await cancelActiveRuns(this.#deps, ref, {
        mode: 'graceful',
        graceSeconds: DEFAULT_GRACE_SECONDS,
        cause: 'replaced by a newer run',
      });
    }
    const now = this.#now();
    const id = options.runId ?? newId('run', now.getTime());
    const overrides = {
      command: input.command === undefined ? null : normalizeCommand(input.command),
      env: input.env ?? {},
    };
    const run: Run = {
      id,
      job_id: job.id,
      job_revision: job.revision,
      workspace_id: job.workspace_id,
      project_id: job.project_id,
      status: 'pending',
      trigger: options.trigger ?? 'manual',
      priority: input.priority ?? job.priority,
      attempt: 0,
      scheduled_for: options.scheduledFor?.toISOString() ?? null,
      created_at: now.toISOString(),
      started_at: null,
      finished_at: null,
      duration_ms: null,
      exit_code: null,
      error: null,
      overrides,
      image: job.image,
      command: overrides.command ?? job.command,
      secrets: Object.keys(job.secrets).sort(),
      usage: null,
      backend: {
        runner: orchestrator.runner,
        task: null,
        execution: orchestrator.executionId(id),
        task_role: job.task_role ? { arn: job.task_role, assumed: orchestrator.runner === 'ecs' } : null,
      },
      tasks: pendingTasks(tasks.count),
      parallelism: tasks.parallelism,
      caused_by: options.causedBy ?? null,
      output: null,
    };
    const audit =
      options.requester &&
      auditEntry(
        options.requester,
        options.trigger === 'rerun' ? 'run.rerun' : backfill ? 'run.backfill' : 'run.trigger',
        run.workspace_id,
        { project_id: run.project_id, job_id: run.job_id, run_id: run.id },
        changedFields(null, { status: run.status, priority: run.priority, job_revision: run.job_revision }),
        now,
      );
    await store.create(run, { forbidActive: job.concurrency === 'forbid' && !backfill, audit });
    const execution = executionRequest(job, run);
    try {
      await orchestrator.start(execution);
    } catch (error) {
      await lifecycle.settle(runRef(run), 'failed', {
        error: `the run could not be started: ${(error as Error).message}`,
      });
      throw new UnavailableError('the orchestrator', { cause: error });
    }
    return run;
  }

  /**
   * One run per fire of the job's schedule in [start, end), oldest first, each with the run id its fire would have
   * had (so a repeat of the request, or a fire the schedule made itself, makes no second run: the existing one is
   * answered). A dry run makes none and answers the fires only.
   */
  async backfill(ref: JobRef, request: BackfillRequest, requester?: Requester): Promise<BackfillResult> {
    const job = await this.#deps.jobs.get(ref);
    if (!job.schedule) throw new ConflictError('the job has no schedule to backfill', 'schedule');
    const fires = backfillFires(scheduleFor(job.schedule, job.timezone), request);
    if (request.dry_run) return { fires, runs: [] };
    const runs: Run[] = [];
    for (const fire of fires) {
      const runId = scheduledRunId(job.id, fire);
      try {
        runs.push(await this.#trigger(ref, {}, { trigger: 'backfill', scheduledFor: fire, runId, job, requester }));
      } catch (error) {
        if (!(error instanceof ConflictError && error.field === 'run_id')) throw error;
        runs.push(await this.get({ ...ref, run_id: runId }));
      }
    }
    return { fires, runs };
  }

  /** Runs as the API shows them: a pending one with its place in the queue, where it waits. */
  async shown(runs: Run[]): Promise<PublicRun[]> {
    const pending = runs.filter((run) => run.status === 'pending');
    const queues = pending.length > 0 && this.#deps.queues ? await this.#deps.queues.of(pending) : new Map();
    return runs.map((run) => publicRun(run, queues.get(run.id) ?? null));
  }

  /**
   * The run as it is now; with `waitSeconds`, held until it is final (finished, with the exit status of a stopped
   * process once it has ended) or the time is up. A read never writes.
   */
  async get(ref: RunRef, waitSeconds = 0): Promise<Run> {
    const deadline = Date.now() + waitSeconds * 1000;
    let run = await this.#require(ref);
    while (!isFinal(run, Date.now()) && Date.now() < deadline) {
      await this.#pause([ref.run_id], this.#pollMs, deadline);
      run = await this.#require(ref);
    }
    return run;
  }

  /** Waits for the next look: until a run changes (where we can hear it) or the interval passes. */
  #pause(runIds: string[], intervalMs: number, deadline: number): Promise<void> {
    const ms = Math.max(0, Math.min(intervalMs, deadline - Date.now()));
    return this.#deps.signals ? this.#deps.signals.wait(runIds, ms) : sleep(ms);
  }

  async #require(ref: RunRef): Promise<Run> {
    const run = await this.#deps.store.get(ref);
    if (!run) throw new NotFoundError('run', ref.run_id);
    return run;
  }

  async listForJob(ref: JobRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    await this.#deps.jobs.get(ref);
    return this.#deps.store.listForJob(ref, filter, page);
  }

  listForProject(ref: ProjectRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    return this.#deps.store.listForProject(ref, filter, page);
  }

  listForWorkspace(workspaceId: string, filter: RunFilter, page: PageRequest): Promise<Page<Run>> {
    return this.#deps.store.listForWorkspace(workspaceId, filter, page);
  }

  /** Cancels a pending or running run: settled as cancelled first, then its execution and container stopped. */
  async cancel(
    ref: RunRef,
    options: { mode: 'graceful' | 'force'; graceSeconds: number },
    requester?: Requester,
  ): Promise<Run> {
    const run = await this.#require(ref);
    if (!isActive(run.status)) throw new ConflictError(`run ${run.id} is already ${run.status}`);
    // The exit status of its process is filled in once it has ended (143 after SIGTERM, 137 after SIGKILL).
    const audit =
      requester &&
      ((read: Run) =>
        auditEntry(
          requester,
          'run.cancel',
          read.workspace_id,
          { project_id: read.project_id, job_id: read.job_id, run_id: read.id },
          { status: [read.status, 'cancelled'], mode: [null, options.mode] },
          this.#now(),
        ));
    const settled = await this.#deps.lifecycle.settle(ref, 'cancelled', {
      error: `cancelled (${options.mode})`,
      ...(audit ? { audit } : {}),
    });
    if (!settled) throw new ConflictError(`run ${run.id} is already ${(await this.#require(ref)).status}`);
    await this.#deps.orchestrator.stop(settled, { ...options, cause: 'cancelled by request' });
    return settled;
  }

  /** A new run of the job with the same overrides, tasks and parallelism as an earlier one. */
  async rerun(ref: RunRef, requester?: Requester): Promise<Run> {
    const source = await this.#require(ref);
    const { command, env } = source.overrides;
    return this.#trigger(
      ref,
      {
        command: command ?? undefined,
        env,
        tasks: source.tasks.count,
        parallelism: source.parallelism,
        priority: source.priority,
      },
      { trigger: 'rerun', requester },
    );
  }

  /** A page of a run's tasks by index; those no attempt has started yet are listed as pending. */
  async tasks(ref: RunRef, page: PageRequest): Promise<Page<RunTask>> {
    const run = await this.#require(ref);
    const after = page.cursor === undefined ? -1 : taskCursorIndex(page.cursor, run.tasks.count);
    const from = after + 1;
    const to = Math.min(run.tasks.count, from + page.limit) - 1;
    // A run of one task keeps no record of it: the run carries its fields.
    const records = run.tasks.count === 1 ? [singleTask(run)] : await this.#deps.store.tasks(ref, from, to);
    const stored = new Map(records.map((task) => [task.index, task]));
    const items: RunTask[] = [];
    for (let index = from; index <= to; index++) items.push(shownTask(stored.get(index) ?? unstartedTask(index), run));
    return { items, next_cursor: to < run.tasks.count - 1 ? encodeTaskCursor(to) : null };
  }

  async statuses(
    ref: ProjectRef,
    runIds: string[],
    options: { waitSeconds: number; pollSeconds: number },
  ): Promise<Record<string, RunStatusSummary>> {
    const deadline = Date.now() + options.waitSeconds * 1000;
    const ids = [...new Set(runIds)];
    const read = () => Promise.all(ids.map((id) => this.#deps.store.findInProject(ref, id)));
    let runs = await read();
    while (runs.some((run) => run && !isFinal(run, Date.now())) && Date.now() < deadline) {
      const active = runs.filter((run): run is Run => run !== null && !isFinal(run, Date.now())).map((run) => run.id);
      await this.#pause(active, options.pollSeconds * 1000, deadline);
      runs = await read();
    }
    return Object.fromEntries(
      ids.map((id, i) => {
        const run = runs[i];
        const summary: RunStatusSummary = run
          ? { id, status: run.status, exit_code: run.exit_code, error: run.error, output: run.output }
          : { id, status: 'not_found', exit_code: null, error: null, output: null };
        return [id, summary];
      }),
    );
  }

  async status(ref: JobRef): Promise<JobStatus> {
    const job = await this.#deps.jobs.get(ref);
    const now = this.#now();
    const [latest, counts, state, aggregates] = await Promise.all([
      this.#deps.store.listForJob(ref, {}, { limit: 1 }),
      this.#deps.store.counts(ref),
      this.#deps.jobs.scheduleState(ref),
      this.#deps.store.health(ref, windowStart(now)),
    ]);
    const schedule = job.schedule
      ? {
          cron: job.schedule,
          timezone: job.timezone,
          jitter_seconds: job.schedule_jitter_seconds,
          suspended: job.suspended,
          suspended_reason: job.suspended ? state.suspended_reason : null,
          next_fire_at: job.suspended
            ? null
            : (scheduleFor(job.schedule, job.timezone).next(this.#now())?.toISOString() ?? null),
          last_fired_at: state.last_fired_at,
          last_skipped_at: state.last_skipped_at,
          last_missed_at: state.last_missed_at,
        }
      : null;
    const health = jobHealth(aggregates.days, aggregates.outcomes, now);
    return { latest_run: latest.items[0] ?? null, counts, schedule, health };
  }
}

/** What a run's execution is given: its job's settings as they are now, the run's own overrides over them. */
export function executionRequest(job: Job, run: Run): ExecutionRequest {
  return {
    run: runRef(run),
    timeout_seconds: job.timeout_seconds,
    retries: job.retries,
    retry_rules: job.retry_rules,
    tasks: { count: run.tasks.count, parallelism: run.parallelism },
    priority: run.priority,
    created_at: run.created_at,
    queue_timeout_seconds: job.queue_timeout_seconds,
    container: {
      image: run.image,
      command: run.command,
      env: { ...job.env, ...run.overrides.env },
      secrets: job.secrets,
      registry_credentials: job.registry_credentials,
      network: job.network,
      cpu: job.cpu,
      memory_mb: job.memory_mb,
    },
  };
}

export function jobRef(job: Pick<Job, 'workspace_id' | 'project_id' | 'id'>): JobRef {
  return { workspace_id: job.workspace_id, project_id: job.project_id, job_id: job.id };
}

/** A run as the API shows it: override env values are never repeated; a waiting run says where it stands. */
export function publicRun(run: Run, queue: RunQueue | null = null): PublicRun {
  return { ...run, overrides: redactOverrides(run.overrides), queue };
}

/** A task list's cursor: the index of the last task the previous page listed. */
function encodeTaskCursor(index: number): string {
  return Buffer.from(JSON.stringify({ after: index })).toString('base64url');
}

function taskCursorIndex(cursor: string, count: number): number {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'number' && Number.isInteger(after) && after >= 0 && after < count) return after;
  } catch {
    // falls through to the error
  }
  throw new ValidationError([{ field: 'cursor', message: "is not a cursor of this run's task list" }]);
}
