// The ports: what the domain needs from the outside world. Adapters implement them, one per engine:
// functions/adapters/dynamodb/* (the table, in AWS and on DynamoDB Local alike), functions/adapters/aws/* (the other
// AWS services), functions/adapters/local/* (the embedded engines of local mode).
import type { ServiceEvent } from './events.ts';
import type { Page, PageRequest, ProjectRef } from './pages.ts';
import type { StoredWebhook, Webhook, WebhookRef } from './webhooks.ts';
import type { Delivery, DeliveryRef, DeliveryStatus, DueDelivery, StoredDelivery } from './deliveries.ts';

export type { Page, PageRequest, ProjectRef };
import type { Job, JobRef } from './jobs.ts';
import type { ApiKey, StoredKey } from './keys.ts';
import type { JobRevision } from './revisions.ts';
import type { AuditEntry, AuditFilter } from './audit.ts';
import type { DayStats, JobOutcomes } from './health.ts';
import type {
  Run,
  RunCounts,
  RunRef,
  RunStatus,
  RunTask,
  RunUsage,
  RunnerKind,
  RunQueue,
  Trigger,
} from './run-model.ts';
import type { Network, RetryRule } from './job-spec.ts';
import type { SecretRef, StoredSecret } from './secrets.ts';
import type { Limits, ProjectSettings, WorkspaceSettings } from './settings.ts';
import type { HeldTask, WaitingTask } from './admission.ts';

export interface JobListFilter {
  /** All of these tags must match. */
  tags: ReadonlyArray<readonly [key: string, value: string]>;
  scheduled?: boolean | undefined;
}

/** A job as stored, with the version that guards concurrent updates. */
export interface StoredJob {
  job: Job;
  /** What a conditional update expects: the job's revision. */
  version: number;
}

export interface JobStore {
  /** Throws ConflictError when the name is taken in the project. Its first revision is written with it. */
  create(job: Job, revision?: JobRevision, audit?: AuditEntry): Promise<void>;
  get(ref: ProjectRef, jobId: string): Promise<StoredJob | null>;
  list(ref: ProjectRef, filter: JobListFilter, page: PageRequest): Promise<Page<Job>>;
  /**
   * Replaces the job if its version is still `expectedVersion`; returns false when another writer got there
   * first. Throws ConflictError when a rename hits a taken name. Its new revision is written in the same
   * transaction, and the one `keep` before it is removed.
   */
  update(
    job: Job,
    expectedVersion: number,
    previousName: string,
    revision: JobRevision,
    keep: number,
    audit?: AuditEntry,
  ): Promise<boolean>;
  /** The job's kept revisions, newest first. */
  revisions(ref: JobRef, page: PageRequest): Promise<Page<JobRevision>>;
  revision(ref: JobRef, revision: number): Promise<JobRevision | null>;
  /** Removes the job and its name; returns false if it was already gone. */
  delete(ref: ProjectRef, jobId: string, name: string, audit?: AuditEntry): Promise<boolean>;
  /** Every job with a schedule, in every workspace (the local scheduler loads them at start). */
  listScheduled(page: PageRequest): Promise<Page<Job>>;
  /**
   * Records that the job's schedule fired, or skipped a fire, for the given scheduled time; an `outboxEvent` (a
   * skipped fire's schedule.skipped) is written in the same transaction.
   */
  recordScheduleEvent(
    ref: JobRef,
    event: 'fired' | 'skipped',
    scheduledFor: Date,
    outboxEvent?: ServiceEvent,
  ): Promise<void>;
  scheduleState(ref: JobRef): Promise<ScheduleState>;
  /**
   * Tells that the fire of `scheduledFor` was missed: `event` is written with the mark, and only while no later
   * (or the same) miss was told, so each miss is told once. False when it was.
   */
  recordMissedFire(ref: JobRef, scheduledFor: Date, event: ServiceEvent): Promise<boolean>;
}

export interface ScheduleState {
  last_fired_at: string | null;
  last_skipped_at: string | null;
  /** Why the schedule is suspended, when the service suspended it (pause_after_failures). */
  suspended_reason: string | null;
  /** The last fire told missed (schedule.missed). */
  last_missed_at: string | null;
}

/** Where a job's schedule lives: EventBridge Scheduler in AWS, the in-process scheduler locally. */
export interface ScheduleStore {
  /** Makes the job's schedule what its spec says: created, changed, paused, or removed when it has none. */
  sync(job: Job): Promise<void>;
  remove(job: JobRef): Promise<void>;
}

/**
 * Every store write that makes a change through the API takes the change's audit entry (`audit`) and writes it in
 * the change's own transaction.
 */
export interface AuditLog {
  /** A workspace's entries (null: the service's own, API keys), newest first. */
  list(workspaceId: string | null, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntry>>;
}

export interface KeyStore {
  create(key: StoredKey, audit?: AuditEntry): Promise<void>;
  /** The key whose secret hashes to `hash`, or null (unknown or revoked). */
  findByHash(hash: string): Promise<ApiKey | null>;
  list(page: PageRequest): Promise<Page<ApiKey>>;
  /** Returns false if there was no such key. */
  revoke(keyId: string, audit?: AuditEntry): Promise<boolean>;
}

export interface RunFilter {
  status?: RunStatus | undefined;
  job_id?: string | undefined;
  trigger?: Trigger | undefined;
  project_id?: string | undefined;
}

export interface RunStore {
  /**
   * Writes a new pending run and counts it on its job, in one transaction. With `forbidActive` the write fails
   * with ConflictError while the job has an active run; NotFoundError when the job is gone.
   */
  create(run: Run, options: { forbidActive: boolean; audit?: AuditEntry | undefined }): Promise<void>;
  get(ref: RunRef): Promise<Run | null>;
  /** For backend events that name only the job and the run (an ECS task's family and startedBy). */
  findByJob(jobId: string, runId: string): Promise<Run | null>;
  /** A run of a project found by its id alone. */
  findInProject(ref: ProjectRef, runId: string): Promise<Run | null>;
  listForJob(ref: JobRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>>;
  listForProject(ref: ProjectRef, filter: RunFilter, page: PageRequest): Promise<Page<Run>>;
  listForWorkspace(workspaceId: string, filter: RunFilter, page: PageRequest): Promise<Page<Run>>;
  /** Runs that are pending or running, in every workspace (recovery and reconciliation). */
  listActive(page: PageRequest): Promise<Page<Run>>;
  counts(ref: JobRef): Promise<RunCounts>;
  /** The job's aggregates of settled runs from `fromDay` (YYYY-MM-DD) on, and its outcomes (see health.ts). */
  health(ref: JobRef, fromDay: string): Promise<{ days: DayStats[]; outcomes: JobOutcomes }>;
  /** Ids of the job's pending and running runs (kept on the job item). */
  activeRunIds(ref: JobRef): Promise<string[]>;
  /**
   * Applies `changes` only while the run is still in status `from` (so a finished run never changes), and
   * moves the job's counters in the same transaction when the status changes. False if the run was not in `from`.
   * An `event` is written in that same transaction: the change and its event exist together or not at all.
   */
  transition(
    run: Run,
    from: RunStatus,
    changes: Partial<Run>,
    event?: ServiceEvent,
    audit?: AuditEntry,
    outcome?: OutcomeWrite,
  ): Promise<boolean>;
  /** The job a settle decides its alerts from, with its failures in a row; null when the job is gone. */
  alertState(ref: JobRef): Promise<{ job: Job; consecutive_failures: number } | null>;
  /** Tells that a running run is slow: `event` is written with the run's mark, once a run. False when it was told. */
  recordSlow(run: Run, event: ServiceEvent): Promise<boolean>;
  /**
   * Fills in the exit status of a run that finished without one (cancelled, timed out) once its container has
   * ended, and only while `task` is still the run's task. False when there was nothing to fill in.
   */
  recordExitCode(ref: RunRef, task: string, exitCode: number): Promise<boolean>;
  /** Deletes every run of a job; returns those that were still pending or running. */
  deleteAllForJob(ref: JobRef): Promise<Run[]>;
  /**
   * One task's change and what it moves on its run, in one transaction, only while the run is still in the status
   * it was read in and the task is as it was read (its status and attempt; null: it has no record yet). The run's
   * `tasks` counts move by `counts` (added), its `attempt` only upwards. A run of one task keeps no task record:
   * the run carries its task's fields. False when the run or the task had changed.
   */
  transitionTask(change: TaskTransition): Promise<boolean>;
  /** The records of a run's tasks with indexes from..to (those no attempt has started have none), by index. */
  tasks(ref: RunRef, from: number, to: number): Promise<RunTask[]>;
  task(ref: RunRef, index: number): Promise<RunTask | null>;
  /**
   * A task of a run that is already settled has ended: its record gets how it ended (its exit status, and the
   * status its run's settle gave it), while it is still active or has no exit status, and `task` is its latest.
   */
  recordTaskEnd(
    ref: RunRef,
    index: number,
    task: string,
    end: Pick<RunTask, 'status' | 'exit_code' | 'finished_at'>,
  ): Promise<boolean>;
  /** The job's oldest runs, oldest first, whatever their status (a Query, not a Scan). */
  oldest(ref: JobRef, limit: number): Promise<Run[]>;
  /** Marks a finished run (of `tasks` tasks) to be removed once `at` has passed (found by `expired`), its task records with it. */
  setExpiry(ref: RunRef, at: Date, tasks?: number): Promise<void>;
  /** Finished runs whose time to be removed has come, soonest first, in every job (a Query, not a Scan). */
  expired(now: Date, limit: number): Promise<Run[]>;
  /** Removes those of `runs` (all of one job) that are finished, counting them on the job; those it removed. */
  remove(ref: JobRef, runs: Run[]): Promise<Run[]>;
}

/**
 * What a run's outcome writes besides the job's counters when the job's alerts depend on its failures in a row:
 * the write holds only while the failures in a row are still `streak` (another settle of the job got there first:
 * read again), so each alert is told once.
 */
export interface OutcomeWrite {
  streak: number;
  events: ServiceEvent[];
  /** The schedule suspended by this outcome: the job's new revision, made while the job is still at the one before. */
  pause?: { reason: string; revision: JobRevision; keep: number };
}

export interface TaskTransition {
  /** The run as read. */
  run: Run;
  index: number;
  /** The task as read; null when it has no record yet (or the run has one task). */
  task: RunTask | null;
  changes: Partial<Omit<RunTask, 'index'>>;
  runChanges: Partial<Run>;
  /** Added to the run's task counts. */
  counts: Partial<Record<RunStatus, number>>;
  event?: ServiceEvent;
}

/** What else a run leaves on a host (its log lines, its metric samples), removed with the run. */
export interface RunArtifacts {
  removeRuns(job: JobRef, runIds: string[]): Promise<void>;
}

/** What a run's execution is started with: the run, its limits, and the container it runs. */
export interface ExecutionRequest {
  run: RunRef;
  timeout_seconds: number;
  retries: number;
  /** The job's rules at trigger time: what a failed attempt's exit code decides. */
  retry_rules: RetryRule[];
  /** How many tasks the run is split into, and how many run at once. */
  tasks: { count: number; parallelism: number };
  /** What orders its tasks when limits make them wait (priority, then the older run), and how long they may wait. */
  priority: number;
  created_at: string;
  queue_timeout_seconds: number;
  container: {
    image: string;
    command: string[];
    /** The job's env with the run's overrides over it. */
    env: Record<string, string>;
    /** Variables read from the project's secrets as each attempt starts: references only, never values. */
    secrets: Record<string, string>;
    /** The secret the image is pulled with, by name. */
    registry_credentials: string | null;
    network: Network;
    cpu: number;
    memory_mb: number;
  };
}

/** Where waiting runs stand in their queues, where the host keeps them. */
export interface RunQueues {
  of(runs: Run[]): Promise<Map<string, RunQueue>>;
}

export interface StopOptions {
  mode: 'graceful' | 'force';
  /** graceful: seconds between SIGTERM and SIGKILL. */
  graceSeconds: number;
  cause: string;
}

export interface RunOrchestrator {
  readonly runner: RunnerKind;
  /** The id the execution of this run has or will have (its ARN in AWS, its name locally). */
  executionId(runId: string): string;
  /** Starts the run's execution, named by the run id. */
  start(request: ExecutionRequest): Promise<void>;
  /** Stops the run's execution and its container. */
  stop(run: Run, options: StopOptions): Promise<void>;
  /** Whether the execution still runs; 'unknown' when the backend cannot say. */
  isRunning(executionId: string): Promise<boolean | 'unknown'>;
}

export type LogStream = 'stdout' | 'stderr';

export interface LogLine {
  timestamp: string;
  run_id: string;
  /** The attempt of the run that wrote it (1 for the first). */
  attempt: number;
  /** The task of the run that wrote it (0 until a run has several). */
  task_index: number;
  stream: LogStream;
  message: string;
}

export interface LogQuery {
  job: JobRef;
  /** Only this run's lines; all of the job's runs otherwise. */
  run_id?: string | undefined;
  start?: Date | undefined;
  end?: Date | undefined;
  /** Lines containing this text. */
  filter?: string | undefined;
  attempt?: number | undefined;
  task?: number | undefined;
  limit: number;
  /** Where the last page ended (its `cursor`); the start of the log otherwise. */
  cursor?: string | undefined;
}

/** A page of log lines and where it ended. */
export interface LogPage {
  items: LogLine[];
  /** A position after the last line returned (the query's own position when it returned none). */
  cursor: string;
  /** Whether lines after `cursor` may already exist (a full page, lines not yet readable as a whole, or a partial read). */
  more: boolean;
  /**
   * The read stopped at its limit of work before the end of the log: the page may hold fewer lines than asked
   * for, even none, and the cursor has moved past what was looked at. Read on from the cursor.
   */
  partial?: boolean;
  /** Run logs: some of the run's output was not kept (past its cap, or the disk was full); a marker line says so. */
  truncated?: boolean;
}

export interface LogSource {
  /** Lines oldest first, after the cursor. A cursor of another run or job is a ValidationError on `cursor`. */
  query(query: LogQuery): Promise<LogPage>;
  /**
   * Resolves at the next change to the job's log after the call, or when `signal` aborts. Only where the writer
   * shares the process (the local host); elsewhere a waiting read looks again after a while.
   */
  changed?(job: JobRef, signal: AbortSignal): Promise<void>;
  /** Whether every line of this finished run is readable (output may still be in flight after the run ends). */
  settled(run: Run): boolean;
  deleteForJob(job: JobRef): Promise<void>;
}

/** Events written beside the changes they tell of, not yet handed on: oldest first, without a scan. */
export interface EventOutbox {
  pending(limit: number): Promise<ServiceEvent[]>;
  /** The events were handed on: they leave the outbox. */
  handedOn(events: ServiceEvent[]): Promise<void>;
}

/** Runs a function once per scope and key for a day: a repeat gets the first result. */
export interface Idempotency {
  /**
   * A repeat with the same payload returns the first call's result; another payload throws
   * IdempotencyMismatchError; a repeat while the first is still running throws ConflictError.
   */
  once<T>(scope: string, key: string, payload: unknown, fn: () => Promise<T>): Promise<T>;
}

export type MetricName = 'cpu_usage' | 'memory_usage';

export interface MetricPoint {
  timestamp: string;
  value: number;
}

export interface MetricWindow {
  start: Date;
  end: Date;
  periodSeconds: number;
}

/** CPU and memory of a job's running instances, over time. */
export interface MetricSource {
  /** The finest period the source has (seconds). */
  readonly minPeriodSeconds: number;
  /** A series per name asked, oldest first; a name whose query failed has its Error in its place. */
  query(job: JobRef, names: MetricName[], window: MetricWindow): Promise<Record<string, MetricPoint[] | Error>>;
}

/** What a finished run used, for its `usage` summary; null where it is not known. */
/** Writes a line of the service's own into a run's log (where it says something about the run's output, say). */
export interface RunNotes {
  note(run: RunRef, index: number, attempt: number, message: string): Promise<void>;
}

export interface UsageSource {
  usageOf(run: Run): Promise<RunUsage | null>;
}

/** Where a job's container is described for the backend: an ECS task-definition family per job in AWS. */
export interface TaskDefinitions {
  /**
   * Registers the job's image, cpu, memory and secrets as the family's newest revision; `secrets` is where each
   * secret the job names is (its ARN), so the backend reads the values itself as each task starts.
   */
  register(job: Job, secrets: ReadonlyMap<string, string>): Promise<void>;
}

export interface WebhookStore {
  /** Writes a new webhook; a ConflictError on project_id when the project already has MAX_WEBHOOKS_PER_PROJECT. */
  create(stored: StoredWebhook, audit?: AuditEntry): Promise<void>;
  get(ref: WebhookRef): Promise<StoredWebhook | null>;
  list(ref: ProjectRef, page: PageRequest): Promise<Page<Webhook>>;
  /** The project's webhooks, all of them (at most MAX_WEBHOOKS_PER_PROJECT), for matching events. */
  forProject(ref: ProjectRef): Promise<StoredWebhook[]>;
  update(stored: StoredWebhook, audit?: AuditEntry): Promise<void>;
  /** False when it was already gone. */
  delete(ref: WebhookRef, audit?: AuditEntry): Promise<boolean>;
}

export interface DeliveryStore {
  /** False when this event's delivery to this webhook already exists (the event was handed on twice). */
  create(stored: StoredDelivery): Promise<boolean>;
  get(ref: DeliveryRef): Promise<StoredDelivery | null>;
  list(ref: WebhookRef, filter: { status?: DeliveryStatus | undefined }, page: PageRequest): Promise<Page<Delivery>>;
  /** Pending deliveries whose next attempt is due by `now`, soonest first, without a scan. */
  due(now: Date, limit: number): Promise<StoredDelivery[]>;
  /** When the next pending attempt falls, if any is pending. */
  nextDue(): Promise<Date | null>;
  save(stored: StoredDelivery): Promise<void>;
}

/**
 * Whoever attempts due deliveries, told of each one when it is made or rescheduled (locally a worker that is
 * woken; in AWS a queue whose messages wait until the time). The store stays the truth: a notice lost is found
 * again by the host's sweep of overdue deliveries.
 */
export interface DeliveryQueue {
  enqueue(deliveries: DueDelivery[]): Promise<void>;
}

/** What a receiver answered, or why there was no answer. */
export type SendResult = { status: number; retry_after: string | null } | { error: string };

/**
 * POSTs a body, connecting only to `addresses` (those the destination check resolved and passed: the URL's host
 * is not resolved again), with the host's name kept for TLS and the Host header; never follows a redirect.
 */
export type Send = (
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
  addresses: readonly string[],
) => Promise<SendResult>;

/** Where events go once they leave the outbox (EventBridge, the service log, webhooks). */
export interface EventSink {
  /** Takes the events; answers the ids of those it could not take (to be offered again). */
  publish(events: ServiceEvent[]): Promise<{ failed: string[] }>;
}

/** Resolves a host name to its addresses (the DNS adapter). */
export type Resolve = (host: string) => Promise<string[]>;

export interface DestinationPolicy {
  /** Whether loopback and private destinations (and plain http to them) are allowed. */
  allowPrivate: boolean;
  resolve: Resolve;
}

/** Secrets' metadata, in the table (both hosts). */
export interface SecretStore {
  get(ref: SecretRef): Promise<StoredSecret | null>;
  /** Every secret of a project (at most SECRET_LIMITS.perProject), by name. */
  list(ref: ProjectRef): Promise<StoredSecret[]>;
  /**
   * Writes the secret if its version is still `expectedVersion` (null: only if it does not exist yet); false when
   * another writer got there first.
   */
  put(secret: StoredSecret, expectedVersion: number | null, audit?: AuditEntry): Promise<boolean>;
  /** False if it was already gone. */
  delete(ref: SecretRef, audit?: AuditEntry): Promise<boolean>;
}

/** Where secret values live: Secrets Manager in AWS, encrypted in the table locally. Nothing else holds one. */
export interface SecretVault {
  /** Stores a new value of the secret; where it is (its ARN in AWS), which stays the same across versions. */
  write(ref: SecretRef, value: string): Promise<string>;
  /** The current value, for a container being started locally or for masking output. */
  read(ref: SecretRef, location: string): Promise<string>;
  remove(ref: SecretRef, location: string): Promise<void>;
  /** Whether existing secrets can be linked by ARN (AWS); locally every value is stored. */
  readonly links: boolean;
}

/** Workspace and project settings, in the table: absent until first set (the defaults then). */
export interface SettingsStore {
  workspace(workspaceId: string): Promise<WorkspaceSettings | null>;
  putWorkspace(workspaceId: string, settings: WorkspaceSettings, audit?: AuditEntry): Promise<void>;
  project(ref: ProjectRef): Promise<ProjectSettings | null>;
  putProject(ref: ProjectRef, settings: ProjectSettings, audit?: AuditEntry): Promise<void>;
}

/** A task waiting in its workspace's queue in a shared store (AWS): what admits it, answers it and times it out. */
export interface QueuedAttempt extends WaitingTask {
  job_id: string;
  /** How many tasks its run has (its container is told). */
  task_count: number;
  /** What answers the waiting attempt (a Step Functions task token). */
  token: string;
  /** The job's environment for the container, as the definition passes it. */
  environment: Record<string, string>;
  queue_timeout_seconds: number;
  /** When it fails for waiting too long (ms). */
  deadline: number;
  /** A launch ECS refused: the attempt it is (already counted), how many times refused, and why. */
  relaunch?: { attempt: number; count: number; why: string };
  /** Not admitted before this (ms): a relaunch's backoff. */
  not_before?: number;
}

/** A slot held in a shared store, with what it counts against. */
export interface HeldSlot extends HeldTask {
  run_id: string;
  index: number;
  job_id: string;
  /** When it was taken (ms). */
  taken: number;
  /** How many launches of its attempt ECS has refused so far. */
  relaunches: number;
}

/**
 * Admission's state where many processes decide (AWS): each workspace's queue and held slots, slots taken and
 * given back so that no limit is ever passed whoever decides, a lease so that one decides at a time, and the
 * deployment's launch rate.
 */
export interface AdmissionStore {
  /** Puts a waiting attempt in its workspace's queue (again, with a new token, if it was there). */
  enqueue(attempt: QueuedAttempt): Promise<void>;
  state(workspaceId: string): Promise<{ waiting: QueuedAttempt[]; held: HeldSlot[] }>;
  /** The workspaces with a queue. */
  workspaces(): Promise<string[]>;
  /** Moves a waiting attempt to a slot if every limit still has room: false when one has not, or it left the queue. */
  take(attempt: QueuedAttempt, limits: { project: Limits; workspace: Limits }, at: number): Promise<boolean>;
  /** Takes a waiting attempt out of the queue; false when it was not there. */
  drop(attempt: Pick<QueuedAttempt, 'workspace_id' | 'run_id' | 'index'>): Promise<boolean>;
  /** Gives back a slot; false when it was not held. */
  release(slot: Pick<HeldSlot, 'workspace_id' | 'run_id' | 'index'>): Promise<boolean>;
  slot(ref: Pick<HeldSlot, 'workspace_id' | 'run_id' | 'index'>): Promise<HeldSlot | null>;
  /** A run's slots in its workspace. */
  slotsOf(workspaceId: string, runId: string): Promise<HeldSlot[]>;
  /** Says something changed, so whoever decides looks again before it stops. */
  poke(workspaceId: string): Promise<void>;
  /** The right to decide for a workspace for `ms`, with the change count it starts from; null while another has it. */
  lease(workspaceId: string, holder: string, ms: number, now: number): Promise<{ generation: number } | null>;
  /** Gives the right up unless something changed since `generation` (then answers the new count). */
  unlease(
    workspaceId: string,
    holder: string,
    generation: number,
  ): Promise<{ released: true } | { generation: number }>;
  /** Takes up to `wanted` launches from the deployment's bucket: how many, and when the next one is due (ms). */
  launches(wanted: number, rate: LaunchRate, now: number): Promise<{ granted: number; nextInMs: number }>;
}

/** Tasks a deployment may start: `per_second` on average, `burst` at once. */
export interface LaunchRate {
  per_second: number;
  burst: number;
}
