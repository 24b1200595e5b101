// Jobs: the specification of a container to run, scoped to a workspace and project.
import { scheduleSkippedEvent } from './events.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from './errors.ts';
import { newId } from './ids.ts';
import {
  DEFAULTS,
  fargatePairError,
  normalizeCommand,
  smallestCpuFor,
  smallestMemoryFor,
  parallelismError,
  parallelismFor,
  type Concurrency,
  type History,
  type RetryRule,
} from './job-spec.ts';
import type { JobListFilter, JobStore, Page, PageRequest, ProjectRef, ScheduleState } from './ports.ts';

export interface JobSpec {
  name: string;
  image: string;
  command: string[];
  env: Record<string, string>;
  schedule: string | null;
  timezone: string;
  suspended: boolean;
  tags: Record<string, string>;
  timeout_seconds: number;
  retries: number;
  /** First match wins: an exit code a rule names is retried (while `retries` allow) or fails the run at once. */
  retry_rules: RetryRule[];
  concurrency: Concurrency;
  cpu: number;
  memory_mb: number;
  /** Finished runs beyond either limit are removed with their logs and metric samples. */
  history: History;
  /** How many containers a run is split into (each with its JOBS_TASK_INDEX), and how many of them run at once. */
  tasks: number;
  parallelism: number;
}

export interface Job extends ProjectRef, JobSpec {
  id: string;
  created_at: string;
  updated_at: string;
}

type Optional = Exclude<keyof JobSpec, 'name' | 'image' | 'command'>;

/** The fields of a job's spec (what a create sets and a PATCH may change; the store writes exactly these). */
export const JOB_SPEC_FIELDS = [
  'name',
  'image',
  'command',
  'env',
  'schedule',
  'timezone',
  'suspended',
  'tags',
  'timeout_seconds',
  'retries',
  'retry_rules',
  'concurrency',
  'cpu',
  'memory_mb',
  'history',
  'tasks',
  'parallelism',
] as const satisfies ReadonlyArray<keyof JobSpec>;

/** A create request after boundary validation: required fields present, the rest optional. */
export type JobCreate = Pick<JobSpec, 'name' | 'image'> & { command: string | string[] } & Partial<
    Pick<JobSpec, Exclude<Optional, 'history'>>
  > & {
    /** Either limit may be given alone; the other keeps its default. */
    history?: Partial<History> | undefined;
  };

/** A PATCH: an omitted field stays; `null` resets an optional field to its default (or removes the schedule). */
export type JobPatch = Partial<Pick<JobSpec, 'name' | 'image'>> & { command?: string | string[] } & {
  [K in Exclude<Optional, 'history'>]?: JobSpec[K] | null;
} & { history?: Partial<History> | null | undefined };

export type JobRef = ProjectRef & { job_id: string };

/** What follows a job's life elsewhere in the system (its schedule, its task definition, its runs). */
export interface JobHooks {
  created?(job: Job): Promise<void>;
  updated?(job: Job, previous: Job): Promise<void>;
  /** Before the job is removed: it still exists (its runs can still be settled against it). */
  deleting?(job: Job): Promise<void>;
  /** After the job is removed: nothing can start for it any more. */
  deleted?(job: Job): Promise<void>;
}

/**
 * Several sets of hooks as one, each called in the order given. A function stands for hooks built when first
 * needed: a caller that never changes a job never builds what follows its changes.
 */
export function combineHooks(...hooks: Array<JobHooks | (() => JobHooks)>): JobHooks {
  const resolve = () => hooks.map((h) => (typeof h === 'function' ? h() : h));
  return {
    async created(job) {
      for (const h of resolve()) await h.created?.(job);
    },
    async updated(job, previous) {
      for (const h of resolve()) await h.updated?.(job, previous);
    },
    async deleting(job) {
      for (const h of resolve()) await h.deleting?.(job);
    },
    async deleted(job) {
      for (const h of resolve()) await h.deleted?.(job);
    },
  };
}

const { history: _history, ...SCALAR_DEFAULTS } = DEFAULTS;
const OPTIONAL_DEFAULTS: Omit<Pick<JobSpec, Optional>, 'env' | 'tags' | 'retry_rules' | 'history' | 'parallelism'> = {
  schedule: null,
  ...SCALAR_DEFAULTS,
};

/** Builds a job with every field in the contract's order, filling defaults. */
export function buildJob(
  ref: ProjectRef,
  id: string,
  spec: JobCreate | JobSpec,
  createdAt: string,
  updatedAt: string,
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
    schedule: spec.schedule ?? OPTIONAL_DEFAULTS.schedule,
    timezone: spec.timezone ?? OPTIONAL_DEFAULTS.timezone,
    suspended: spec.suspended ?? OPTIONAL_DEFAULTS.suspended,
    tags: spec.tags ?? {},
    timeout_seconds: spec.timeout_seconds ?? OPTIONAL_DEFAULTS.timeout_seconds,
    retries: spec.retries ?? OPTIONAL_DEFAULTS.retries,
    retry_rules: spec.retry_rules ?? [],
    concurrency: spec.concurrency ?? OPTIONAL_DEFAULTS.concurrency,
    ...taskSize(spec.cpu, spec.memory_mb),
    history: { ...DEFAULTS.history, ...spec.history },
    tasks,
    parallelism: spec.parallelism ?? parallelismFor(tasks),
    created_at: createdAt,
    updated_at: updatedAt,
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
    merged[key] = key === 'history' && value !== null ? { ...job.history, ...(value as object) } : value;
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
  return buildJob(job, job.id, spec, job.created_at, updatedAt);
}

/** Rules that span fields, checked on every write (a PATCH of cpu alone can break the cpu/memory pair). */
export function crossFieldErrors(spec: Pick<JobSpec, 'cpu' | 'memory_mb' | 'tasks' | 'parallelism'>): FieldError[] {
  return [fargatePairError(spec.cpu, spec.memory_mb), parallelismError(spec.tasks, spec.parallelism)].filter(
    (e): e is FieldError => e !== null,
  );
}

const MAX_UPDATE_ATTEMPTS = 5;

export class JobService {
  readonly #store: JobStore;
  readonly #hooks: JobHooks;
  readonly #now: () => Date;

  constructor(store: JobStore, options: { hooks?: JobHooks; now?: () => Date } = {}) {
    this.#store = store;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
  }

  async create(ref: ProjectRef, input: JobCreate): Promise<Job> {
    const now = this.#now();
    const stamp = now.toISOString();
    const job = buildJob(ref, newId('job', now.getTime()), input, stamp, stamp);
    assertValid(crossFieldErrors(job));
    await this.#store.create(job);
    await this.#hooks.created?.(job);
    return job;
  }

  async get(ref: JobRef): Promise<Job> {
    const stored = await this.#store.get(ref, ref.job_id);
    if (!stored) throw new NotFoundError('job', ref.job_id);
    return stored.job;
  }

  list(ref: ProjectRef, filter: JobListFilter, page: PageRequest): Promise<Page<Job>> {
    return this.#store.list(ref, filter, page);
  }

  scheduleState(ref: JobRef): Promise<ScheduleState> {
    return this.#store.scheduleState(ref);
  }

  /** A skipped fire is told as schedule.skipped, written with the record. */
  recordScheduleEvent(ref: JobRef, event: 'fired' | 'skipped', scheduledFor: Date): Promise<void> {
    const told = event === 'skipped' ? scheduleSkippedEvent(ref, scheduledFor, new Date()) : undefined;
    return this.#store.recordScheduleEvent(ref, event, scheduledFor, told);
  }

  async patch(ref: JobRef, patch: JobPatch): Promise<Job> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.#store.get(ref, ref.job_id);
      if (!stored) throw new NotFoundError('job', ref.job_id);
      const next = applyPatch(stored.job, patch, this.#now().toISOString());
      assertValid(crossFieldErrors(next));
      if (await this.#store.update(next, stored.version, stored.job.name)) {
        await this.#hooks.updated?.(next, stored.job);
        return next;
      }
    }
    throw new ConflictError('the job was changed concurrently; retry the request');
  }

  async delete(ref: JobRef): Promise<Job> {
    const job = await this.get(ref);
    // Its runs stop first, then the job goes (so nothing new can start), then what is left of it is removed.
    await this.#hooks.deleting?.(job);
    if (!(await this.#store.delete(ref, job.id, job.name))) throw new NotFoundError('job', ref.job_id);
    await this.#hooks.deleted?.(job);
    return job;
  }
}

function assertValid(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
