// A typed client of the service's public API (the contract of the OpenAPI document, nothing private), for the
// command-line client and the web console. Types only come from the schemas, so this module loads no
// validation code: it stays small and quick to start.
import type { z } from 'zod';
import type { JobCreateBody, JobPatchBody, JobRevisionSchema, JobSchema } from '../functions/schemas/job.ts';
import type { CreatedKeySchema, KeyCreateBody, KeySchema } from '../functions/schemas/key.ts';
import type {
  CancelBody,
  JobStatusSchema,
  LogLineSchema,
  MetricsSchema,
  RunSchema,
  RunStatusesSchema,
  RunTaskSchema,
  TriggerBody,
  BackfillBody,
  BackfillSchema,
} from '../functions/schemas/run.ts';
import type {
  DeliverySchema,
  WebhookCreateBody,
  WebhookPatchBody,
  WebhookSchema,
  WebhookWithSecretSchema,
} from '../functions/schemas/webhook.ts';
import type { SecretPutBody, SecretSchema } from '../functions/schemas/secret.ts';
import type { AuditEntrySchema } from '../functions/schemas/audit.ts';
import type {
  ProjectSettingsBody,
  ProjectSettingsSchema,
  WorkspaceSettingsBody,
  WorkspaceSettingsSchema,
} from '../functions/schemas/settings.ts';
import { SECRET_NAME_PATTERN } from '../functions/core/secrets.ts';
import { scheduleFor } from '../functions/core/cron.ts';
import { idPattern, SLUG, ULID_PATTERN } from '../functions/core/id-patterns.ts';
import { isActive as statusIsActive, RUN_STATUSES } from '../functions/core/run-statuses.ts';

export { RUN_STATUSES };
/** What differs between two revisions' specs, field by field (the same rule the service keeps revisions by). */
export { changeText, specChanges, type FieldChange } from '../functions/core/revisions.ts';
export { AUDIT_ACTIONS } from '../functions/core/audit-actions.ts';
export { SUBSCRIBABLE_EVENTS } from '../functions/core/webhook-events.ts';
/** What a job's spec may hold, for forms that make one: its fields, the values each choice takes, the defaults. */
export { JOB_SPEC_FIELDS } from '../functions/core/jobs.ts';
export {
  CHAIN_CONDITIONS,
  CONCURRENCY_POLICIES,
  DEFAULTS,
  FARGATE_CPUS,
  NETWORKS,
  RETRY_ACTIONS,
} from '../functions/core/job-spec.ts';
export { ALERT_RULES } from '../functions/core/alert-rules.ts';

/** Whether a run has yet to finish (pending or running). */
export function isActive(run: Pick<Run, 'status'>): boolean {
  return statusIsActive(run.status);
}

/**
 * The next `count` times a schedule fires after `from`, in its time zone: computed by the same rules the service
 * computes `next_fire_at` with (and EventBridge Scheduler fires by), so a client never shows other times.
 */
export function nextFires(cron: string, timeZone: string, count: number, from = new Date()): Date[] {
  const schedule = scheduleFor(cron, timeZone);
  const fires: Date[] = [];
  for (let at = schedule.next(from); at && fires.length < count; at = schedule.next(at)) fires.push(at);
  return fires;
}

export type Job = z.output<typeof JobSchema>;
export type JobCreate = z.input<typeof JobCreateBody>;
export type JobPatch = z.input<typeof JobPatchBody>;
export type JobRevision = z.output<typeof JobRevisionSchema>;
export type AuditEntry = z.output<typeof AuditEntrySchema>;
export interface AuditQuery {
  project_id?: string | undefined;
  action?: AuditEntry['action'] | undefined;
  key_id?: string | undefined;
  since?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  limit?: number;
  cursor?: string | undefined;
}
export type Run = z.output<typeof RunSchema>;
export type RunTask = z.output<typeof RunTaskSchema>;
export type Metrics = z.output<typeof MetricsSchema>;
export type RunStatus = Run['status'];
export type JobStatus = z.output<typeof JobStatusSchema>;
export type LogLine = z.output<typeof LogLineSchema>;
export type RunStatuses = z.output<typeof RunStatusesSchema>;
export type Key = z.output<typeof KeySchema>;
export type CreatedKey = z.output<typeof CreatedKeySchema>;
export type KeyCreate = z.input<typeof KeyCreateBody>;
export type Trigger = z.input<typeof TriggerBody>;
export type Backfill = z.input<typeof BackfillBody>;
export type BackfillResult = z.output<typeof BackfillSchema>;
export type Cancel = z.input<typeof CancelBody>;
export type Webhook = z.output<typeof WebhookSchema>;
export type WebhookWithSecret = z.output<typeof WebhookWithSecretSchema>;
export type WebhookCreate = z.input<typeof WebhookCreateBody>;
export type WebhookPatch = z.input<typeof WebhookPatchBody>;
export type Delivery = z.output<typeof DeliverySchema>;
export type Secret = z.output<typeof SecretSchema>;
export type SecretPut = z.input<typeof SecretPutBody>;
export type WorkspaceSettings = z.output<typeof WorkspaceSettingsSchema>;
export type WorkspaceSettingsInput = z.input<typeof WorkspaceSettingsBody>;
export type ProjectSettings = z.output<typeof ProjectSettingsSchema>;
export type ProjectSettingsInput = z.input<typeof ProjectSettingsBody>;

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface LogPage {
  lines: LogLine[];
  next_cursor: string;
  /** Lines after next_cursor may already exist (a full page, or a read that stopped at its limit of work). */
  more: boolean;
  /** Run logs: the run has finished and every line was returned. */
  complete: boolean;
  /** Run logs: some output was not kept (its cap, or a full disk); a marker line says so. */
  truncated: boolean;
}

export interface LogQuery {
  since?: string;
  start?: string;
  end?: string;
  filter?: string;
  attempt?: number;
  task?: number;
  limit?: number;
  cursor?: string;
  wait?: number;
}

export interface RunListQuery {
  status?: RunStatus;
  job_id?: string;
  trigger?: Run['trigger'];
  limit?: number;
  cursor?: string;
}

/** An error reply of the API: its status, message and the fields it names. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly errors: Array<{ field: string; message: string }>;
  constructor(status: number, message: string, errors: Array<{ field: string; message: string }> = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

const SEGMENTS = {
  workspace: SLUG,
  project: SLUG,
  job: idPattern('job'),
  run: idPattern('run'),
  webhook: idPattern('wh'),
  delivery: idPattern('dlv'),
  key: new RegExp(`^key_(?:admin|${ULID_PATTERN})$`),
  secret: SECRET_NAME_PATTERN,
} as const;

export const isJobId = (text: string) => SEGMENTS.job.test(text);
export const isRunId = (text: string) => SEGMENTS.run.test(text);

/**
 * One id of a request path, checked against its pattern, then encoded: an id read from a URL or typed by a user
 * can never turn the request into one for another route (`..`, `%2F`, `?`).
 */
function segment(kind: keyof typeof SEGMENTS, value: string): string {
  if (!SEGMENTS[kind].test(value)) {
    throw new ApiError(0, `'${value}' is not a ${kind} id`, [
      {
        field: kind === 'workspace' || kind === 'project' ? kind : kind === 'secret' ? 'name' : `${kind}_id`,
        message: `is not a ${kind} id`,
      },
    ]);
  }
  return encodeURIComponent(value);
}

export interface ClientOptions {
  url: string;
  key?: string | undefined;
  /** The project the job and run calls address. */
  workspace?: string | undefined;
  project?: string | undefined;
  fetch?: typeof fetch;
  /** How long a call may go unanswered before it fails saying so (default 30 s; a held read adds its wait). */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

interface Envelope<T> {
  status: 'success' | 'error';
  message: string;
  data: T;
  next_cursor?: string | null;
  more?: boolean;
  complete?: boolean;
  truncated?: boolean;
  errors?: Array<{ field: string; message: string }>;
}

export class JobsClient {
  readonly url: string;
  readonly #key: string | undefined;
  readonly #workspace: string | undefined;
  readonly #project: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;

  constructor(options: ClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#key = options.key;
    this.#workspace = options.workspace;
    this.#project = options.project;
    // Bound: a browser's fetch refuses to be called as another object's method.
    this.#fetch = options.fetch ?? fetch.bind(globalThis);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The path of the client's workspace; a missing workspace is an error naming its setting. */
  #w(): string {
    if (!this.#workspace)
      throw new ApiError(0, 'no workspace: pass --workspace or set JOBS_WORKSPACE', [
        { field: 'workspace', message: 'is required' },
      ]);
    return `/v1/workspaces/${segment('workspace', this.#workspace)}`;
  }

  /** The path of the client's project; a missing workspace or project is an error naming its setting. */
  #p(): string {
    const workspace = this.#w();
    if (!this.#project)
      throw new ApiError(0, 'no project: pass --project or set JOBS_PROJECT', [
        { field: 'project', message: 'is required' },
      ]);
    return `${workspace}/projects/${segment('project', this.#project)}`;
  }

  async #call<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
  ): Promise<Envelope<T>> {
    const url = new URL(`${this.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(one));
    }
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.#key) headers.authorization = `Bearer ${this.#key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    // A server that never answers is an error that says so, not a wait for ever (a view stuck on "Loading").
    const limitMs = this.#timeoutMs + Number(options.query?.wait ?? 0) * 1000;
    const timeout = AbortSignal.timeout(limitMs);
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted && !options.signal?.aborted)
        throw new ApiError(0, `${method} ${path}: no answer from ${this.url} in ${limitMs / 1000} s`);
      if ((error as Error).name === 'AbortError') throw error;
      throw new ApiError(
        0,
        `cannot reach ${this.url}: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
      );
    }
    let envelope: Envelope<T>;
    try {
      envelope = JSON.parse(text) as Envelope<T>;
    } catch {
      throw new ApiError(response.status, `${method} ${path} answered ${response.status} with a body that is not JSON`);
    }
    if (!response.ok || envelope.status === 'error')
      throw new ApiError(response.status, envelope.message, envelope.errors ?? []);
    return envelope;
  }

  async #page<T>(path: string, query: Query): Promise<Page<T>> {
    const envelope = await this.#call<T[]>('GET', path, { query });
    return { items: envelope.data, next_cursor: envelope.next_cursor ?? null };
  }

  /** Every item of a list, page after page. */
  async *all<T>(list: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
    let cursor: string | undefined;
    do {
      const page = await list(cursor);
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  async health(): Promise<{ status: string; version: string; checks: Record<string, string> }> {
    return (await this.#call<{ status: string; version: string; checks: Record<string, string> }>('GET', '/v1/health'))
      .data;
  }

  // Jobs
  async listJobs(
    query: { limit?: number; cursor?: string | undefined; tag?: string[]; scheduled?: boolean } = {},
  ): Promise<Page<Job>> {
    return this.#page<Job>(`${this.#p()}/jobs`, query);
  }
  async createJob(job: JobCreate): Promise<Job> {
    return (await this.#call<Job>('POST', `${this.#p()}/jobs`, { body: job })).data;
  }
  async getJob(jobId: string): Promise<Job> {
    return (await this.#call<Job>('GET', `${this.#p()}/jobs/${segment('job', jobId)}`)).data;
  }
  /** With `ifMatch` (a revision), a job changed since is left as it is and the call fails with 412. */
  async patchJob(jobId: string, patch: JobPatch, ifMatch?: number): Promise<Job> {
    const headers: Record<string, string> = ifMatch === undefined ? {} : { 'if-match': `"${ifMatch}"` };
    return (await this.#call<Job>('PATCH', `${this.#p()}/jobs/${segment('job', jobId)}`, { body: patch, headers }))
      .data;
  }
  // The audit log
  async listWorkspaceAudit(query: AuditQuery = {}): Promise<Page<AuditEntry>> {
    return this.#page<AuditEntry>(`${this.#w()}/audit`, { ...query });
  }
  async listServiceAudit(query: Omit<AuditQuery, 'project_id'> = {}): Promise<Page<AuditEntry>> {
    return this.#page<AuditEntry>('/v1/audit', { ...query });
  }
  async listJobRevisions(jobId: string, query: { limit?: number; cursor?: string | undefined } = {}) {
    return this.#page<JobRevision>(`${this.#p()}/jobs/${segment('job', jobId)}/revisions`, query);
  }
  async getJobRevision(jobId: string, revision: number): Promise<JobRevision> {
    return (await this.#call<JobRevision>('GET', `${this.#p()}/jobs/${segment('job', jobId)}/revisions/${revision}`))
      .data;
  }
  /** Makes revision `revision`'s spec the job's again (a new revision); `ifMatch` as for patchJob. */
  async revertJob(jobId: string, revision: number, ifMatch?: number): Promise<Job> {
    const headers: Record<string, string> = ifMatch === undefined ? {} : { 'if-match': `"${ifMatch}"` };
    const path = `${this.#p()}/jobs/${segment('job', jobId)}/revisions/${Math.trunc(revision)}/revert`;
    return (await this.#call<Job>('POST', path, { headers })).data;
  }
  async deleteJob(jobId: string): Promise<void> {
    await this.#call('DELETE', `${this.#p()}/jobs/${segment('job', jobId)}`);
  }
  async jobStatus(jobId: string): Promise<JobStatus> {
    return (await this.#call<JobStatus>('GET', `${this.#p()}/jobs/${segment('job', jobId)}/status`)).data;
  }

  // Runs
  async trigger(jobId: string, body: Trigger = {}, idempotencyKey?: string): Promise<Run> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return (await this.#call<Run>('POST', `${this.#p()}/jobs/${segment('job', jobId)}/runs`, { body, headers })).data;
  }
  /** The run; with `wait` (0–20 s), once it has finished or the time is up. */
  async getRun(jobId: string, runId: string, wait?: number, signal?: AbortSignal): Promise<Run> {
    return (
      await this.#call<Run>('GET', `${this.#p()}/jobs/${segment('job', jobId)}/runs/${segment('run', runId)}`, {
        query: { wait },
        ...(signal ? { signal } : {}),
      })
    ).data;
  }
  async listJobRuns(jobId: string, query: RunListQuery = {}): Promise<Page<Run>> {
    return this.#page<Run>(`${this.#p()}/jobs/${segment('job', jobId)}/runs`, { ...query });
  }
  async listRuns(query: RunListQuery = {}): Promise<Page<Run>> {
    return this.#page<Run>(`${this.#p()}/runs`, { ...query });
  }
  /** Every run of the client's workspace (all its projects), newest first. */
  async listWorkspaceRuns(query: RunListQuery & { project_id?: string } = {}): Promise<Page<Run>> {
    return this.#page<Run>(`${this.#w()}/runs`, { ...query });
  }
  async listRunTasks(
    jobId: string,
    runId: string,
    query: { limit?: number; cursor?: string | undefined } = {},
  ): Promise<Page<RunTask>> {
    return this.#page<RunTask>(`${this.#p()}/jobs/${segment('job', jobId)}/runs/${segment('run', runId)}/tasks`, {
      ...query,
    });
  }
  /** The job's metrics over a window (`since` such as 1h, or `start`/`end`), each named series or its error. */
  async jobMetrics(
    jobId: string,
    query: { names?: string[]; since?: string; start?: string; end?: string; period?: number } = {},
  ): Promise<Metrics> {
    const { names, ...rest } = query;
    return (
      await this.#call<Metrics>('GET', `${this.#p()}/jobs/${segment('job', jobId)}/metrics`, {
        query: { ...rest, names: names?.join(',') },
      })
    ).data;
  }
  async cancel(jobId: string, runId: string, body: Cancel = {}): Promise<Run> {
    return (
      await this.#call<Run>('POST', `${this.#p()}/jobs/${segment('job', jobId)}/runs/${segment('run', runId)}/cancel`, {
        body,
      })
    ).data;
  }
  /** A run per fire of the job's schedule in [start, end); with `dryRun`, the fires only. */
  async backfill(jobId: string, range: Backfill, options: { dryRun?: boolean } = {}): Promise<BackfillResult> {
    return (
      await this.#call<BackfillResult>('POST', `${this.#p()}/jobs/${segment('job', jobId)}/backfill`, {
        body: range,
        query: { dry_run: options.dryRun ? true : undefined },
      })
    ).data;
  }
  async rerun(jobId: string, runId: string): Promise<Run> {
    return (
      await this.#call<Run>('POST', `${this.#p()}/jobs/${segment('job', jobId)}/runs/${segment('run', runId)}/rerun`)
    ).data;
  }
  async statuses(runIds: string[], wait?: number): Promise<RunStatuses> {
    return (
      await this.#call<RunStatuses>('POST', `${this.#p()}/runs/statuses`, {
        body: { run_ids: runIds, ...(wait !== undefined ? { wait } : {}) },
      })
    ).data;
  }

  // Logs
  async runLogs(jobId: string, runId: string, query: LogQuery = {}, signal?: AbortSignal): Promise<LogPage> {
    const envelope = await this.#call<LogLine[]>(
      'GET',
      `${this.#p()}/jobs/${segment('job', jobId)}/runs/${segment('run', runId)}/logs`,
      { query: { ...query }, ...(signal ? { signal } : {}) },
    );
    return {
      lines: envelope.data,
      next_cursor: envelope.next_cursor ?? '',
      more: envelope.more === true,
      complete: envelope.complete === true,
      truncated: envelope.truncated === true,
    };
  }
  async jobLogs(jobId: string, query: LogQuery = {}, signal?: AbortSignal): Promise<LogPage> {
    const envelope = await this.#call<LogLine[]>('GET', `${this.#p()}/jobs/${segment('job', jobId)}/logs`, {
      query: { ...query },
      ...(signal ? { signal } : {}),
    });
    return {
      lines: envelope.data,
      next_cursor: envelope.next_cursor ?? '',
      more: envelope.more === true,
      complete: false,
      truncated: false,
    };
  }

  /**
   * Every line of a run, as it is written, until the run has finished and all its lines were seen (or `signal`
   * aborts). Each line exactly once: the loop holds on the cursor, the server answers as soon as a line exists.
   */
  async *followRun(
    jobId: string,
    runId: string,
    query: Omit<LogQuery, 'cursor' | 'wait'> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<LogLine> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.runLogs(
        jobId,
        runId,
        { ...query, limit: query.limit ?? 1000, wait: 20, ...(cursor ? { cursor } : {}) },
        signal,
      );
      yield* page.lines;
      cursor = page.next_cursor;
      if (page.complete) return;
    }
  }

  /** A job's lines as they are written, across its runs, until `signal` aborts. */
  async *followJob(
    jobId: string,
    query: Omit<LogQuery, 'cursor' | 'wait'> = {},
    signal?: AbortSignal,
  ): AsyncGenerator<LogLine> {
    let cursor: string | undefined;
    for (;;) {
      const page = await this.jobLogs(
        jobId,
        { ...query, limit: query.limit ?? 1000, wait: 20, ...(cursor ? { cursor } : {}) },
        signal,
      );
      yield* page.lines;
      cursor = page.next_cursor;
    }
  }

  // Webhooks (writers)
  async listWebhooks(query: { limit?: number; cursor?: string | undefined } = {}): Promise<Page<Webhook>> {
    return this.#page<Webhook>(`${this.#p()}/webhooks`, query);
  }
  async createWebhook(webhook: WebhookCreate): Promise<WebhookWithSecret> {
    return (await this.#call<WebhookWithSecret>('POST', `${this.#p()}/webhooks`, { body: webhook })).data;
  }
  async getWebhook(webhookId: string): Promise<Webhook> {
    return (await this.#call<Webhook>('GET', `${this.#p()}/webhooks/${segment('webhook', webhookId)}`)).data;
  }
  async patchWebhook(webhookId: string, patch: WebhookPatch): Promise<Webhook> {
    return (
      await this.#call<Webhook>('PATCH', `${this.#p()}/webhooks/${segment('webhook', webhookId)}`, { body: patch })
    ).data;
  }
  async deleteWebhook(webhookId: string): Promise<void> {
    await this.#call('DELETE', `${this.#p()}/webhooks/${segment('webhook', webhookId)}`);
  }
  async rotateWebhookSecret(webhookId: string): Promise<WebhookWithSecret> {
    return (
      await this.#call<WebhookWithSecret>(
        'POST',
        `${this.#p()}/webhooks/${segment('webhook', webhookId)}/rotate-secret`,
      )
    ).data;
  }

  async listDeliveries(
    webhookId: string,
    query: { status?: Delivery['status']; limit?: number; cursor?: string | undefined } = {},
  ): Promise<Page<Delivery>> {
    return this.#page<Delivery>(`${this.#p()}/webhooks/${segment('webhook', webhookId)}/deliveries`, query);
  }
  async testWebhook(webhookId: string): Promise<Delivery> {
    return (await this.#call<Delivery>('POST', `${this.#p()}/webhooks/${segment('webhook', webhookId)}/test`)).data;
  }
  async redeliver(webhookId: string, deliveryId: string): Promise<Delivery> {
    return (
      await this.#call<Delivery>(
        'POST',
        `${this.#p()}/webhooks/${segment('webhook', webhookId)}/deliveries/${segment('delivery', deliveryId)}/redeliver`,
      )
    ).data;
  }

  // Secrets (values are write-only: no method returns one)
  async listSecrets(): Promise<Secret[]> {
    return (await this.#call<Secret[]>('GET', `${this.#p()}/secrets`)).data;
  }
  async getSecret(name: string): Promise<Secret> {
    return (await this.#call<Secret>('GET', `${this.#p()}/secrets/${segment('secret', name)}`)).data;
  }
  /** Sets a secret's value (a new version); `created` when the secret is new. */
  async putSecret(name: string, write: SecretPut): Promise<{ secret: Secret; created: boolean }> {
    const envelope = await this.#call<Secret>('PUT', `${this.#p()}/secrets/${segment('secret', name)}`, {
      body: write,
    });
    // Only a new secret has version 1: every new value of an existing one raises it.
    return { secret: envelope.data, created: envelope.data.version === 1 };
  }
  async deleteSecret(name: string): Promise<void> {
    await this.#call('DELETE', `${this.#p()}/secrets/${segment('secret', name)}`);
  }

  // Settings
  async workspaceSettings(): Promise<WorkspaceSettings> {
    return (await this.#call<WorkspaceSettings>('GET', `${this.#w()}/settings`)).data;
  }
  /** Replaces the workspace's settings (admin): an omitted field takes its default. */
  async putWorkspaceSettings(settings: WorkspaceSettingsInput): Promise<WorkspaceSettings> {
    return (await this.#call<WorkspaceSettings>('PUT', `${this.#w()}/settings`, { body: settings })).data;
  }
  async projectSettings(): Promise<ProjectSettings> {
    return (await this.#call<ProjectSettings>('GET', `${this.#p()}/settings`)).data;
  }
  /** Replaces the project's settings: an omitted field takes its default. */
  async putProjectSettings(settings: ProjectSettingsInput): Promise<ProjectSettings> {
    return (await this.#call<ProjectSettings>('PUT', `${this.#p()}/settings`, { body: settings })).data;
  }

  // Keys (admin)
  async createKey(key: KeyCreate): Promise<CreatedKey> {
    return (await this.#call<CreatedKey>('POST', '/v1/keys', { body: key })).data;
  }
  async listKeys(query: { limit?: number; cursor?: string | undefined } = {}): Promise<Page<Key>> {
    return this.#page<Key>('/v1/keys', query);
  }
  async revokeKey(keyId: string): Promise<void> {
    await this.#call('DELETE', `/v1/keys/${segment('key', keyId)}`);
  }
}
