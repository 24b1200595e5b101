// The local service started in-process for HTTP-level tests, on the run's DynamoDB Local with its own table,
// plus a small client that speaks the API's envelopes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecret } from '../../functions/core/keys.ts';
import { createLogger, type Logger } from '../../functions/logger.ts';
import type { RateLimit } from '../../local-server/rate-limit.ts';
import { startLocalService, type LocalService } from '../../local-server/service.ts';
import { checkResponse } from './contract.ts';
import type { ReplyData } from './replies.ts';
import type { Metrics, Run } from '../../client/jobs-client.ts';
export { eventually } from './wait.ts';
import { testEndpoint, uniqueTableName } from './dynamodb.ts';

export interface Envelope<T> {
  status: 'success' | 'error';
  message: string;
  /** The reply's data; absent on an error reply (whose status a test checks first). */
  data: T;
  next_cursor?: string | null;
  /** On run logs: the run has finished and every line was returned. */
  complete?: boolean;
  /** On logs: lines after next_cursor may already exist. */
  more?: boolean;
  /** On run logs: some output was not kept, and a marker line says so. */
  truncated?: boolean;
  errors?: Array<{ field: string; message: string }>;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: Envelope<T>;
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export class ApiClient {
  readonly baseUrl: string;
  readonly key: string | null;
  /** Told every reply's body as it came (tests that look for what no reply may contain). */
  onBody: ((text: string) => void) | undefined;
  constructor(baseUrl: string, key: string | null) {
    this.baseUrl = baseUrl;
    this.key = key;
  }

  withKey(key: string | null): ApiClient {
    const other = new ApiClient(this.baseUrl, key);
    other.onBody = this.onBody;
    return other;
  }

  async request<M extends string, P extends string, T = ReplyData<M, P>>(
    method: M,
    path: P,
    options: RequestOptions = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.key : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    this.onBody?.(text);
    let parsed: Envelope<T>;
    try {
      // A text reply (OpenMetrics) is checked as the text it is.
      const json = (response.headers.get('content-type') ?? 'application/json').includes('json');
      parsed = (method === 'HEAD' ? undefined : json ? JSON.parse(text) : text) as Envelope<T>;
    } catch {
      throw new Error(
        `${method} ${path} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      );
    }
    // Every response a test receives must be one the served document promises.
    await checkResponse(
      this.baseUrl,
      method,
      new URL(response.url).pathname,
      response.status,
      response.headers,
      parsed,
    );
    return { status: response.status, headers: response.headers, body: parsed };
  }

  get<P extends string, T = ReplyData<'GET', P>>(path: P, options?: RequestOptions) {
    return this.request<'GET', P, T>('GET', path, options);
  }
  post<P extends string, T = ReplyData<'POST', P>>(path: P, body?: unknown, options?: RequestOptions) {
    return this.request<'POST', P, T>('POST', path, { ...options, body });
  }
  patch<P extends string, T = ReplyData<'PATCH', P>>(path: P, body?: unknown, options?: RequestOptions) {
    return this.request<'PATCH', P, T>('PATCH', path, { ...options, body });
  }
  delete<P extends string, T = ReplyData<'DELETE', P>>(path: P, options?: RequestOptions) {
    return this.request<'DELETE', P, T>('DELETE', path, options);
  }
}

export interface TestService {
  service: LocalService;
  api: ApiClient;
  adminKey: string;
  /** Stops the service; `keep` leaves its data (and table) for a restart (`restartOf`). */
  stop(options?: { keep?: boolean }): Promise<void>;
}

export async function startTestService(
  label: string,
  options: {
    retryIntervalMs?: number;
    maxRunLogBytes?: number;
    rateLimit?: RateLimit | null;
    webhookRetryScheduleMs?: readonly number[];
    webhookTimeoutMs?: number;
    runner?: 'podman' | 'docker' | 'process';
    logger?: Logger;
    /** More of local mode's settings (JOBS_CAPACITY_CPU, say). */
    env?: Record<string, string>;
    alertSweepMs?: number;
    catchUpSeconds?: number;
    /** The same data, table and admin key as a service stopped with `keep`: its restart. */
    restartOf?: TestService;
  } = {},
): Promise<TestService> {
  const dataDir = options.restartOf?.service.dataDir ?? mkdtempSync(join(tmpdir(), `jobs-${label}-`));
  const adminKey = options.restartOf?.adminKey ?? generateSecret();
  const service = await startLocalService({
    dataDir,
    port: 0,
    // Host processes unless a test asks for a container engine: no other test depends on one.
    env: { JOBS_ADMIN_KEY: adminKey, JOBS_RUNNER: options.runner ?? 'process', ...options.env },
    logger: options.logger ?? createLogger('jobs-test'),
    dynamodb: { endpoint: testEndpoint(), tableName: options.restartOf?.service.tableName ?? uniqueTableName(label) },
    // The backoff between attempts is the definition's own unless a test compresses it.
    retryIntervalMs: options.retryIntervalMs ?? 50,
    maxRunLogBytes: options.maxRunLogBytes,
    rateLimit: options.rateLimit,
    webhookRetryScheduleMs: options.webhookRetryScheduleMs,
    webhookTimeoutMs: options.webhookTimeoutMs,
    alertSweepMs: options.alertSweepMs,
    catchUpSeconds: options.catchUpSeconds,
  });
  return {
    service,
    api: new ApiClient(service.url, adminKey),
    adminKey,
    async stop({ keep = false } = {}) {
      await service.stop();
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type ProjectPath = `/v1/workspaces/${string}/projects/${string}`;
/** A run's path: a test that builds one with this type gets the run's reply typed. */
export type RunPath = `${ProjectPath}/jobs/${string}/runs/${string}`;
export const projectPath = (ws = 'acme', project = 'etl'): ProjectPath => `/v1/workspaces/${ws}/projects/${project}`;

export function job(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: `job-${Math.random().toString(36).slice(2, 10)}`,
    image: 'public.ecr.aws/docker/library/alpine:3.20',
    command: ['sh', '-c', 'echo hello'],
    ...overrides,
  };
}

/** The pid of a run's process, from its backend (`pid 1234`). */
export function runPid(run: { backend: { task: string | null } }): number {
  const pid = Number(run.backend.task?.replace(/^pid /, ''));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`run has no process id: ${run.backend.task}`);
  return pid;
}

/** Polls until a run reaches one of the statuses (or throws after the timeout). */
export function waitForStatus(api: ApiClient, path: string, statuses: string[], timeoutMs = 15_000): Promise<Run> {
  return waitForRun(api, path, (run) => statuses.includes(run?.status), `one of ${statuses.join('/')}`, timeoutMs);
}

/** Polls a run until `condition` holds for it (or throws after the timeout, saying what it waited for). */
export async function waitForRun(
  api: ApiClient,
  path: string,
  condition: (run: Run) => boolean,
  what = 'the condition',
  timeoutMs = 15_000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await api.get<string, Run>(path)).body.data;
    if (condition(run)) return run;
    if (Date.now() > deadline) throw new Error(`run at ${path} never reached ${what}: ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The values of a metric series, failing the test when the series is missing or answered an error. */
export function points(series: Metrics[string] | undefined): number[] {
  if (series?.status !== 'success') throw new Error(`metric series is not a success: ${JSON.stringify(series)}`);
  return series.points.map((point) => point.value);
}
