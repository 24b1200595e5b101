// Workspace and project settings through the API, and a job's task_role: only a role its workspace lists, recorded
// on its runs (locally not assumed, and the run says so).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, projectPath, startTestService, waitForStatus, type TestService } from '../helpers/service.ts';

const W = '/v1/workspaces/settings-ws';
const P = projectPath('settings-ws', 'etl');
const ROLE = 'arn:aws:iam::123456789012:role/jobs-tasks/etl';
let t: TestService;

beforeAll(async () => {
  t = await startTestService('settings');
});
afterAll(() => t?.stop());

describe('settings', () => {
  it('answers the defaults until set, and a PUT replaces them whole', async () => {
    expect((await t.api.get(`${W}/settings`)).body.data).toEqual({
      limits: { running_tasks: null, cpu: null },
      task_roles: [],
      linked_secret_arns: [],
    });
    expect((await t.api.get(`${P}/settings`)).body.data).toEqual({
      limits: { running_tasks: null, cpu: null },
      weight: 1,
    });
    const set = await t.api.request('PUT', `${W}/settings`, {
      body: { limits: { running_tasks: 20 }, task_roles: [ROLE, ROLE] },
    });
    expect(set.status).toBe(200);
    expect(set.body.data).toEqual({
      limits: { running_tasks: 20, cpu: null },
      task_roles: [ROLE],
      linked_secret_arns: [],
    });
    expect((await t.api.get(`${W}/settings`)).body.data).toEqual(set.body.data);
    const project = await t.api.request('PUT', `${P}/settings`, { body: { limits: { cpu: 4 }, weight: 3 } });
    expect(project.body.data).toEqual({ limits: { running_tasks: null, cpu: 4 }, weight: 3 });
    expect((await t.api.request('PUT', `${P}/settings`, { body: {} })).body.data).toEqual({
      limits: { running_tasks: null, cpu: null },
      weight: 1,
    });
  });

  it('refuses what a setting cannot be, naming the field', async () => {
    const put = (path: string, body: unknown) => t.api.request('PUT', path, { body });
    expect((await put(`${P}/settings`, { weight: 0 })).body.errors?.[0]?.field).toBe('weight');
    expect((await put(`${P}/settings`, { limits: { running_tasks: 0 } })).body.errors?.[0]?.field).toBe(
      'limits.running_tasks',
    );
    expect((await put(`${W}/settings`, { task_roles: ['role/etl'] })).body.errors?.[0]?.field).toBe('task_roles.0');
    expect((await put(`${W}/settings`, { linked_secret_arns: ['*'] })).body.errors?.[0]?.field).toBe(
      'linked_secret_arns.0',
    );
    expect((await put(`${W}/settings`, { extra: true })).status).toBe(400);
  });

  it('lets a job run as a role only its workspace lists, and records it on its runs, not assumed locally', async () => {
    await t.api.request('PUT', `${W}/settings`, { body: { task_roles: [ROLE] } });
    const other = 'arn:aws:iam::123456789012:role/jobs-tasks/other';
    const refused = await t.api.post(`${P}/jobs`, job({ task_role: other }));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      { field: 'task_role', message: `${other} is not one of the workspace's task_roles` },
    ]);
    const created = await t.api.post(`${P}/jobs`, job({ task_role: ROLE, command: 'true' }));
    expect(created.status).toBe(201);
    expect(created.body.data.task_role).toBe(ROLE);
    expect((await t.api.patch(`${P}/jobs/${created.body.data.id}`, { task_role: other })).status).toBe(400);
    const run = (await t.api.post(`${P}/jobs/${created.body.data.id}/runs`)).body.data;
    expect(run.backend.task_role).toEqual({ arn: ROLE, assumed: false });
    const done = await waitForStatus(t.api, `${P}/jobs/${created.body.data.id}/runs/${run.id}`, ['succeeded']);
    expect(done.backend.task_role).toEqual({ arn: ROLE, assumed: false });
    // A role taken off the list stays on the jobs that have it (a setting never changes what exists), but cannot be set again.
    await t.api.request('PUT', `${W}/settings`, { body: {} });
    expect((await t.api.get(`${P}/jobs/${created.body.data.id}`)).body.data.task_role).toBe(ROLE);
    expect((await t.api.post(`${P}/jobs`, job({ task_role: ROLE }))).status).toBe(400);
  });

  it('gives host processes the network they share with the service: none is refused, naming network', async () => {
    const none = await t.api.post(`${P}/jobs`, job({ network: 'none' }));
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([
      { field: 'network', message: expect.stringMatching(/^none needs a container engine/) },
    ]);
    const created = await t.api.post(`${P}/jobs`, job({ network: 'private' }));
    expect(created.body.data.network).toBe('private');
    expect((await t.api.patch(`${P}/jobs/${created.body.data.id}`, { network: 'none' })).body.errors?.[0]?.field).toBe(
      'network',
    );
    expect((await t.api.post(`${P}/jobs`, job({ network: 'bridge' }))).body.errors?.[0]?.field).toBe('network');
  });
});
