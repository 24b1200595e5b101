// What a run is: its states, the shape every host and store shares, and the pure rules about it.
import type { JobRef } from './jobs.ts';
import { ACTIVE_STATUSES, isActive, RUN_STATUSES, type RunStatus } from './run-statuses.ts';

export { ACTIVE_STATUSES, isActive, RUN_STATUSES, type RunStatus };
export type Trigger = 'manual' | 'schedule' | 'rerun' | 'backfill' | 'dependency';
export const TRIGGERS = ['manual', 'schedule', 'rerun', 'backfill', 'dependency'] as const satisfies readonly Trigger[];
export type RunnerKind = 'ecs' | 'podman' | 'docker' | 'process';
export const RUNNER_KINDS = ['ecs', 'podman', 'docker', 'process'] as const satisfies readonly RunnerKind[];

export type RunRef = JobRef & { run_id: string };

export interface RunOverrides {
  command: string[] | null;
  env: Record<string, string>;
}

export interface RunUsage {
  cpu_seconds: number | null;
  peak_memory_bytes: number | null;
}

export interface RunBackend {
  runner: RunnerKind;
  /** The ECS task ARN, container id or process id, once known. */
  task: string | null;
  /** The state machine execution: its ARN in AWS, its name locally. */
  execution: string | null;
  /** The job's task_role at trigger time: assumed by its tasks in AWS; locally recorded only. */
  task_role: { arn: string; assumed: boolean } | null;
}

/** A run's tasks by status: every one of `count` is in exactly one status. */
export type TaskCounts = Record<RunStatus | 'count', number>;

/** All of a run's tasks pending: how a run starts. */
export function pendingTasks(count: number): TaskCounts {
  return { count, pending: count, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

/** One of a run's tasks: its own container (or process) with its own attempts, exit status and times. */
export interface RunTask {
  index: number;
  status: RunStatus;
  attempt: number;
  exit_code: number | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** The ECS task ARN, container id or process id of its latest attempt, once known. */
  task: string | null;
  /** What its last attempt set with a `::output::<JSON>` line (see run-output.ts); null when none. */
  output: unknown;
}

export const TASK_FIELDS = [
  'index',
  'status',
  'attempt',
  'exit_code',
  'started_at',
  'finished_at',
  'error',
  'task',
  'output',
] as const satisfies ReadonlyArray<keyof RunTask>;

/** A task no attempt has started yet: it has no record of its own. */
export function unstartedTask(index: number): RunTask {
  return {
    index,
    status: 'pending',
    attempt: 0,
    exit_code: null,
    started_at: null,
    finished_at: null,
    error: null,
    task: null,
    output: null,
  };
}

/**
 * A task as it is shown: once its run has settled, one still active is shown as its run ended it (cancelled with a
 * cancelled run, failed otherwise), as the run's counts already say, though its own record may not have caught up.
 */
export function shownTask(task: RunTask, run: Pick<Run, 'status' | 'finished_at'>): RunTask {
  if (isActive(run.status) || !isActive(task.status)) return task;
  return { ...task, status: endedWith(run.status), finished_at: task.finished_at ?? run.finished_at };
}

/** How a task still unfinished when its run settled with `status` ends: cancelled with a cancelled run, failed otherwise. */
export function endedWith(status: RunStatus): 'cancelled' | 'failed' {
  return status === 'cancelled' ? 'cancelled' : 'failed';
}

/**
 * The one task of a run of one, read off the run (which carries its fields; it has no record of its own): its
 * status is the one its run's task counts give it.
 */
export function singleTask(run: Run): RunTask {
  const status = RUN_STATUSES.find((s) => run.tasks[s] > 0) ?? run.status;
  return {
    index: 0,
    status,
    attempt: run.attempt,
    exit_code: run.exit_code,
    started_at: run.started_at,
    finished_at: isActive(status) ? null : run.finished_at,
    error: run.error,
    task: run.backend.task,
    output: run.output,
  };
}

export const TASK_INDEX_VARIABLE = 'JOBS_TASK_INDEX';
export const TASK_COUNT_VARIABLE = 'JOBS_TASK_COUNT';

/** What every container of a run finds in its environment besides the job's own: which run, task and attempt. */
export function taskVariables(
  runId: string,
  task: { index: number; count: number },
  attempt: number,
): Record<string, string> {
  return {
    JOBS_RUN_ID: runId,
    [TASK_INDEX_VARIABLE]: String(task.index),
    [TASK_COUNT_VARIABLE]: String(task.count),
    JOBS_ATTEMPT: String(attempt),
  };
}

/** What settling a run makes of its unfinished tasks' counts. */
export function settledTasks(tasks: TaskCounts, status: RunStatus): TaskCounts {
  const unfinished = tasks.pending + tasks.running;
  if (unfinished === 0 || isActive(status)) return tasks;
  const to = endedWith(status);
  return { ...tasks, pending: 0, running: 0, [to]: tasks[to] + unfinished };
}

export interface Run {
  id: string;
  job_id: string;
  /** The job's revision it was made from (null for a run made before jobs had revisions). */
  job_revision: number | null;
  workspace_id: string;
  project_id: string;
  status: RunStatus;
  trigger: Trigger;
  /** 0–100, the job's or its trigger's: higher starts first when limits make runs wait. */
  priority: number;
  attempt: number;
  scheduled_for: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  exit_code: number | null;
  error: string | null;
  overrides: RunOverrides;
  /** What this run really runs: the job's image and command at trigger time, overrides applied. */
  image: string;
  command: string[];
  /** The variables its containers take from secrets (names only). */
  secrets: string[];
  usage: RunUsage | null;
  backend: RunBackend;
  /** Its tasks by status; `count` is 1 unless the run is split into several. */
  tasks: TaskCounts;
  /** At most this many of its tasks run at once. */
  parallelism: number;
  /** The run whose end started it (trigger `dependency`, a run_after of its job); null otherwise. */
  caused_by: { job_id: string; run_id: string } | null;
  /** What it set with a `::output::<JSON>` line (a run of one task; each task has its own); null when none. */
  output: unknown;
}

/** Runs of a job by status, `total` ever made (removed ones included), and `retained` kept now. */
export type RunCounts = Record<RunStatus | 'total' | 'retained', number>;

/** Every field of a run, in the contract's order (the store keeps exactly these; the response schema has them). */
export const RUN_FIELDS = [
  'id',
  'job_id',
  'job_revision',
  'workspace_id',
  'project_id',
  'status',
  'trigger',
  'priority',
  'attempt',
  'scheduled_for',
  'created_at',
  'started_at',
  'finished_at',
  'duration_ms',
  'exit_code',
  'error',
  'overrides',
  'image',
  'command',
  'secrets',
  'usage',
  'backend',
  'tasks',
  'parallelism',
  'caused_by',
  'output',
] as const satisfies ReadonlyArray<keyof Run>;

/**
 * How long after a stop its process's exit status may still arrive: the default grace of a graceful cancel
 * (30 s), then the kill, and a few seconds for the backend to report it.
 */
export const EXIT_REPORT_MS = 40_000;

/**
 * A run stopped from outside (cancelled, timed out) settles at once; the exit status its process ends with
 * (143, 137) is filled in when it has ended. Until then, or until that can no longer be expected, it is not final.
 */
export function exitPending(
  run: Pick<Run, 'status' | 'exit_code' | 'started_at' | 'finished_at' | 'error' | 'tasks' | 'backend'>,
  now: number,
): boolean {
  if (isActive(run.status) || run.exit_code !== null || run.started_at === null || run.backend.task === null)
    return false;
  if (run.tasks.count !== 1) return false;
  const stopped = run.status === 'cancelled' || (run.status === 'failed' && /timed out/.test(run.error ?? ''));
  return stopped && run.finished_at !== null && now < Date.parse(run.finished_at) + EXIT_REPORT_MS;
}

/** Whether a run has reached what it will be: finished, with its exit status where one will be reported. */
export function isFinal(run: Parameters<typeof exitPending>[0], now: number): boolean {
  return !isActive(run.status) && !exitPending(run, now);
}

export function runRef(run: Pick<Run, 'workspace_id' | 'project_id' | 'job_id' | 'id'>): RunRef {
  return { workspace_id: run.workspace_id, project_id: run.project_id, job_id: run.job_id, run_id: run.id };
}

/** The exit code of a process killed by a signal, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals | number): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGABRT: 6,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGALRM: 14,
    SIGTERM: 15,
  };
  return 128 + (typeof signal === 'number' ? signal : (numbers[signal] ?? 0));
}

/** What an override's value is shown as. */
export const REDACTED = '***';

/** Where a waiting run stands: its place in its workspace's queue, why it waits, and since when. */
export interface RunQueue {
  position: number;
  reason: string;
  since: string;
}

/** A run as it is shown: its overrides' env names, each with the value REDACTED, and its place in the queue. */
export type PublicRun = Omit<Run, 'overrides'> & {
  overrides: { command: string[] | null; env: Record<string, typeof REDACTED> };
  /** While it waits to start; null otherwise. */
  queue: RunQueue | null;
};

/** Override env values are kept for reruns but never shown: a run repeats no env values. */
export function redactOverrides(overrides: RunOverrides): PublicRun['overrides'] {
  return {
    command: overrides.command,
    env: Object.fromEntries(Object.keys(overrides.env).map((name) => [name, REDACTED])),
  };
}

export function durationMs(startedAt: string | null, finishedAt: string): number | null {
  return startedAt ? Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) : null;
}
