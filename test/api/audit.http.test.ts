// The audit log through the API: every change of the contract's list told once, by the key that made it, with
// what it changed (never a secret's value); a refused change tells nothing; who may read which log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS } from '../../functions/core/audit.ts';
import { projectPath, startTestService, waitForStatus, type ApiClient, type TestService } from '../helpers/service.ts';

let t: TestService;
const P = projectPath('acme', 'audited');
const SECRET_VALUE = 'never-in-the-audit-4f8a1c';

beforeAll(async () => {
  t = await startTestService('audit-http');
});
afterAll(() => t.stop());

async function keyFor(role: 'writer' | 'reader', workspaces: string[]): Promise<{ id: string; api: ApiClient }> {
  const created = (await t.api.post('/v1/keys', { name: `${role}-${workspaces.join('-')}`, role, workspaces })).body
    .data;
  return { id: created.id, api: t.api.withKey(created.secret) };
}

type Entry = {
  action: string;
  actor: { key_id: string; key_name: string; role: string };
  target: Record<string, string>;
  changes: Record<string, [unknown, unknown]>;
  request_id: string;
  source_ip: string | null;
};

async function workspaceLog(api: ApiClient, query = ''): Promise<Entry[]> {
  const reply = await api.get(`/v1/workspaces/acme/audit?limit=100${query}`);
  expect(reply.status).toBe(200);
  return reply.body.data as Entry[];
}

describe('the audit log', () => {
  it('tells each change once, by its key, with what changed, and nothing of a change refused', async () => {
    const writer = await keyFor('writer', ['acme']);
    const w = writer.api;
    const job = (
      await w.post(`${P}/jobs`, { name: 'audited', image: 'alpine:3', command: ['sleep', '30'], schedule: '0 3 1 1 *' })
    ).body.data;
    const path = `${P}/jobs/${job.id}` as const;
    await w.patch(path, { timeout_seconds: 120 });
    await w.post(`${path}/revisions/1/revert`);
    const run = (await w.post(`${path}/runs`, {})).body.data;
    await waitForStatus(w, `${path}/runs/${run.id}`, ['running'], 30_000);
    await w.post(`${path}/runs/${run.id}/cancel`, { mode: 'force' });
    const again = (await w.post(`${path}/runs/${run.id}/rerun`)).body.data;
    await w.post(`${path}/runs/${again.id}/cancel`, { mode: 'force' });
    const backfilled = (
      await w.post(`${path}/backfill`, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' })
    ).body.data.runs[0];
    await w.post(`${path}/runs/${backfilled!.id}/cancel`, { mode: 'force' });
    expect((await w.request('PUT', `${P}/secrets/token`, { body: { value: SECRET_VALUE } })).status).toBe(201);
    expect((await w.delete(`${P}/secrets/token`)).status).toBe(200);
    await w.request('PUT', `${P}/settings`, { body: { limits: { running_tasks: 5 } } });
    const hook = (await w.post(`${P}/webhooks`, { url: 'http://127.0.0.1:9/hook', events: ['run.failed'] })).body.data;
    await w.patch(`${P}/webhooks/${hook.id}`, { enabled: false });
    await w.post(`${P}/webhooks/${hook.id}/rotate-secret`);
    await w.delete(`${P}/webhooks/${hook.id}`);
    await t.api.request('PUT', '/v1/workspaces/acme/settings', { body: { task_roles: [] } });

    // Refused changes: a bad field (400), a taken name (409), a stale revision (412).
    const before = (await workspaceLog(t.api)).length;
    expect((await w.patch(path, { schedule: 'not a cron' })).status).toBe(400);
    expect((await w.post(`${P}/jobs`, { name: 'audited', image: 'alpine:3', command: ['true'] })).status).toBe(409);
    expect((await w.patch(path, { retries: 2 }, { headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect(await workspaceLog(t.api)).toHaveLength(before);

    await w.delete(path);
    const entries = (await workspaceLog(t.api)).reverse();
    expect(entries.map((e) => e.action)).toEqual([
      'job.create',
      'job.update',
      'job.revert',
      'run.trigger',
      'run.cancel',
      'run.rerun',
      'run.cancel',
      'run.backfill',
      'run.cancel',
      'secret.put',
      'secret.delete',
      'settings.update',
      'webhook.create',
      'webhook.update',
      'webhook.rotate',
      'webhook.delete',
      'settings.update',
      'job.delete',
    ]);
    for (const entry of entries.slice(0, -2)) {
      expect(entry.actor).toEqual({ key_id: writer.id, key_name: 'writer-acme', role: 'writer' });
      expect(entry.request_id).not.toBe('');
      expect(entry.source_ip).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    }
    expect(entries.at(-2)!.actor).toMatchObject({ key_id: 'key_admin', role: 'admin' });
    const byAction = (action: string) => entries.find((e) => e.action === action)!;
    expect(byAction('job.update')).toMatchObject({
      target: { project_id: 'audited', job_id: job.id },
      changes: { timeout_seconds: [3600, 120], revision: [1, 2] },
    });
    expect(byAction('job.revert').changes).toMatchObject({ timeout_seconds: [120, 3600], revision: [2, 3] });
    expect(byAction('run.cancel')).toMatchObject({
      target: { run_id: run.id },
      changes: { status: ['running', 'cancelled'] },
    });
    expect(byAction('secret.put')).toMatchObject({ target: { secret: 'token' }, changes: { version: [null, 1] } });
    expect(byAction('webhook.update').changes).toEqual({ enabled: [true, false] });
    expect(JSON.stringify(entries)).not.toContain(SECRET_VALUE);
    // Every action a workspace's change can be is told here.
    expect(new Set(entries.map((e) => e.action))).toEqual(
      new Set(AUDIT_ACTIONS.filter((action) => !action.startsWith('key.'))),
    );

    // Filters.
    expect((await workspaceLog(t.api, '&action=job.update')).map((e) => e.action)).toEqual(['job.update']);
    expect((await workspaceLog(t.api, `&key_id=key_admin`)).map((e) => e.action)).toEqual(['settings.update']);
    expect(await workspaceLog(t.api, '&project_id=elsewhere')).toEqual([]);
    expect(
      await workspaceLog(t.api, `&start=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`),
    ).toEqual([]);
    expect((await t.api.get('/v1/workspaces/acme/audit?action=job.explode')).body.errors?.[0]?.field).toBe('action');
  });

  it('is read by the workspace’s writers and admins only; keys are told in the service’s own log', async () => {
    const reader = await keyFor('reader', ['acme']);
    const outsider = await keyFor('writer', ['beta']);
    expect((await reader.api.get('/v1/workspaces/acme/audit')).status).toBe(403);
    expect((await outsider.api.get('/v1/workspaces/acme/audit')).status).toBe(404);
    expect((await outsider.api.get('/v1/audit')).status).toBe(403);
    expect((await t.api.request('DELETE', `/v1/keys/${reader.id}`)).status).toBe(200);

    const service = (await t.api.get('/v1/audit?limit=100')).body.data as Entry[];
    const told = service.filter((e) => e.target.key_id === reader.id).map((e) => [e.action, e.changes]);
    expect(told).toEqual([
      ['key.revoke', { revoked: [false, true] }],
      ['key.create', { name: [null, 'reader-acme'], role: [null, 'reader'], workspaces: [null, ['acme']] }],
    ]);
    expect(JSON.stringify(service)).not.toMatch(/jobs_[A-Za-z0-9_-]{43}/);
  });
});
