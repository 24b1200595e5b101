// The job service: jobs created, read, listed, changed and deleted, in their project, with what follows each
// change elsewhere (their schedule, task definition and runs) told through hooks.
import { scheduleSkippedEvent } from './events.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from './errors.ts';
import { newId } from './ids.ts';
import {
  applyPatch,
  buildJob,
  crossFieldErrors,
  type Job,
  type JobCreate,
  type JobPatch,
  type JobRef,
} from './jobs.ts';
import type { JobListFilter, JobStore, Page, PageRequest, ProjectRef, ScheduleState } from './ports.ts';
import { parseReference, referencedNames } from './secrets.ts';
import type { Network } from './job-spec.ts';

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

const MAX_UPDATE_ATTEMPTS = 5;

export class JobService {
  readonly #store: JobStore;
  readonly #hooks: JobHooks;
  readonly #now: () => Date;
  readonly #missingSecrets: (ref: ProjectRef, names: string[]) => Promise<string[]>;
  readonly #taskRoles: (workspaceId: string) => Promise<string[]>;
  readonly #networkRefusal: (network: Network) => string | null;

  constructor(
    store: JobStore,
    options: {
      hooks?: JobHooks;
      now?: () => Date;
      /** The names among these that are not secrets of the project. */
      missingSecrets?: (ref: ProjectRef, names: string[]) => Promise<string[]>;
      /** The IAM roles a job of the workspace may name as its task_role. */
      taskRoles?: (workspaceId: string) => Promise<string[]>;
      /** Why this host cannot give a job that network (null: it can). */
      networkRefusal?: (network: Network) => string | null;
    } = {},
  ) {
    this.#store = store;
    this.#hooks = options.hooks ?? {};
    this.#now = options.now ?? (() => new Date());
    this.#missingSecrets = options.missingSecrets ?? (async () => []);
    this.#taskRoles = options.taskRoles ?? (async () => []);
    this.#networkRefusal = options.networkRefusal ?? (() => null);
  }

  #checkNetwork(job: Job, previous?: Job): void {
    if (job.network === previous?.network) return;
    const refusal = this.#networkRefusal(job.network);
    if (refusal) throw ValidationError.field('network', refusal);
  }

  /** A job may run as a role only its workspace's settings list (checked again whenever it changes). */
  async #checkTaskRole(job: Job, previous?: Job): Promise<void> {
    if (job.task_role === null || job.task_role === previous?.task_role) return;
    if (!(await this.#taskRoles(job.workspace_id)).includes(job.task_role))
      throw ValidationError.field('task_role', `${job.task_role} is not one of the workspace's task_roles`);
  }

  /** A job may name only secrets its project has (a secret deleted later fails the attempt that needs it). */
  async #checkSecrets(job: Job, previous?: Job): Promise<void> {
    const names = referencedNames(job);
    if (previous && names.join() === referencedNames(previous).join()) return;
    const missing = new Set(await this.#missingSecrets(job, names));
    if (missing.size === 0) return;
    const errors: FieldError[] = [];
    for (const [variable, text] of Object.entries(job.secrets)) {
      const { name } = parseReference(text);
      if (missing.has(name))
        errors.push({ field: `secrets.${variable}`, message: `'${name}' is not a secret of this project` });
    }
    if (job.registry_credentials && missing.has(job.registry_credentials))
      errors.push({
        field: 'registry_credentials',
        message: `'${job.registry_credentials}' is not a secret of this project`,
      });
    throw new ValidationError(errors);
  }

  async create(ref: ProjectRef, input: JobCreate): Promise<Job> {
    const now = this.#now();
    const stamp = now.toISOString();
    const job = buildJob(ref, newId('job', now.getTime()), input, stamp, stamp);
    assertValid(crossFieldErrors(job));
    this.#checkNetwork(job);
    await this.#checkSecrets(job);
    await this.#checkTaskRole(job);
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
      this.#checkNetwork(next, stored.job);
      await this.#checkSecrets(next, stored.job);
      await this.#checkTaskRole(next, stored.job);
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
