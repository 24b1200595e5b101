// Every route of the OpenAPI document against every kind of caller: no key, a bad key, a revoked key, a reader,
// a writer of another workspace, a writer and an admin, each answered with its exact status. The routes come
// from the document the service serves, and each must have a row below: a new route without one fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

type Caller = 'none' | 'bad' | 'revoked' | 'reader' | 'otherWriter' | 'writer' | 'admin';
const CALLERS: Caller[] = ['none', 'bad', 'revoked', 'reader', 'otherWriter', 'writer', 'admin'];
/** Who a route is documented for (API.md), and what it answers when allowed. */
type Minimum = 'public' | 'reader' | 'writer' | 'admin';

interface Request {
  params: Record<string, string>;
  body?: unknown;
}

let t: TestService;
let admin: ApiClient;
const secrets = {} as Record<Caller, string | null>;
const WS = 'acme';
const PROJECT = 'matrix';
const base = { workspace_id: WS, project_id: PROJECT };

/** A job that finishes at once, with one finished run: the shared subject of the read routes. */
let shared: { jobId: string; runId: string };

async function newJob(command = 'true'): Promise<string> {
  const response = await admin.post(`${projectPath(WS, PROJECT)}/jobs`, job({ command }));
  expect(response.status).toBe(201);
  return response.body.data.id;
}
async function newRun(jobId: string): Promise<string> {
  const response = await admin.post(`${projectPath(WS, PROJECT)}/jobs/${jobId}/runs`);
  expect(response.status).toBe(202);
  return response.body.data.id;
}

/** Each operation: who may call it, its success status, and a request that succeeds when allowed (fresh
 * resources where the call consumes them: a job to delete, a run to cancel, a key to revoke). */
const OPERATIONS: Record<string, { minimum: Minimum; success: number; request: () => Promise<Request> }> = {
  health: { minimum: 'public', success: 200, request: async () => ({ params: {} }) },
  openapi: { minimum: 'public', success: 200, request: async () => ({ params: {} }) },
  createKey: { minimum: 'admin', success: 201, request: async () => ({ params: {}, body: { name: 'made', role: 'reader', workspaces: [WS] } }) },
  listKeys: { minimum: 'admin', success: 200, request: async () => ({ params: {} }) },
  revokeKey: {
    minimum: 'admin', success: 200,
    request: async () => ({ params: { key_id: (await admin.post('/v1/keys', { name: 'to-revoke', role: 'reader', workspaces: [WS] })).body.data.id } }),
  },
  listJobs: { minimum: 'reader', success: 200, request: async () => ({ params: base }) },
  createJob: { minimum: 'writer', success: 201, request: async () => ({ params: base, body: job() }) },
  getJob: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
  patchJob: { minimum: 'writer', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId }, body: { timeout_seconds: 120 } }) },
  deleteJob: { minimum: 'writer', success: 200, request: async () => ({ params: { ...base, job_id: await newJob() } }) },
  triggerRun: { minimum: 'writer', success: 202, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
  listJobRuns: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
  getRun: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId, run_id: shared.runId } }) },
  cancelRun: {
    minimum: 'writer', success: 200,
    request: async () => {
      const jobId = await newJob('sleep 30');
      return { params: { ...base, job_id: jobId, run_id: await newRun(jobId) }, body: { mode: 'force' } };
    },
  },
  rerun: { minimum: 'writer', success: 202, request: async () => ({ params: { ...base, job_id: shared.jobId, run_id: shared.runId } }) },
  jobStatus: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
  listProjectRuns: { minimum: 'reader', success: 200, request: async () => ({ params: base }) },
  listWorkspaceRuns: { minimum: 'reader', success: 200, request: async () => ({ params: { workspace_id: WS } }) },
  runStatuses: { minimum: 'reader', success: 200, request: async () => ({ params: base, body: { run_ids: [shared.runId] } }) },
  runLogs: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId, run_id: shared.runId } }) },
  jobLogs: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
  jobMetrics: { minimum: 'reader', success: 200, request: async () => ({ params: { ...base, job_id: shared.jobId } }) },
};

const RANK: Record<Minimum, number> = { public: 0, reader: 1, writer: 2, admin: 3 };

/** The documented answer: 401 without a valid key; 404 for a workspace the key cannot see; 403 below the role. */
function expected(caller: Caller, minimum: Minimum, success: number, inWorkspace: boolean): number {
  if (minimum === 'public') return success;
  if (caller === 'none' || caller === 'bad' || caller === 'revoked') return 401;
  if (caller === 'otherWriter' && inWorkspace) return 404;
  const role: Minimum = caller === 'admin' ? 'admin' : caller === 'reader' ? 'reader' : 'writer';
  return RANK[role] >= RANK[minimum] ? success : 403;
}

interface Operation {
  id: string;
  method: string;
  template: string;
}
let operations: Operation[] = [];

beforeAll(async () => {
  t = await startTestService('matrix');
  admin = t.api;
  const key = async (role: string, workspaces: string[]) => (await admin.post('/v1/keys', { name: role, role, workspaces })).body.data;
  const revoked = await key('writer', [WS]);
  await admin.delete(`/v1/keys/${revoked.id}`);
  Object.assign(secrets, {
    none: null,
    bad: 'jobs_this-is-not-a-key-of-this-service',
    revoked: revoked.secret,
    reader: (await key('reader', [WS])).secret,
    otherWriter: (await key('writer', ['other'])).secret,
    writer: (await key('writer', [WS])).secret,
    admin: t.adminKey,
  });
  const jobId = await newJob();
  shared = { jobId, runId: await newRun(jobId) };

  const document = (await admin.get('/v1/openapi.json', { key: null })).body.data;
  for (const [template, item] of Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)) {
    for (const [method, operation] of Object.entries(item)) operations.push({ id: operation.operationId, method: method.toUpperCase(), template });
  }
});
afterAll(() => t.stop());

describe('the access matrix', () => {
  it('covers every route of the OpenAPI document, and only those', () => {
    expect(operations.length).toBeGreaterThan(20);
    expect(operations.map((o) => o.id).sort()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('answers each caller of each route with its exact status', async () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const operation of operations) {
      const row = OPERATIONS[operation.id];
      if (!row) continue; // reported by the coverage test
      const inWorkspace = operation.template.includes('{workspace_id}');
      for (const caller of CALLERS) {
        const want = expected(caller, row.minimum, row.success, inWorkspace);
        // Fresh resources only where the call may succeed and consume them.
        const request = await row.request();
        const path = operation.template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request.params[name] ?? `missing-${name}`));
        const response = await admin.request(operation.method, path, { key: secrets[caller], body: request.body });
        checked++;
        if (response.status !== want) mismatches.push(`${operation.method} ${operation.template} as ${caller}: ${response.status}, expected ${want} (${response.body.message})`);
        else if (want >= 400) expect(response.body.status).toBe('error');
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(operations.length * CALLERS.length);
  }, 120_000);
});
