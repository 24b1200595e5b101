// The job service: jobs created, read, listed, changed and deleted, in their project, with what follows each
// change elsewhere (their schedule, task definition and runs) told through hooks.
import { scheduleSkippedEvent } from './events.ts';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError, type FieldError } from './errors.ts';
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
import { revisionsKept, sameSpec, specOf, type Actor, type JobRevision } from './revisions.ts';
import { auditEntry, changedFields, type AuditAction, type Requester } from './audit.ts';
import type { Network } from './job-spec.ts';
import { dependentsOf, refersTo, runAfterErrors } from './chains.ts';
import { SERVICE_ACTOR } from './alerts.ts';

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

  /** Every job of the project, in pages. */
  async #projectJobs(ref: ProjectRef): Promise<Job[]> {
    const jobs: Job[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.list(ref, { tags: [] }, { limit: 100, cursor });
      jobs.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return jobs;
  }

  /**
   * A job's run_after names jobs of its project, not itself, and makes no cycle; a job others name by its name
   * keeps that name (they would lose their edge).
   */
  async #checkRunAfter(job: Job, previous?: Job): Promise<void> {
    const renamed = previous !== undefined && previous.name !== job.name;
    const same = previous !== undefined && JSON.stringify(previous.run_after) === JSON.stringify(job.run_after);
    if (!renamed && (job.run_after.length === 0 || same)) return;
    const jobs = await this.#projectJobs(job);
    if (renamed) {
      const byName = jobs.filter((other) => other.run_after.some((entry) => entry.job === previous.name));
      if (byName.length > 0)
        throw new ConflictError(
          `jobs run after this job by its name (${byName.map((other) => other.name).join(', ')}): name it by its id there first`,
          'name',
        );
    }
    assertValid(runAfterErrors(job, jobs));
  }

  /** A deleted job's dependents lose their edge to it, each as a revision made by the service that says why. */
  async #unlinkDependents(job: Job): Promise<void> {
    const requester: Requester = {
      key_id: SERVICE_ACTOR.key_id,
      key_name: `the service: job '${job.name}' was deleted`,
      role: 'admin',
      request_id: `delete-${job.id}`,
      source_ip: null,
    };
    for (const dependent of dependentsOf(job, await this.#projectJobs(job))) {
      const unlink = (current: Job) => ({
        ...current,
        run_after: current.run_after.filter((entry) => !refersTo(entry, job)),
        updated_at: this.#now().toISOString(),
      });
      const ref = { workspace_id: dependent.workspace_id, project_id: dependent.project_id, job_id: dependent.id };
      await this.#change(ref, unlink, requester, 'job.update', {}).catch((error) => {
        if (!(error instanceof NotFoundError)) throw error;
      });
    }
  }

  async create(ref: ProjectRef, input: JobCreate, requester: Requester): Promise<Job> {
    const now = this.#now();
    const stamp = now.toISOString();
    const job = buildJob(ref, newId('job', now.getTime()), input, stamp, stamp);
    assertValid(crossFieldErrors(job));
    this.#checkNetwork(job);
    await this.#checkSecrets(job);
    await this.#checkTaskRole(job);
    await this.#checkRunAfter(job);
    const spec = specOf(job);
    await this.#store.create(
      job,
      { revision: 1, created_at: stamp, actor: actorOf(requester), spec },
      this.#audit(requester, 'job.create', job, changedFields(null, { ...spec }), now),
    );
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

  /**
   * Changes the job's spec. A change that changes nothing writes nothing (no revision); with `ifMatch`, a job
   * whose revision is no longer that one is left as it is (412), so a change made meanwhile is not overwritten.
   */
  async patch(ref: JobRef, patch: JobPatch, requester: Requester, options: { ifMatch?: number } = {}): Promise<Job> {
    const change = (job: Job) => applyPatch(job, patch, this.#now().toISOString());
    return this.#change(ref, change, requester, 'job.update', options);
  }

  /** Makes revision `revision`'s spec the job's again, as a new revision. */
  async revert(ref: JobRef, revision: number, requester: Requester, options: { ifMatch?: number } = {}): Promise<Job> {
    const spec = (await this.revision(ref, revision)).spec;
    const change = (job: Job) => buildJob(job, job.id, spec, job.created_at, this.#now().toISOString(), job.revision);
    return this.#change(ref, change, requester, 'job.revert', options);
  }

  async #change(
    ref: JobRef,
    change: (job: Job) => Job,
    requester: Requester,
    action: AuditAction,
    options: { ifMatch?: number },
  ): Promise<Job> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const stored = await this.#store.get(ref, ref.job_id);
      if (!stored) throw new NotFoundError('job', ref.job_id);
      if (options.ifMatch !== undefined && options.ifMatch !== stored.job.revision)
        throw new PreconditionFailedError(
          `the job is at revision ${stored.job.revision}, not ${options.ifMatch}: it changed since it was read; read it again`,
        );
      const changed = change(stored.job);
      if (sameSpec(changed, stored.job)) return stored.job;
      const next = { ...changed, revision: stored.job.revision + 1 };
      assertValid(crossFieldErrors(next));
      this.#checkNetwork(next, stored.job);
      await this.#checkSecrets(next, stored.job);
      await this.#checkTaskRole(next, stored.job);
      await this.#checkRunAfter(next, stored.job);
      const spec = specOf(next);
      const revision: JobRevision = {
        revision: next.revision,
        created_at: next.updated_at,
        actor: actorOf(requester),
        spec,
      };
      const changes = changedFields({ ...specOf(stored.job) }, { ...spec });
      const audit = this.#audit(requester, action, next, {
        ...changes,
        revision: [stored.job.revision, next.revision],
      });
      if (await this.#store.update(next, stored.version, stored.job.name, revision, revisionsKept(next), audit)) {
        await this.#hooks.updated?.(next, stored.job);
        return next;
      }
    }
    throw new ConflictError('the job was changed concurrently; retry the request');
  }

  #audit(
    requester: Requester,
    action: AuditAction,
    job: Job,
    changes: Record<string, [unknown, unknown]>,
    now = this.#now(),
  ) {
    const target = { project_id: job.project_id, job_id: job.id };
    return auditEntry(requester, action, job.workspace_id, target, changes, now);
  }

  /** Its kept revisions, newest first. */
  async revisions(ref: JobRef, page: PageRequest): Promise<Page<JobRevision>> {
    await this.get(ref);
    return this.#store.revisions(ref, page);
  }

  async revision(ref: JobRef, revision: number): Promise<JobRevision> {
    const found = await this.#store.revision(ref, revision);
    if (!found) {
      await this.get(ref); // a missing job is said as such
      throw new NotFoundError('revision', `${revision} of job ${ref.job_id}`);
    }
    return found;
  }

  async delete(ref: JobRef, requester?: Requester): Promise<Job> {
    const job = await this.get(ref);
    // Its runs stop first, then the job goes (so nothing new can start), then what is left of it is removed.
    await this.#hooks.deleting?.(job);
    const audit =
      requester &&
      this.#audit(requester, 'job.delete', job, { name: [job.name, null], revision: [job.revision, null] });
    if (!(await this.#store.delete(ref, job.id, job.name, audit))) throw new NotFoundError('job', ref.job_id);
    await this.#unlinkDependents(job);
    await this.#hooks.deleted?.(job);
    return job;
  }
}

/** Who a revision says made it: the key, by id and name. */
function actorOf(requester: Actor): Actor {
  return { key_id: requester.key_id, key_name: requester.key_name };
}

function assertValid(errors: FieldError[]): void {
  if (errors.length > 0) throw new ValidationError(errors);
}
