// Every route of the API, once. API Gateway's routes (infra), the local host's request matching, the
// handlers' dispatch, the 404/405 fallback and the OpenAPI document are all built from this table.
import * as z from 'zod';
import type { Access } from '../core/keys.ts';
import { JobPath, KeyId, PageQuery, ProjectPath, RunPath, WorkspacePath } from '../schemas/common.ts';
import { JobCreateBody, JobListQuery, JobPatchBody, JobSchema } from '../schemas/job.ts';
import { CreatedKeySchema, KeyCreateBody, KeySchema } from '../schemas/key.ts';
import {
  CancelBody,
  GetRunQuery,
  IdempotencyHeaders,
  JobRunsQuery,
  JobStatusSchema,
  LogLineSchema,
  LogsQuery,
  MetricsQuery,
  MetricsSchema,
  ProjectRunsQuery,
  RunSchema,
  RunStatusesSchema,
  StatusesBody,
  TriggerBody,
  WorkspaceRunsQuery,
} from '../schemas/run.ts';

/** The Lambda functions that serve HTTP routes; one function per group. */
export const HTTP_GROUPS = ['system', 'keys', 'jobs', 'runs', 'logs', 'metrics', 'fallback'] as const;
export type HttpGroup = (typeof HTTP_GROUPS)[number];

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: Method;
  /** API Gateway path template. */
  path: string;
  group: HttpGroup;
  access: Access;
  summary: string;
  /** The success envelope's message. */
  message: string;
  /** The success status (default 200). */
  status?: 200 | 201 | 202;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A request without a body is accepted (the body is optional) unless this is set. */
  bodyRequired?: boolean;
  /** The `data` of the success envelope. */
  response: z.ZodType;
  /** The response is a page: `data` is an array and the envelope adds `next_cursor`. */
  list?: boolean;
  /** Request headers the route reads (lower-case names), validated like the rest of the input. */
  headers?: z.ZodObject;
}

const P = '/v1/workspaces/{workspace_id}/projects/{project_id}';

export const routes = {
  health: {
    method: 'GET', path: '/v1/health', group: 'system', access: 'public', summary: 'Service health', message: 'ok',
    response: z.object({ status: z.literal('ok'), version: z.string(), checks: z.record(z.string(), z.string()) }),
  },
  openapi: {
    method: 'GET', path: '/v1/openapi.json', group: 'system', access: 'public', summary: 'This OpenAPI document',
    message: 'OpenAPI document', response: z.record(z.string(), z.unknown()),
  },
  createKey: {
    method: 'POST', path: '/v1/keys', group: 'keys', access: 'admin', summary: 'Create an API key (the secret is shown once)',
    message: 'Key created', status: 201, body: KeyCreateBody, bodyRequired: true, response: CreatedKeySchema,
  },
  listKeys: {
    method: 'GET', path: '/v1/keys', group: 'keys', access: 'admin', summary: 'List API keys (never their secrets)',
    message: 'Keys', query: PageQuery, response: KeySchema, list: true,
  },
  revokeKey: {
    method: 'DELETE', path: '/v1/keys/{key_id}', group: 'keys', access: 'admin', summary: 'Revoke an API key at once',
    message: 'Key revoked', params: z.strictObject({ key_id: KeyId }), response: z.object({ id: z.string() }),
  },
  listJobs: {
    method: 'GET', path: `${P}/jobs`, group: 'jobs', access: 'read', summary: 'List jobs, newest first',
    message: 'Jobs', params: ProjectPath, query: JobListQuery, response: JobSchema, list: true,
  },
  createJob: {
    method: 'POST', path: `${P}/jobs`, group: 'jobs', access: 'write', summary: 'Create a job',
    message: 'Job created', status: 201, params: ProjectPath, body: JobCreateBody, bodyRequired: true, response: JobSchema,
  },
  getJob: {
    method: 'GET', path: `${P}/jobs/{job_id}`, group: 'jobs', access: 'read', summary: "A job's spec",
    message: 'Job', params: JobPath, response: JobSchema,
  },
  patchJob: {
    method: 'PATCH', path: `${P}/jobs/{job_id}`, group: 'jobs', access: 'write',
    summary: 'Update a job: omitted fields stay, null resets an optional field', message: 'Job updated',
    params: JobPath, body: JobPatchBody, bodyRequired: true, response: JobSchema,
  },
  deleteJob: {
    method: 'DELETE', path: `${P}/jobs/{job_id}`, group: 'jobs', access: 'write',
    summary: 'Delete a job, its runs and its schedule', message: 'Job deleted', params: JobPath, response: JobSchema,
  },
  triggerRun: {
    method: 'POST', path: `${P}/jobs/{job_id}/runs`, group: 'runs', access: 'write',
    summary: 'Run a job now: answers at once with the run pending', message: 'Run accepted', status: 202,
    params: JobPath, body: TriggerBody, headers: IdempotencyHeaders, response: RunSchema,
  },
  listJobRuns: {
    method: 'GET', path: `${P}/jobs/{job_id}/runs`, group: 'runs', access: 'read', summary: "A job's runs, newest first",
    message: 'Runs', params: JobPath, query: JobRunsQuery, response: RunSchema, list: true,
  },
  getRun: {
    method: 'GET', path: `${P}/jobs/{job_id}/runs/{run_id}`, group: 'runs', access: 'read',
    summary: 'A run as it is now; wait holds the reply until it finishes', message: 'Run', params: RunPath, query: GetRunQuery, response: RunSchema,
  },
  cancelRun: {
    method: 'POST', path: `${P}/jobs/{job_id}/runs/{run_id}/cancel`, group: 'runs', access: 'write',
    summary: 'Cancel a pending or running run', message: 'Run cancelled', params: RunPath, body: CancelBody, response: RunSchema,
  },
  rerun: {
    method: 'POST', path: `${P}/jobs/{job_id}/runs/{run_id}/rerun`, group: 'runs', access: 'write',
    summary: 'Run the job again with the same overrides', message: 'Run accepted', status: 202, params: RunPath, response: RunSchema,
  },
  jobStatus: {
    method: 'GET', path: `${P}/jobs/{job_id}/status`, group: 'runs', access: 'read',
    summary: 'Latest run, run counts and schedule', message: 'Job status', params: JobPath, response: JobStatusSchema,
  },
  listProjectRuns: {
    method: 'GET', path: `${P}/runs`, group: 'runs', access: 'read', summary: "A project's runs, newest first",
    message: 'Runs', params: ProjectPath, query: ProjectRunsQuery, response: RunSchema, list: true,
  },
  listWorkspaceRuns: {
    method: 'GET', path: '/v1/workspaces/{workspace_id}/runs', group: 'runs', access: 'read', summary: "A workspace's runs, newest first",
    message: 'Runs', params: WorkspacePath, query: WorkspaceRunsQuery, response: RunSchema, list: true,
  },
  runStatuses: {
    method: 'POST', path: `${P}/runs/statuses`, group: 'runs', access: 'read',
    summary: 'Statuses of up to 100 runs; wait holds the reply until all are finished', message: 'Run statuses',
    params: ProjectPath, body: StatusesBody, bodyRequired: true, response: RunStatusesSchema,
  },
  runLogs: {
    method: 'GET', path: `${P}/jobs/{job_id}/runs/{run_id}/logs`, group: 'logs', access: 'read', summary: "A run's log lines, oldest first",
    message: 'Logs', params: RunPath, query: LogsQuery, response: LogLineSchema, list: true,
  },
  jobLogs: {
    method: 'GET', path: `${P}/jobs/{job_id}/logs`, group: 'logs', access: 'read', summary: "Log lines of all a job's runs in a window, oldest first",
    message: 'Logs', params: JobPath, query: LogsQuery, response: LogLineSchema, list: true,
  },
  jobMetrics: {
    method: 'GET', path: `${P}/jobs/{job_id}/metrics`, group: 'metrics', access: 'read',
    summary: "CPU and memory of a job's running instances; each metric answers with its own status",
    message: 'Metrics', params: JobPath, query: MetricsQuery, response: MetricsSchema,
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
      names.forEach((name, i) => (params[name] = decodeURIComponent(found[i + 1] as string)));
    } catch {
      return null; // malformed percent-encoding names no resource
    }
    return { path, params };
  }
  return null;
}

/** The methods a path template answers, for 405's Allow header. */
export function methodsFor(path: string): Method[] {
  return Object.values(routes as Record<string, RouteDef>).filter((r) => r.path === path).map((r) => r.method);
}
