// What the local host's orchestrator asks of whatever runs a container on this machine (a host process, or a
// container engine): start it, stop it, find it again after a restart, and remove what a killed service left.
import type { Network } from '../../core/job-spec.ts';
import type { Run } from '../../core/run-model.ts';

export interface ContainerSpec {
  run_id: string;
  job_id: string;
  workspace_id: string;
  project_id: string;
  /** Which task of the run this container is (0-based), of how many. */
  task_index: number;
  task_count: number;
  /** Which attempt of the task this container is (1 for the first). */
  attempt: number;
  image: string;
  command: string[];
  env: Record<string, string>;
  /** Variables whose values are secrets, read as this attempt starts: kept in memory only, never written. */
  secrets?: Record<string, string>;
  /** Values its output is masked with before it is stored. */
  masks?: string[];
  /** The secret the image is pulled with, by name, and its login. */
  registry_credentials?: string | null;
  registry_login?: { username: string; password: string } | null;
  /** `none`: a container with no network at all (a host process cannot be given that). */
  network?: Network;
  cpu: number;
  memory_mb: number;
  timeout_seconds: number;
}

export interface ContainerExit {
  /** The process's exit code (128+N when killed by signal N); null when it never ran. */
  exit_code: number | null;
  timed_out: boolean;
  /** Why the container did not run or its end is unknown. */
  error?: string;
  task: string | null;
}

export type Recovered =
  | { state: 'alive'; exit: Promise<ContainerExit> }
  | { state: 'ended'; exit: ContainerExit }
  | { state: 'unknown'; reason: string };

/** What a restart finds of one task of a run. */
export type RecoveredTask = Recovered & { index: number };

/** One task's container (or process) among a run's: what the runner keys it by (its directory, its container). */
export function taskUnit(runId: string, index: number): string {
  return `${runId}-t${index}`;
}

/** The task index a unit of `runId` names; null for a unit of another run. */
export function taskIndexOfUnit(unit: string, runId: string): number | null {
  const prefix = `${runId}-t`;
  return unit.startsWith(prefix) && /^\d+$/.test(unit.slice(prefix.length)) ? Number(unit.slice(prefix.length)) : null;
}

export interface ContainerRunner {
  readonly kind: 'podman' | 'docker' | 'process';
  /** Starts the container, calls `started` once it really runs, and resolves when it stops. */
  run(spec: ContainerSpec, started: (task: string) => Promise<void>): Promise<ContainerExit>;
  /** Stops a run's containers (all its tasks'): force kills at once; graceful sends SIGTERM, then SIGKILL after the grace. */
  stop(runId: string, mode: 'graceful' | 'force', graceSeconds: number): Promise<void>;
  /** Kills every container this runner is watching and waits until they are gone (the service is stopping). */
  stopAll(): Promise<void>;
  /**
   * After a restart: each task of a run that had started, its container re-attached if it still lives, or how it
   * ended while nobody watched. Tasks that never started are not listed.
   */
  recover(run: Run, masks?: readonly string[]): Promise<RecoveredTask[]>;
  /** After recovery: removes whatever of runs no longer active a killed service left behind (containers). */
  removeLeftovers(activeRunIds: Set<string>): Promise<string[]>;
}
