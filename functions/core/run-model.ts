// What a run is: its states, the shape every host and store shares, and the pure rules about it.
import type { JobRef } from './jobs.ts';

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const satisfies readonly RunStatus[];
export const ACTIVE_STATUSES: readonly RunStatus[] = ['pending', 'running'];
export type Trigger = 'manual' | 'schedule' | 'rerun';
export const TRIGGERS = ['manual', 'schedule', 'rerun'] as const satisfies readonly Trigger[];
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
}

export interface Run {
  id: string;
  job_id: string;
  workspace_id: string;
  project_id: string;
  status: RunStatus;
  trigger: Trigger;
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
  usage: RunUsage | null;
  backend: RunBackend;
}

/** Runs of a job by status, `total` ever made (removed ones included), and `retained` kept now. */
export type RunCounts = Record<RunStatus | 'total' | 'retained', number>;

/** Every field of a run, in the contract's order (the store keeps exactly these; the response schema has them). */
export const RUN_FIELDS = [
  'id', 'job_id', 'workspace_id', 'project_id', 'status', 'trigger', 'attempt', 'scheduled_for', 'created_at',
  'started_at', 'finished_at', 'duration_ms', 'exit_code', 'error', 'overrides', 'image', 'command', 'usage', 'backend',
] as const satisfies ReadonlyArray<keyof Run>;

export function isActive(status: RunStatus): boolean {
  return status === 'pending' || status === 'running';
}

export function runRef(run: Pick<Run, 'workspace_id' | 'project_id' | 'job_id' | 'id'>): RunRef {
  return { workspace_id: run.workspace_id, project_id: run.project_id, job_id: run.job_id, run_id: run.id };
}

/** The exit code of a process killed by a signal, as a shell reports it. */
export function signalExitCode(signal: NodeJS.Signals | number): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return 128 + (typeof signal === 'number' ? signal : (numbers[signal] ?? 0));
}

/** What an override's value is shown as. */
export const REDACTED = '***';

/** A run as it is shown: its overrides' env names, each with the value REDACTED. */
export type PublicRun = Omit<Run, 'overrides'> & { overrides: { command: string[] | null; env: Record<string, typeof REDACTED> } };

/** Override env values are kept for reruns but never shown: a run repeats no env values. */
export function redactOverrides(overrides: RunOverrides): PublicRun['overrides'] {
  return { command: overrides.command, env: Object.fromEntries(Object.keys(overrides.env).map((name) => [name, REDACTED])) };
}

export function durationMs(startedAt: string | null, finishedAt: string): number | null {
  return startedAt ? Math.max(0, Date.parse(finishedAt) - Date.parse(startedAt)) : null;
}
