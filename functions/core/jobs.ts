// Jobs: the specification of a container to run, scoped to a workspace and project.
import type { FieldError } from './errors.ts';
import {
  DEFAULTS,
  fargatePairError,
  normalizeCommand,
  smallestCpuFor,
  smallestMemoryFor,
  parallelismError,
  parallelismFor,
  type Concurrency,
  type Network,
  type History,
  type RetryRule,
  type RunAfter,
} from './job-spec.ts';
import type { ProjectRef } from './pages.ts';
import { secretsFieldErrors } from './secrets.ts';
import { mergeAlerts, ordered as orderedAlerts, type AlertRule, type JobAlerts } from './alert-rules.ts';

export interface JobSpec {
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  /** Variables whose values are the project's secrets: name → `secret` or `secret#key`, read as each attempt starts. */
  secrets: Record<string, string>;
  /** A secret holding `{"username", "password"}` for pulling the image from a private registry. */
  registry_credentials: string | null;
  /** The IAM role its code runs as in AWS: one of its workspace's `task_roles`. */
  task_role: string | null;
  network: Network;
  schedule: string | null;
  timezone: string;
  /** Each fire may start up to this many seconds after its time, so fleets of jobs do not all start at once. */
  schedule_jitter_seconds: number;
  suspended: boolean;
  tags: Record<string, string>;
  timeout_seconds: number;
  retries: number;
  /** First match wins: an exit code a rule names is retried (while `retries` allow) or fails the run at once. */
  retry_rules: RetryRule[];
  concurrency: Concurrency;
  /** 0–100: when limits make runs wait, higher starts first (a trigger may give its own). */
  priority: number;
  /** How long a run may wait to start before it fails saying why it waited. */
  queue_timeout_seconds: number;
  cpu: number;
  memory_mb: number;
  /** Finished runs beyond either limit are removed with their logs and metric samples. */
  history: History;
  /** How many containers a run is split into (each with its JOBS_TASK_INDEX), and how many of them run at once. */
  tasks: number;
  parallelism: number;
  /** What to be told of beyond its runs' events: failures in a row, a missed fire, a slow run; and when to pause. */
  alerts: JobAlerts;
  /** Run after these jobs of the project end so (see chains.ts). */
  run_after: RunAfter[];
}

export interface Job extends ProjectRef, JobSpec {
  id: string;
  created_at: string;
  updated_at: string;
  /** 1 at create, one more for each change of its spec (see revisions.ts). */
  revision: number;
}

type Optional = Exclude<keyof JobSpec, 'name' | 'image' | 'command'>;

/** The fields of a job's spec (what a create sets and a PATCH may change; the store writes exactly these). */
export const JOB_SPEC_FIELDS = [
  'name',
  'image',
  'command',
  'env',
  'secrets',
  'registry_credentials',
  'task_role',
  'network',
  'schedule',
  'timezone',
  'schedule_jitter_seconds',
  'suspended',
  'tags',
  'timeout_seconds',
  'retries',
  'retry_rules',
  'concurrency',
  'priority',
  'queue_timeout_seconds',
  'cpu',
  'memory_mb',
  'history',
  'tasks',
  'parallelism',
  'alerts',
  'run_after',
] as const satisfies ReadonlyArray<keyof JobSpec>;

/** A create request after boundary validation: required fields present, the rest optional. */
export type JobCreate = Pick<JobSpec, 'name' | 'image'> & { command: string | string[] } & Partial<
    Pick<JobSpec, Exclude<Optional, 'history'>>
  > & {
    /** Either limit may be given alone; the other keeps its default. */
    history?: Partial<History> | undefined;
  };

/** A PATCH of alerts merges (RFC 7396): a rule given is set, one set to null is turned off, one left out stays. */
export type AlertsPatch = Partial<Record<AlertRule, number | null>>;

/** A PATCH: an omitted field stays; `null` resets an optional field to its default (or removes the schedule). */
export type JobPatch = Partial<Pick<JobSpec, 'name' | 'image'>> & { command?: string | string[] } & {
  [K in Exclude<Optional, 'history' | 'alerts'>]?: JobSpec[K] | null;
} & { history?: Partial<History> | null | undefined; alerts?: AlertsPatch | null | undefined };

export type JobRef = ProjectRef & { job_id: string };

const { history: _history, ...SCALAR_DEFAULTS } = DEFAULTS;
const OPTIONAL_DEFAULTS: Omit<
  Pick<JobSpec, Optional>,
  'env' | 'secrets' | 'tags' | 'retry_rules' | 'history' | 'parallelism' | 'alerts' | 'run_after'
> = {
  schedule: null,
  registry_credentials: null,
  task_role: null,
  ...SCALAR_DEFAULTS,
};

/** Builds a job with every field in the contract's order, filling defaults. */
export function buildJob(
  ref: ProjectRef,
  id: string,
  spec: JobCreate | JobSpec,
  createdAt: string,
  updatedAt: string,
  revision = 1,
): Job {
  const tasks = spec.tasks ?? OPTIONAL_DEFAULTS.tasks;
  return {
    id,
    workspace_id: ref.workspace_id,
    project_id: ref.project_id,
    name: spec.name,
    image: spec.image,
    command: normalizeCommand(spec.command),
    env: spec.env ?? {},
    secrets: spec.secrets ?? {},
    registry_credentials: spec.registry_credentials ?? OPTIONAL_DEFAULTS.registry_credentials,
    task_role: spec.task_role ?? OPTIONAL_DEFAULTS.task_role,
    network: spec.network ?? OPTIONAL_DEFAULTS.network,
    schedule: spec.schedule ?? OPTIONAL_DEFAULTS.schedule,
    timezone: spec.timezone ?? OPTIONAL_DEFAULTS.timezone,
    schedule_jitter_seconds: spec.schedule_jitter_seconds ?? OPTIONAL_DEFAULTS.schedule_jitter_seconds,
    suspended: spec.suspended ?? OPTIONAL_DEFAULTS.suspended,
    tags: spec.tags ?? {},
    timeout_seconds: spec.timeout_seconds ?? OPTIONAL_DEFAULTS.timeout_seconds,
    retries: spec.retries ?? OPTIONAL_DEFAULTS.retries,
    retry_rules: spec.retry_rules ?? [],
    concurrency: spec.concurrency ?? OPTIONAL_DEFAULTS.concurrency,
    priority: spec.priority ?? OPTIONAL_DEFAULTS.priority,
    queue_timeout_seconds: spec.queue_timeout_seconds ?? OPTIONAL_DEFAULTS.queue_timeout_seconds,
    ...taskSize(spec.cpu, spec.memory_mb),
    history: { ...DEFAULTS.history, ...spec.history },
    tasks,
    parallelism: spec.parallelism ?? parallelismFor(tasks),
    alerts: orderedAlerts(spec.alerts ?? {}),
    run_after: spec.run_after ?? [],
    created_at: createdAt,
    updated_at: updatedAt,
    revision,
  };
}

/**
 * A task's cpu and memory: either given alone brings the smallest valid partner (as Fargate's console does), so a
 * client never meets an error about a value it did not send; neither given, the defaults.
 */
function taskSize(cpu: number | undefined, memoryMb: number | undefined): Pick<Job, 'cpu' | 'memory_mb'> {
  if (cpu !== undefined && memoryMb === undefined)
    return { cpu, memory_mb: smallestMemoryFor(cpu) ?? OPTIONAL_DEFAULTS.memory_mb };
  if (memoryMb !== undefined && cpu === undefined)
    return { cpu: smallestCpuFor(memoryMb) ?? OPTIONAL_DEFAULTS.cpu, memory_mb: memoryMb };
  return { cpu: cpu ?? OPTIONAL_DEFAULTS.cpu, memory_mb: memoryMb ?? OPTIONAL_DEFAULTS.memory_mb };
}

/** Applies a PATCH: omitted keys keep their value, `null` means "back to the default". */
export function applyPatch(job: Job, patch: JobPatch, updatedAt: string): Job {
  const merged: Record<string, unknown> = { ...job };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    // A limit given alone changes that limit only, as a JSON merge patch does.
    if (key === 'history' && value !== null) merged[key] = { ...job.history, ...(value as object) };
    else if (key === 'alerts' && value !== null) merged[key] = mergeAlerts(job.alerts, value as AlertsPatch);
    else merged[key] = value;
  }
  // A new cpu (or memory) alone keeps the job's other size where the pair stays valid, else brings its smallest
  // valid partner, as a create does.
  const cpuAlone = patch.cpu !== undefined && patch.memory_mb === undefined;
  const memoryAlone = patch.memory_mb !== undefined && patch.cpu === undefined;
  const cpu = (merged.cpu as number | null) ?? OPTIONAL_DEFAULTS.cpu;
  const memory = (merged.memory_mb as number | null) ?? OPTIONAL_DEFAULTS.memory_mb;
  if ((cpuAlone || memoryAlone) && fargatePairError(cpu, memory) !== null)
    merged[cpuAlone ? 'memory_mb' : 'cpu'] = undefined;
  // A new task count without a parallelism brings the parallelism that goes with it.
  if (patch.tasks !== undefined && patch.parallelism === undefined)
    merged.parallelism = parallelismFor(patch.tasks ?? OPTIONAL_DEFAULTS.tasks, job);
  // buildJob turns null into the default and normalizes the command.
  const spec = Object.fromEntries(
    Object.entries(merged).map(([k, v]) => [k, v === null ? undefined : v]),
  ) as unknown as JobSpec;
  return buildJob(job, job.id, spec, job.created_at, updatedAt, job.revision);
}

/**
 * Rules that span fields, checked on every write (a PATCH of cpu alone can break the cpu/memory pair, one of env
 * can meet a variable of secrets).
 */
export function crossFieldErrors(
  spec: Pick<JobSpec, 'cpu' | 'memory_mb' | 'tasks' | 'parallelism' | 'env' | 'secrets'>,
): FieldError[] {
  return [
    fargatePairError(spec.cpu, spec.memory_mb),
    parallelismError(spec.tasks, spec.parallelism),
    ...secretsFieldErrors(spec.secrets, spec.env),
  ].filter((e): e is FieldError => e !== null);
}
