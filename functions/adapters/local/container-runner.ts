// What the local host's orchestrator asks of whatever runs a container on this machine (a host process, or a
// container engine): start it, stop it, find it again after a restart, and remove what a killed service left.
import type { Run } from '../../core/run-model.ts';

export interface ContainerSpec {
  run_id: string;
  job_id: string;
  workspace_id: string;
  project_id: string;
  /** Which attempt of the run this container is (1 for the first). */
  attempt: number;
  image: string;
  command: string[];
  env: Record<string, string>;
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

export type Recovered = { state: 'alive'; exit: Promise<ContainerExit> } | { state: 'ended'; exit: ContainerExit } | { state: 'unknown'; reason: string };

export interface ContainerRunner {
  readonly kind: 'podman' | 'docker' | 'process';
  /** Starts the container, calls `started` once it really runs, and resolves when it stops. */
  run(spec: ContainerSpec, started: (task: string) => Promise<void>): Promise<ContainerExit>;
  /** Stops a run's container: force kills at once; graceful sends SIGTERM, then SIGKILL after the grace. */
  stop(runId: string, mode: 'graceful' | 'force', graceSeconds: number): Promise<void>;
  /** Kills every container this runner is watching and waits until they are gone (the service is stopping). */
  stopAll(): Promise<void>;
  /** After a restart: a run's container if it still lives (re-attached), or how it ended while nobody watched. */
  recover(run: Run): Promise<Recovered>;
  /** After recovery: removes whatever of runs no longer active a killed service left behind (containers). */
  removeLeftovers(activeRunIds: Set<string>): Promise<string[]>;
}
