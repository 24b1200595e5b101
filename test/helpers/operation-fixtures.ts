// For each operation of the API, a request that succeeds for a caller allowed to make it: real ids of a job
// with one finished run, and fresh resources where the call consumes them (a job to delete, a run to cancel, a
// key to revoke). The access matrix and the contract tests both drive every operation through these.
import type { OperationId } from '../../functions/api/routes.ts';
import { job, projectPath, type ApiClient } from './service.ts';

export interface OperationRequest {
  params: Record<string, string>;
  body?: unknown;
}

export type OperationFixtures = Record<OperationId, () => Promise<OperationRequest>>;

export async function operationFixtures(
  admin: ApiClient,
  workspace: string,
  project: string,
): Promise<OperationFixtures> {
  const base = { workspace_id: workspace, project_id: project };
  const newJob = async (command = 'true'): Promise<string> => {
    const response = await admin.post(`${projectPath(workspace, project)}/jobs`, job({ command }));
    if (response.status !== 201) throw new Error(`could not create a job: ${response.body.message}`);
    return response.body.data.id;
  };
  const newRun = async (jobId: string): Promise<string> => {
    const response = await admin.post(`${projectPath(workspace, project)}/jobs/${jobId}/runs`);
    if (response.status !== 202) throw new Error(`could not trigger a run: ${response.body.message}`);
    return response.body.data.id;
  };
  const newWebhook = async (): Promise<string> => {
    const response = await admin.post(`${projectPath(workspace, project)}/webhooks`, {
      url: 'http://127.0.0.1:9/hook',
      events: ['run.failed'],
    });
    if (response.status !== 201) throw new Error(`could not create a webhook: ${response.body.message}`);
    return response.body.data.id;
  };
  let secrets = 0;
  const newSecret = async (): Promise<string> => {
    const name = `secret-${++secrets}`;
    const response = await admin.request('PUT', `${projectPath(workspace, project)}/secrets/${name}`, {
      body: { value: 'fixture value' },
    });
    if (response.status !== 201) throw new Error(`could not create a secret: ${response.body.message}`);
    return name;
  };
  let keptSecret: Promise<string> | undefined;
  const sharedSecret = () => (keptSecret ??= newSecret());
  // One webhook serves the calls that leave it in place; a project holds at most 20.
  let kept: Promise<string> | undefined;
  const sharedWebhook = () => (kept ??= newWebhook());
  const jobId = await newJob();
  const shared = { ...base, job_id: jobId, run_id: await newRun(jobId) };
  const onJob = { ...base, job_id: jobId };
  return {
    health: async () => ({ params: {} }),
    openapi: async () => ({ params: {} }),
    createKey: async () => ({ params: {}, body: { name: 'made', role: 'reader', workspaces: [workspace] } }),
    listKeys: async () => ({ params: {} }),
    revokeKey: async () => ({
      params: {
        key_id: (await admin.post('/v1/keys', { name: 'to-revoke', role: 'reader', workspaces: [workspace] })).body.data
          .id,
      },
    }),
    listJobs: async () => ({ params: base }),
    createJob: async () => ({ params: base, body: job() }),
    getJob: async () => ({ params: onJob }),
    patchJob: async () => ({ params: onJob, body: { timeout_seconds: 120 } }),
    deleteJob: async () => ({ params: { ...base, job_id: await newJob() } }),
    listJobRevisions: async () => ({ params: onJob }),
    getJobRevision: async () => ({ params: { ...onJob, revision: '1' } }),
    revertJob: async () => ({ params: { ...onJob, revision: '1' } }),
    triggerRun: async () => ({ params: onJob }),
    backfillJob: async () => {
      const scheduled = await admin.post(`${projectPath(workspace, project)}/jobs`, job({ schedule: '0 3 * * *' }));
      return {
        params: { ...base, job_id: scheduled.body.data.id },
        body: { start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z' },
      };
    },
    listJobRuns: async () => ({ params: onJob }),
    getRun: async () => ({ params: shared }),
    cancelRun: async () => {
      const sleeper = await newJob('sleep 30');
      return { params: { ...base, job_id: sleeper, run_id: await newRun(sleeper) }, body: { mode: 'force' } };
    },
    rerun: async () => ({ params: shared }),
    listRunTasks: async () => ({ params: shared }),
    jobStatus: async () => ({ params: onJob }),
    listProjectRuns: async () => ({ params: base }),
    listWorkspaceRuns: async () => ({ params: { workspace_id: workspace } }),
    runStatuses: async () => ({ params: base, body: { run_ids: [shared.run_id] } }),
    runLogs: async () => ({ params: shared }),
    jobLogs: async () => ({ params: onJob }),
    jobMetrics: async () => ({ params: onJob }),
    listWebhooks: async () => ({ params: base }),
    createWebhook: async () => ({ params: base, body: { url: 'http://127.0.0.1:9/hook', events: ['run.failed'] } }),
    getWebhook: async () => ({ params: { ...base, webhook_id: await sharedWebhook() } }),
    patchWebhook: async () => ({ params: { ...base, webhook_id: await sharedWebhook() }, body: { enabled: false } }),
    deleteWebhook: async () => ({ params: { ...base, webhook_id: await newWebhook() } }),
    getWorkspaceSettings: async () => ({ params: { workspace_id: workspace } }),
    putWorkspaceSettings: async () => ({ params: { workspace_id: workspace }, body: {} }),
    listWorkspaceAudit: async () => ({ params: { workspace_id: workspace } }),
    listServiceAudit: async () => ({ params: {} }),
    serviceMetrics: async () => ({ params: {} }),
    getProjectSettings: async () => ({ params: base }),
    putProjectSettings: async () => ({ params: base, body: { weight: 2 } }),
    listSecrets: async () => ({ params: base }),
    getSecret: async () => ({ params: { ...base, name: await sharedSecret() } }),
    putSecret: async () => ({ params: { ...base, name: `made-secret-${++secrets}` }, body: { value: 'a value' } }),
    deleteSecret: async () => ({ params: { ...base, name: await newSecret() } }),
    rotateWebhookSecret: async () => ({ params: { ...base, webhook_id: await sharedWebhook() } }),
    testWebhook: async () => ({ params: { ...base, webhook_id: await sharedWebhook() } }),
    listDeliveries: async () => ({ params: { ...base, webhook_id: await sharedWebhook() } }),
    redeliver: async () => {
      const webhookId = await sharedWebhook();
      const delivery = await admin.post(`${projectPath(workspace, project)}/webhooks/${webhookId}/test`);
      return { params: { ...base, webhook_id: webhookId, delivery_id: delivery.body.data.id } };
    },
  };
}

/** The request path of a route template with the request's parameters filled in. */
export function fillPath(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
}
