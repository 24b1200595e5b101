// Every route of the OpenAPI document against every kind of caller: no key, a bad key, a revoked key, a reader,
// a writer of another workspace, a writer and an admin, each answered with its exact status. The routes come
// from the document the service serves, and each must have a row below: a new route without one fails here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationId } from '../../functions/api/routes.ts';
import { fillPath, operationFixtures, type OperationFixtures } from '../helpers/operation-fixtures.ts';
import { startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

type Caller = 'none' | 'bad' | 'revoked' | 'reader' | 'otherWriter' | 'writer' | 'admin';
const CALLERS: Caller[] = ['none', 'bad', 'revoked', 'reader', 'otherWriter', 'writer', 'admin'];
/** Who a route is documented for (API.md), and what it answers when allowed. */
type Minimum = 'public' | 'reader' | 'writer' | 'admin';

let t: TestService;
let admin: ApiClient;
let fixtures: OperationFixtures;
const secrets = {} as Record<Caller, string | null>;
const WS = 'acme';
const PROJECT = 'matrix';

/** Each operation: who may call it (API.md) and its success status. */
const OPERATIONS: Record<OperationId, { minimum: Minimum; success: number }> = {
  health: { minimum: 'public', success: 200 },
  openapi: { minimum: 'public', success: 200 },
  createKey: { minimum: 'admin', success: 201 },
  listKeys: { minimum: 'admin', success: 200 },
  revokeKey: { minimum: 'admin', success: 200 },
  listJobs: { minimum: 'reader', success: 200 },
  createJob: { minimum: 'writer', success: 201 },
  getJob: { minimum: 'reader', success: 200 },
  patchJob: { minimum: 'writer', success: 200 },
  deleteJob: { minimum: 'writer', success: 200 },
  listJobRevisions: { minimum: 'reader', success: 200 },
  getJobRevision: { minimum: 'reader', success: 200 },
  revertJob: { minimum: 'writer', success: 200 },
  triggerRun: { minimum: 'writer', success: 202 },
  backfillJob: { minimum: 'writer', success: 202 },
  listJobRuns: { minimum: 'reader', success: 200 },
  getRun: { minimum: 'reader', success: 200 },
  cancelRun: { minimum: 'writer', success: 200 },
  rerun: { minimum: 'writer', success: 202 },
  listRunTasks: { minimum: 'reader', success: 200 },
  jobStatus: { minimum: 'reader', success: 200 },
  listProjectRuns: { minimum: 'reader', success: 200 },
  listWorkspaceRuns: { minimum: 'reader', success: 200 },
  runStatuses: { minimum: 'reader', success: 200 },
  runLogs: { minimum: 'reader', success: 200 },
  jobLogs: { minimum: 'reader', success: 200 },
  jobMetrics: { minimum: 'reader', success: 200 },
  listWebhooks: { minimum: 'writer', success: 200 },
  createWebhook: { minimum: 'writer', success: 201 },
  getWebhook: { minimum: 'writer', success: 200 },
  patchWebhook: { minimum: 'writer', success: 200 },
  deleteWebhook: { minimum: 'writer', success: 200 },
  getWorkspaceSettings: { minimum: 'reader', success: 200 },
  putWorkspaceSettings: { minimum: 'admin', success: 200 },
  listWorkspaceAudit: { minimum: 'writer', success: 200 },
  listServiceAudit: { minimum: 'admin', success: 200 },
  serviceMetrics: { minimum: 'admin', success: 200 },
  getProjectSettings: { minimum: 'reader', success: 200 },
  putProjectSettings: { minimum: 'writer', success: 200 },
  listSecrets: { minimum: 'reader', success: 200 },
  getSecret: { minimum: 'reader', success: 200 },
  putSecret: { minimum: 'writer', success: 201 },
  deleteSecret: { minimum: 'writer', success: 200 },
  rotateWebhookSecret: { minimum: 'writer', success: 200 },
  testWebhook: { minimum: 'writer', success: 202 },
  listDeliveries: { minimum: 'writer', success: 200 },
  redeliver: { minimum: 'writer', success: 202 },
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
const operations: Operation[] = [];

beforeAll(async () => {
  t = await startTestService('matrix');
  admin = t.api;
  const key = async (role: string, workspaces: string[]) =>
    (await admin.post('/v1/keys', { name: role, role, workspaces })).body.data;
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
  fixtures = await operationFixtures(admin, WS, PROJECT);

  const document = (await admin.get('/v1/openapi.json', { key: null })).body as any;
  for (const [template, item] of Object.entries(
    document.paths as Record<string, Record<string, { operationId: string }>>,
  )) {
    for (const [method, operation] of Object.entries(item))
      operations.push({ id: operation.operationId, method: method.toUpperCase(), template });
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
      const row = OPERATIONS[operation.id as OperationId];
      if (!row) continue; // reported by the coverage test
      const inWorkspace = operation.template.includes('{workspace_id}');
      for (const caller of CALLERS) {
        const want = expected(caller, row.minimum, row.success, inWorkspace);
        // Fresh resources only where the call may succeed and consume them.
        const request = await fixtures[operation.id as OperationId]();
        const path = fillPath(operation.template, request.params);
        const response = await admin.request(operation.method, path, { key: secrets[caller], body: request.body });
        checked++;
        if (response.status !== want)
          mismatches.push(
            `${operation.method} ${operation.template} as ${caller}: ${response.status}, expected ${want} (${response.body.message})`,
          );
        else if (want >= 400) expect(response.body.status).toBe('error');
      }
    }
    expect(mismatches).toEqual([]);
    expect(checked).toBe(operations.length * CALLERS.length);
  }, 120_000);
});
