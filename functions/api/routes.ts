// Every route of the API, once. API Gateway's routes (infra), the local host's request matching, the
// handlers' dispatch, the 404/405 fallback and the OpenAPI document are all built from this table.
import * as z from 'zod';
import type { Access } from '../core/keys.ts';
import { JobPath, KeyId, PageQuery, ProjectPath, RunPath, WorkspacePath } from '../schemas/common.ts';
import {
  IfMatchHeaders,
  JobCreateBody,
  JobListQuery,
  JobPatchBody,
  JobRevisionSchema,
  JobSchema,
  RevisionPath,
} from '../schemas/job.ts';
import {
  CANCELLED_RUN_EXAMPLE,
  HEALTH_EXAMPLE,
  JOB_CREATE_EXAMPLE,
  JOB_EXAMPLE,
  JOB_STATUS_EXAMPLE,
  KEY_EXAMPLE,
  LOG_CURSOR_EXAMPLE,
  LOG_LINE_EXAMPLE,
  METRICS_EXAMPLE,
  PENDING_RUN_EXAMPLE,
  RUN_EXAMPLE,
  DELIVERY_EXAMPLE,
  WEBHOOK_EXAMPLE,
  WEBHOOK_SECRET_EXAMPLE,
  SECRET_EXAMPLE,
  PROJECT_SETTINGS_EXAMPLE,
  REVISION_EXAMPLE,
  AUDIT_EXAMPLE,
  WORKSPACE_SETTINGS_EXAMPLE,
} from '../schemas/examples.ts';
import { CreatedKeySchema, KeyCreateBody, KeySchema } from '../schemas/key.ts';
import { SecretPath, SecretPutBody, SecretSchema } from '../schemas/secret.ts';
import { AuditEntrySchema, ServiceAuditQuery, WorkspaceAuditQuery } from '../schemas/audit.ts';
import {
  ProjectSettingsBody,
  ProjectSettingsSchema,
  WorkspaceSettingsBody,
  WorkspaceSettingsSchema,
} from '../schemas/settings.ts';
import { SECRET_LIMITS } from '../core/secrets.ts';
import {
  DeliveriesQuery,
  DeliveryPath,
  DeliverySchema,
  WebhookCreateBody,
  WebhookPatchBody,
  WebhookPath,
  WebhookSchema,
  WebhookWithSecretSchema,
} from '../schemas/webhook.ts';
import {
  CancelBody,
  GetRunQuery,
  IdempotencyHeaders,
  JobRunsQuery,
  JobStatusSchema,
  LOG_ENVELOPE,
  LogLineSchema,
  LogsQuery,
  MetricsQuery,
  MetricsSchema,
  ProjectRunsQuery,
  RunSchema,
  RunTaskSchema,
  RunTasksQuery,
  RUN_LOG_ENVELOPE,
  RunStatusesSchema,
  StatusesBody,
  TriggerBody,
  BackfillBody,
  BackfillQuery,
  BackfillSchema,
  WorkspaceRunsQuery,
} from '../schemas/run.ts';

/** The Lambda functions that serve HTTP routes; one function per group. */
export const HTTP_GROUPS = [
  'system',
  'keys',
  'jobs',
  'runs',
  'logs',
  'metrics',
  'webhooks',
  'secrets',
  'settings',
  'audit',
  'fallback',
] as const;
export type HttpGroup = (typeof HTTP_GROUPS)[number];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: Method;
  /** API Gateway path template. */
  path: string;
  group: HttpGroup;
  access: Access;
  summary: string;
  /** What the operation does, for the document's readers. */
  description: string;
  /** The success envelope's message. */
  message: string;
  /** The success status (default 200). */
  status?: 200 | 201 | 202;
  /** A PUT that can create: the message of its 201 (an update answers `status`). */
  created?: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A request without a body is accepted (the body is optional) unless this is set. */
  bodyRequired?: boolean;
  /** The `data` of the success envelope. */
  response: z.ZodType;
  /** The response is a page: `data` is an array and the envelope adds `next_cursor`. */
  list?: boolean;
  /** The reply is `data` itself, without the envelope (the OpenAPI document, so tools read it as it is). */
  raw?: boolean;
  /** A raw reply that is text of this media type, not JSON. */
  contentType?: string;
  /** Request headers the route reads (lower-case names), validated like the rest of the input. */
  headers?: z.ZodObject;
  /** When the operation answers 409: what conflicts. */
  conflict?: string;
  /** The success reply carries `ETag: "<revision>"`. */
  etag?: boolean;
  /** It takes `If-Match` and answers 412 when the resource changed since. */
  preconditions?: boolean;
  /** Whether an Idempotency-Key reused with another body is answered 422. */
  idempotent?: boolean;
  /** Fields the success envelope carries besides status, message and data (they replace the list's own). */
  envelope?: Record<string, z.ZodType>;
  /** An example request body, the example `data` of the success reply, and its other envelope fields. */
  example: { body?: unknown; data: unknown; envelope?: Record<string, unknown> };
}

const P = '/v1/workspaces/{workspace_id}/projects/{project_id}';
/** The media type of OpenMetrics text. */
export const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const RUN_CONFLICT = 'A run of the job is active and its concurrency is forbid';
const TRIGGER_CONFLICT = `${RUN_CONFLICT}, or a request with the same Idempotency-Key is still being answered`;

export const routes = {
  health: {
    method: 'GET',
    path: '/v1/health',
    group: 'system',
    access: 'public',
    summary: 'Service health',
    message: 'ok',
    description: 'Checks each backing engine; 503 with Retry-After when one is unreachable. Needs no key.',
    response: z.strictObject({
      status: z.literal('ok'),
      version: z.string(),
      checks: z.record(z.string(), z.string()),
    }),
    example: { data: HEALTH_EXAMPLE },
  },
  openapi: {
    method: 'GET',
    path: '/v1/openapi.json',
    group: 'system',
    access: 'public',
    summary: 'This OpenAPI document',
    description: 'The OpenAPI 3.1 document itself (not an envelope), so tools read the URL as it is. Needs no key.',
    message: 'OpenAPI document',
    raw: true,
    response: z.record(z.string(), z.unknown()).meta({ description: 'An OpenAPI 3.1 document' }),
    example: { data: { openapi: '3.1.0', info: { title: 'Jobs API', version: '0.1.0' }, paths: {} } },
  },
  createKey: {
    method: 'POST',
    path: '/v1/keys',
    group: 'keys',
    access: 'admin',
    summary: 'Create an API key (the secret is shown once)',
    description:
      'An admin key sees every workspace; a writer or reader key names the workspaces it may touch. Only a hash of the secret is kept.',
    message: 'Key created',
    status: 201,
    body: KeyCreateBody,
    bodyRequired: true,
    response: CreatedKeySchema,
    example: {
      body: { name: 'ci', role: 'writer', workspaces: ['acme'] },
      data: { ...KEY_EXAMPLE, secret: 'jobs_9fJx2QeVbT0c4yKqW1mZs7LrN8uHdA3pG6oE5iCkXwY' },
    },
  },
  listKeys: {
    method: 'GET',
    path: '/v1/keys',
    group: 'keys',
    access: 'admin',
    summary: 'List API keys (never their secrets)',
    description: 'Every key, newest first, without secrets.',
    message: 'Keys',
    query: PageQuery,
    response: KeySchema,
    list: true,
    example: { data: [KEY_EXAMPLE] },
  },
  revokeKey: {
    method: 'DELETE',
    path: '/v1/keys/{key_id}',
    group: 'keys',
    access: 'admin',
    summary: 'Revoke an API key at once',
    description:
      'The key stops working with the next request. The bootstrap admin key is configuration and cannot be revoked here (409).',
    message: 'Key revoked',
    params: z.strictObject({ key_id: KeyId }),
    response: z.strictObject({ id: z.string() }),
    conflict: 'The bootstrap admin key cannot be revoked through the API',
    example: { data: { id: KEY_EXAMPLE.id } },
  },
  listJobs: {
    method: 'GET',
    path: `${P}/jobs`,
    group: 'jobs',
    access: 'read',
    summary: 'List jobs, newest first',
    description: 'Filter by tags (all must match) and by whether a job has a schedule; page with limit and cursor.',
    message: 'Jobs',
    params: ProjectPath,
    query: JobListQuery,
    response: JobSchema,
    list: true,
    example: { data: [JOB_EXAMPLE] },
  },
  createJob: {
    method: 'POST',
    path: `${P}/jobs`,
    group: 'jobs',
    access: 'write',
    summary: 'Create a job',
    description:
      'A job is a container spec; its schedule, if any, starts firing at once. A command given as a string runs as ["/bin/sh", "-c", string].',
    message: 'Job created',
    status: 201,
    params: ProjectPath,
    body: JobCreateBody,
    bodyRequired: true,
    response: JobSchema,
    conflict: 'Another job of the project has this name',
    example: { body: JOB_CREATE_EXAMPLE, data: JOB_EXAMPLE },
  },
  getJob: {
    method: 'GET',
    path: `${P}/jobs/{job_id}`,
    group: 'jobs',
    access: 'read',
    summary: "A job's spec",
    description: 'The job as stored, env values included. ETag is its revision, for If-Match on a change.',
    message: 'Job',
    params: JobPath,
    response: JobSchema,
    etag: true,
    example: { data: JOB_EXAMPLE },
  },
  patchJob: {
    method: 'PATCH',
    path: `${P}/jobs/{job_id}`,
    group: 'jobs',
    access: 'write',
    summary: 'Update a job: omitted fields stay, null resets an optional field',
    message: 'Job updated',
    description:
      'Takes effect from the next run; "schedule": null removes the schedule. A change of the spec makes a new revision; one that changes nothing makes none. With If-Match, a job changed since answers 412 and is left as it is.',
    params: JobPath,
    headers: IfMatchHeaders,
    body: JobPatchBody,
    bodyRequired: true,
    response: JobSchema,
    etag: true,
    preconditions: true,
    conflict: 'Another job of the project has the new name, or the job changed concurrently',
    example: {
      body: { schedule: '30 4 * * *', suspended: true },
      data: { ...JOB_EXAMPLE, schedule: '30 4 * * *', suspended: true, revision: 2 },
    },
  },
  listJobRevisions: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/revisions`,
    group: 'jobs',
    access: 'read',
    summary: "A job's revisions, newest first",
    description:
      "Each change of the job's spec, with the key that made it and the spec it made. The newest 100 are always kept (as many as the job's history.max_runs if that is more); they go with the job.",
    message: 'Revisions',
    params: JobPath,
    query: PageQuery,
    response: JobRevisionSchema,
    list: true,
    example: { data: [REVISION_EXAMPLE] },
  },
  getJobRevision: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/revisions/{revision}`,
    group: 'jobs',
    access: 'read',
    summary: 'One revision of a job',
    description: "The job's spec as revision n made it, and who made it.",
    message: 'Revision',
    params: RevisionPath,
    response: JobRevisionSchema,
    example: { data: REVISION_EXAMPLE },
  },
  revertJob: {
    method: 'POST',
    path: `${P}/jobs/{job_id}/revisions/{revision}/revert`,
    group: 'jobs',
    access: 'write',
    summary: "Make an earlier revision's spec the job's again",
    description:
      "A new revision with revision n's spec (none if the job already has it). With If-Match, a job changed since answers 412.",
    message: 'Job reverted',
    params: RevisionPath,
    headers: IfMatchHeaders,
    response: JobSchema,
    etag: true,
    preconditions: true,
    conflict: 'Another job of the project has the name the revision had, or the job changed concurrently',
    example: { data: { ...JOB_EXAMPLE, revision: 3 } },
  },
  deleteJob: {
    method: 'DELETE',
    path: `${P}/jobs/{job_id}`,
    group: 'jobs',
    access: 'write',
    summary: 'Delete a job, its runs and its schedule',
    message: 'Job deleted',
    description:
      'Stops the runs in flight, then removes the job, its runs, logs and schedule; the job answers 404 from then on.',
    params: JobPath,
    response: JobSchema,
    example: { data: JOB_EXAMPLE },
  },
  triggerRun: {
    method: 'POST',
    path: `${P}/jobs/{job_id}/runs`,
    group: 'runs',
    access: 'write',
    summary: 'Run a job now: answers at once with the run pending',
    message: 'Run accepted',
    status: 202,
    description:
      'The body may override command and env for this run only. With Idempotency-Key, a repeat within 24 h returns the same run; the same key with another body is a 422.',
    params: JobPath,
    body: TriggerBody,
    headers: IdempotencyHeaders,
    response: RunSchema,
    conflict: TRIGGER_CONFLICT,
    idempotent: true,
    example: { body: { env: { DRY_RUN: '1' } }, data: PENDING_RUN_EXAMPLE },
  },
  backfillJob: {
    method: 'POST',
    path: `${P}/jobs/{job_id}/backfill`,
    group: 'runs',
    access: 'write',
    summary: 'Run a job once for each fire of its schedule in a range, oldest first',
    message: 'Backfill accepted',
    status: 202,
    description:
      "One run per fire of the job's schedule in [start, end) (its time zone and daylight-saving rules as the schedule fires), trigger backfill, scheduled_for the fire; they wait for room as any run does and neither replace nor refuse each other. A fire that already has its run (the schedule made it, or a backfill before) answers that run: a repeat makes none twice. ?dry_run=true answers the fires only. A job with no schedule is a 409.",
    params: JobPath,
    query: BackfillQuery,
    body: BackfillBody,
    bodyRequired: true,
    response: BackfillSchema,
    conflict: 'The job has no schedule',
    example: {
      body: { start: '2026-11-20T00:00:00Z', end: '2026-11-22T00:00:00Z' },
      data: {
        fires: ['2026-11-20T02:00:00.000Z', '2026-11-21T02:00:00.000Z'],
        runs: [
          { ...PENDING_RUN_EXAMPLE, trigger: 'backfill', scheduled_for: '2026-11-20T02:00:00.000Z' },
          { ...PENDING_RUN_EXAMPLE, trigger: 'backfill', scheduled_for: '2026-11-21T02:00:00.000Z' },
        ],
      },
    },
  },
  listJobRuns: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/runs`,
    group: 'runs',
    access: 'read',
    summary: "A job's runs, newest first",
    description: 'Filter by status; page with limit and cursor.',
    message: 'Runs',
    params: JobPath,
    query: JobRunsQuery,
    response: RunSchema,
    list: true,
    example: { data: [RUN_EXAMPLE] },
  },
  getRun: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/runs/{run_id}`,
    group: 'runs',
    access: 'read',
    summary: 'A run as it is now; wait holds the reply until it finishes',
    message: 'Run',
    params: RunPath,
    query: GetRunQuery,
    response: RunSchema,
    description:
      'With wait (seconds), the reply is held until the run is final or the time is up: finished, and for a run stopped by cancel or its timeout, with the exit status its process ended with once that is in (143 after SIGTERM, 137 after a kill).',
    example: { data: RUN_EXAMPLE },
  },
  cancelRun: {
    method: 'POST',
    path: `${P}/jobs/{job_id}/runs/{run_id}/cancel`,
    group: 'runs',
    access: 'write',
    summary: 'Cancel a pending or running run',
    message: 'Run cancelled',
    params: RunPath,
    body: CancelBody,
    response: RunSchema,
    description:
      'The run is cancelled at once; its process gets SIGTERM and, after the grace, SIGKILL (force: SIGKILL at once). exit_code is filled in once the process has ended.',
    conflict: 'The run has already finished',
    example: { body: { mode: 'graceful', timeout_seconds: 30 }, data: CANCELLED_RUN_EXAMPLE },
  },
  rerun: {
    method: 'POST',
    path: `${P}/jobs/{job_id}/runs/{run_id}/rerun`,
    group: 'runs',
    access: 'write',
    summary: 'Run the job again with the same overrides',
    message: 'Run accepted',
    status: 202,
    params: RunPath,
    response: RunSchema,
    description: "A new run (trigger rerun) of the job's current spec with the earlier run's overrides.",
    conflict: RUN_CONFLICT,
    example: { data: { ...PENDING_RUN_EXAMPLE, trigger: 'rerun' } },
  },
  listRunTasks: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/runs/{run_id}/tasks`,
    group: 'runs',
    access: 'read',
    summary: "A run's tasks, by index",
    description:
      'Each task of the run (one unless the job or trigger set tasks): its status, attempts, exit code, times and error. Tasks not started yet are pending. Page with limit and cursor.',
    message: 'Tasks',
    params: RunPath,
    query: RunTasksQuery,
    response: RunTaskSchema,
    list: true,
    example: {
      data: [
        {
          index: 0,
          status: 'succeeded',
          attempt: 1,
          exit_code: 0,
          started_at: RUN_EXAMPLE.started_at,
          finished_at: RUN_EXAMPLE.finished_at,
          error: null,
          task: 'pid 4242',
        },
      ],
    },
  },
  jobStatus: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/status`,
    group: 'runs',
    access: 'read',
    summary: 'Latest run, run counts and schedule',
    message: 'Job status',
    params: JobPath,
    response: JobStatusSchema,
    description: 'latest_run is null until the job has run; schedule is null for an on-demand job.',
    example: { data: JOB_STATUS_EXAMPLE },
  },
  listProjectRuns: {
    method: 'GET',
    path: `${P}/runs`,
    group: 'runs',
    access: 'read',
    summary: "A project's runs, newest first",
    description: 'Filter by status, job and trigger; page with limit and cursor.',
    message: 'Runs',
    params: ProjectPath,
    query: ProjectRunsQuery,
    response: RunSchema,
    list: true,
    example: { data: [RUN_EXAMPLE] },
  },
  listWorkspaceRuns: {
    method: 'GET',
    path: '/v1/workspaces/{workspace_id}/runs',
    group: 'runs',
    access: 'read',
    summary: "A workspace's runs, newest first",
    description: 'Filter by status, job, trigger and project; page with limit and cursor.',
    message: 'Runs',
    params: WorkspacePath,
    query: WorkspaceRunsQuery,
    response: RunSchema,
    list: true,
    example: { data: [RUN_EXAMPLE] },
  },
  runStatuses: {
    method: 'POST',
    path: `${P}/runs/statuses`,
    group: 'runs',
    access: 'read',
    summary: 'Statuses of up to 100 runs; wait holds the reply until all are finished',
    message: 'Run statuses',
    description: 'Unknown ids answer status not_found. Readers may call it: it changes nothing.',
    params: ProjectPath,
    body: StatusesBody,
    bodyRequired: true,
    response: RunStatusesSchema,
    example: {
      body: { run_ids: [RUN_EXAMPLE.id], wait: 20 },
      data: { [RUN_EXAMPLE.id]: { id: RUN_EXAMPLE.id, status: 'succeeded', exit_code: 0, error: null } },
    },
  },
  runLogs: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/runs/{run_id}/logs`,
    group: 'logs',
    access: 'read',
    summary: "A run's log lines, oldest first",
    description:
      'Within a window (since, or start and end), optionally only lines containing filter, of one attempt or task; page with limit and cursor. ' +
      'To follow a run, loop on next_cursor with wait=20 until complete: each line is seen exactly once, in order, also while it is being written.',
    message: 'Logs',
    params: RunPath,
    query: LogsQuery,
    response: LogLineSchema,
    list: true,
    envelope: RUN_LOG_ENVELOPE,
    example: {
      data: [LOG_LINE_EXAMPLE],
      envelope: { next_cursor: LOG_CURSOR_EXAMPLE, more: false, complete: false, truncated: false },
    },
  },
  jobLogs: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/logs`,
    group: 'logs',
    access: 'read',
    summary: "Log lines of all a job's runs in a window, oldest first",
    description:
      "The lines of every run of the job, merged in time order, with the same parameters as a run's logs (wait holds the reply until a line is written).",
    message: 'Logs',
    params: JobPath,
    query: LogsQuery,
    response: LogLineSchema,
    list: true,
    envelope: LOG_ENVELOPE,
    example: { data: [LOG_LINE_EXAMPLE], envelope: { next_cursor: LOG_CURSOR_EXAMPLE, more: false } },
  },
  jobMetrics: {
    method: 'GET',
    path: `${P}/jobs/{job_id}/metrics`,
    group: 'metrics',
    access: 'read',
    summary: "CPU and memory of a job's running instances; each metric answers with its own status",
    description:
      'cpu_usage: average CPU across running instances, in cores; memory_usage: total memory across them, in bytes. An unknown or failing metric answers its own error and never fails the request.',
    message: 'Metrics',
    params: JobPath,
    query: MetricsQuery,
    response: MetricsSchema,
    example: { data: METRICS_EXAMPLE },
  },
  listWebhooks: {
    method: 'GET',
    path: `${P}/webhooks`,
    group: 'webhooks',
    access: 'write',
    summary: "The project's webhooks (never their secrets)",
    description: 'Newest first; managed by writers.',
    message: 'Webhooks',
    params: ProjectPath,
    query: PageQuery,
    response: WebhookSchema,
    list: true,
    example: { data: [WEBHOOK_EXAMPLE] },
  },
  createWebhook: {
    method: 'POST',
    path: `${P}/webhooks`,
    group: 'webhooks',
    access: 'write',
    summary: "Subscribe a URL to the project's events (the secret is shown once)",
    description:
      'Deliveries are signed as Standard Webhooks specifies, with the whsec_ secret of the reply. https only where private destinations are off (AWS); a URL whose host resolves to a private, loopback or link-local address is refused. At most 20 per project.',
    message: 'Webhook created',
    status: 201,
    conflict: 'The project has 20 webhooks already, the most a project may have (a limit reached)',
    params: ProjectPath,
    body: WebhookCreateBody,
    bodyRequired: true,
    response: WebhookWithSecretSchema,
    example: {
      body: { url: WEBHOOK_EXAMPLE.url, events: WEBHOOK_EXAMPLE.events, description: 'on-call' },
      data: { ...WEBHOOK_EXAMPLE, secret: WEBHOOK_SECRET_EXAMPLE },
    },
  },
  getWebhook: {
    method: 'GET',
    path: `${P}/webhooks/{webhook_id}`,
    group: 'webhooks',
    access: 'write',
    summary: 'A webhook (never its secret)',
    description: 'Including whether it is enabled, and why the service disabled it if it did.',
    message: 'Webhook',
    params: WebhookPath,
    response: WebhookSchema,
    example: { data: WEBHOOK_EXAMPLE },
  },
  patchWebhook: {
    method: 'PATCH',
    path: `${P}/webhooks/{webhook_id}`,
    group: 'webhooks',
    access: 'write',
    summary: "Change a webhook's url, events, enabled or description",
    description: 'Omitted fields stay; enabling a webhook the service disabled clears its reason.',
    message: 'Webhook updated',
    params: WebhookPath,
    body: WebhookPatchBody,
    bodyRequired: true,
    response: WebhookSchema,
    example: { body: { enabled: false }, data: { ...WEBHOOK_EXAMPLE, enabled: false } },
  },
  getWorkspaceSettings: {
    method: 'GET',
    path: '/v1/workspaces/{workspace_id}/settings',
    group: 'settings',
    access: 'read',
    summary: "The workspace's settings",
    description:
      'Limits over all its projects, the IAM roles its jobs may run as, and the secrets they may link. The defaults until an admin sets them.',
    message: 'Workspace settings',
    params: WorkspacePath,
    response: WorkspaceSettingsSchema,
    example: { data: WORKSPACE_SETTINGS_EXAMPLE },
  },
  putWorkspaceSettings: {
    method: 'PUT',
    path: '/v1/workspaces/{workspace_id}/settings',
    group: 'settings',
    access: 'admin',
    summary: "Replace the workspace's settings (admin)",
    description:
      'An omitted field takes its default (no limits, no roles, no linked secrets). A setting never changes a run already running.',
    message: 'Workspace settings set',
    params: WorkspacePath,
    body: WorkspaceSettingsBody,
    bodyRequired: true,
    response: WorkspaceSettingsSchema,
    example: { body: WORKSPACE_SETTINGS_EXAMPLE, data: WORKSPACE_SETTINGS_EXAMPLE },
  },
  getProjectSettings: {
    method: 'GET',
    path: `${P}/settings`,
    group: 'settings',
    access: 'read',
    summary: "The project's settings",
    description: 'Its own limits and its weight in its workspace. The defaults until a writer sets them.',
    message: 'Project settings',
    params: ProjectPath,
    response: ProjectSettingsSchema,
    example: { data: PROJECT_SETTINGS_EXAMPLE },
  },
  putProjectSettings: {
    method: 'PUT',
    path: `${P}/settings`,
    group: 'settings',
    access: 'write',
    summary: "Replace the project's settings",
    description:
      'An omitted field takes its default (no limits, weight 1). A setting never changes a run already running.',
    message: 'Project settings set',
    params: ProjectPath,
    body: ProjectSettingsBody,
    bodyRequired: true,
    response: ProjectSettingsSchema,
    example: { body: PROJECT_SETTINGS_EXAMPLE, data: PROJECT_SETTINGS_EXAMPLE },
  },
  serviceMetrics: {
    method: 'GET',
    path: '/v1/metrics',
    group: 'metrics',
    access: 'admin',
    summary: "The service's figures, in OpenMetrics text",
    description:
      "For Prometheus and its kin: runs that finished by status, run durations, queue wait and schedule lateness (histograms in seconds), tasks running and waiting now, and webhook delivery attempts by outcome, each labelled by workspace and project; `by=job` adds each job's runs by status. Counters are kept in the store and survive restarts.",
    message: 'Metrics',
    query: z.strictObject({
      by: z
        .enum(['job'])
        .optional()
        .meta({ description: "job: also each job's runs by status (labelled job and job_id)" }),
    }),
    raw: true,
    contentType: OPENMETRICS,
    response: z.string().meta({ description: 'OpenMetrics 1.0 text exposition' }),
    example: {
      data: '# TYPE jobs_runs counter\n# HELP jobs_runs Runs that finished, by how they ended.\njobs_runs_total{workspace="acme",project="etl",status="succeeded"} 41\n# EOF\n',
    },
  },
  listWorkspaceAudit: {
    method: 'GET',
    path: '/v1/workspaces/{workspace_id}/audit',
    group: 'audit',
    access: 'write',
    summary: "The workspace's audit log, newest first",
    description:
      "Every change made through the API in the workspace (jobs, runs triggered and cancelled, secrets, settings, webhooks), with the key, role, request id, source IP and the fields changed: never a secret's value. Kept 365 days. Writers and admins read it; a reader key gets 403.",
    message: 'Audit entries',
    params: WorkspacePath,
    query: WorkspaceAuditQuery,
    response: AuditEntrySchema,
    list: true,
    example: { data: [AUDIT_EXAMPLE] },
  },
  listServiceAudit: {
    method: 'GET',
    path: '/v1/audit',
    group: 'audit',
    access: 'admin',
    summary: "The service's own audit log: API keys created and revoked",
    description: "Changes that belong to no workspace (API keys), newest first; never a key's secret. Kept 365 days.",
    message: 'Audit entries',
    query: ServiceAuditQuery,
    response: AuditEntrySchema,
    list: true,
    example: {
      data: [
        {
          ...AUDIT_EXAMPLE,
          workspace_id: null,
          action: 'key.create',
          target: { key_id: KEY_EXAMPLE.id },
          changes: { name: [null, 'ci'], role: [null, 'writer'], workspaces: [null, ['acme']] },
        },
      ],
    },
  },
  listSecrets: {
    method: 'GET',
    path: `${P}/secrets`,
    group: 'secrets',
    access: 'read',
    summary: "The project's secrets (names and versions, never values)",
    description: `By name; at most ${SECRET_LIMITS.perProject} a project, all in one page.`,
    message: 'Secrets',
    params: ProjectPath,
    response: SecretSchema,
    list: true,
    example: { data: [SECRET_EXAMPLE] },
  },
  getSecret: {
    method: 'GET',
    path: `${P}/secrets/{name}`,
    group: 'secrets',
    access: 'read',
    summary: "A secret's metadata and the jobs that use it (never its value)",
    description: 'No route ever answers with a value.',
    message: 'Secret',
    params: SecretPath,
    response: SecretSchema,
    example: { data: SECRET_EXAMPLE },
  },
  putSecret: {
    method: 'PUT',
    path: `${P}/secrets/{name}`,
    group: 'secrets',
    access: 'write',
    summary: 'Set a secret (a new version) or, in AWS, link an existing one',
    description:
      'The value is write-only. A new value reaches the next attempt of every job that names the secret, with no change to the jobs. 201 when the secret is new, 200 when it had a value.',
    message: 'Secret updated',
    created: 'Secret created',
    conflict: `The project has ${SECRET_LIMITS.perProject} secrets already, the most a project may have`,
    params: SecretPath,
    body: SecretPutBody,
    bodyRequired: true,
    response: SecretSchema,
    example: { body: { value: 'correct horse battery staple' }, data: SECRET_EXAMPLE },
  },
  deleteSecret: {
    method: 'DELETE',
    path: `${P}/secrets/{name}`,
    group: 'secrets',
    access: 'write',
    summary: 'Delete a secret no job uses',
    description: 'A secret still named by a job is kept (409 naming the jobs).',
    message: 'Secret deleted',
    conflict: 'Jobs still name the secret',
    params: SecretPath,
    response: z.strictObject({ name: z.string() }),
    example: { data: { name: SECRET_EXAMPLE.name } },
  },
  deleteWebhook: {
    method: 'DELETE',
    path: `${P}/webhooks/{webhook_id}`,
    group: 'webhooks',
    access: 'write',
    summary: 'Delete a webhook',
    description: 'No delivery is attempted after the reply.',
    message: 'Webhook deleted',
    params: WebhookPath,
    response: z.strictObject({ id: WebhookSchema.shape.id }),
    example: { data: { id: WEBHOOK_EXAMPLE.id } },
  },
  rotateWebhookSecret: {
    method: 'POST',
    path: `${P}/webhooks/{webhook_id}/rotate-secret`,
    group: 'webhooks',
    access: 'write',
    summary: 'A new signing secret (shown once)',
    description:
      'The old secret keeps signing beside the new one for 24 hours, so a receiver can switch without missing a delivery.',
    message: 'Secret rotated',
    params: WebhookPath,
    response: WebhookWithSecretSchema,
    example: { data: { ...WEBHOOK_EXAMPLE, secret: WEBHOOK_SECRET_EXAMPLE } },
  },
  testWebhook: {
    method: 'POST',
    path: `${P}/webhooks/{webhook_id}/test`,
    group: 'webhooks',
    access: 'write',
    summary: 'Send a webhook.test event to this webhook now',
    description: 'The delivery is signed and retried like any other; follow it under deliveries.',
    message: 'Test sent',
    status: 202,
    params: WebhookPath,
    response: DeliverySchema,
    example: {
      data: { ...DELIVERY_EXAMPLE, event_type: 'webhook.test', attempts: 0, last_status_code: null, last_error: null },
    },
  },
  listDeliveries: {
    method: 'GET',
    path: `${P}/webhooks/{webhook_id}/deliveries`,
    group: 'webhooks',
    access: 'write',
    summary: "A webhook's deliveries, newest first",
    description: 'Each with its status, attempts, last answer and next attempt; filter by status.',
    message: 'Deliveries',
    params: WebhookPath,
    query: DeliveriesQuery,
    response: DeliverySchema,
    list: true,
    example: { data: [DELIVERY_EXAMPLE] },
  },
  redeliver: {
    method: 'POST',
    path: `${P}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver`,
    group: 'webhooks',
    access: 'write',
    summary: 'Try a delivery again now',
    description: 'Also one that failed for good; the same webhook-id is sent.',
    message: 'Redelivery queued',
    status: 202,
    params: DeliveryPath,
    response: DeliverySchema,
    example: { data: DELIVERY_EXAMPLE },
  },
} as const satisfies Record<string, RouteDef>;

export type OperationId = keyof typeof routes;
export type Route<Id extends OperationId = OperationId> = (typeof routes)[Id] & RouteDef;

export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export const ROUTES_BY_KEY: ReadonlyMap<string, { id: OperationId; route: RouteDef }> = new Map(
  (Object.entries(routes) as Array<[OperationId, RouteDef]>).map(([id, route]) => [routeKey(route), { id, route }]),
);

interface CompiledPath {
  pattern: RegExp;
  names: string[];
  path: string;
}

const compiled: CompiledPath[] = [...new Set(Object.values(routes).map((r) => r.path))].map((path) => {
  const names: string[] = [];
  const source = path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), names, path };
});

export type PathMatch = { path: string; params: Record<string, string> };

/** The route template a request path falls under, as API Gateway matches it (one segment per parameter). */
export function matchPath(requestPath: string): PathMatch | null {
  for (const { pattern, names, path } of compiled) {
    const found = pattern.exec(requestPath);
    if (!found) continue;
    const params: Record<string, string> = {};
    try {
      for (const [i, name] of names.entries()) params[name] = decodeURIComponent(found[i + 1] as string);
    } catch {
      return null; // malformed percent-encoding names no resource
    }
    return { path, params };
  }
  return null;
}

/** The methods a path template answers, for 405's Allow header. */
export function methodsFor(path: string): Method[] {
  return Object.values(routes as Record<string, RouteDef>)
    .filter((r) => r.path === path)
    .map((r) => r.method);
}
