// The webhook routes over HTTP: the secret only in the replies of create and rotate-secret, bad input answered
// 400 naming its field with nothing created, and a webhook of another project not found.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectPath, startTestService, type TestService } from '../helpers/service.ts';

let t: TestService;
const P = projectPath('acme', 'hooks');
beforeAll(async () => {
  t = await startTestService('webhooks-http');
});
afterAll(() => t?.stop());

describe('webhooks', () => {
  it('shows the secret once, on create and on rotate, and never on reads', async () => {
    const created = await t.api.post(`${P}/webhooks`, {
      url: 'http://127.0.0.1:9/hook',
      events: ['run.failed'],
      description: 'on-call',
    });
    expect(created.status).toBe(201);
    expect(created.body.data.secret).toMatch(/^whsec_/);
    const id = created.body.data.id;
    expect(JSON.stringify((await t.api.get(`${P}/webhooks/${id}`)).body)).not.toContain('whsec_');
    expect(JSON.stringify((await t.api.get(`${P}/webhooks`)).body)).not.toContain('whsec_');
    const rotated = await t.api.post(`${P}/webhooks/${id}/rotate-secret`);
    expect(rotated.body.data.secret).toMatch(/^whsec_/);
    expect(rotated.body.data.secret).not.toBe(created.body.data.secret);
    expect(
      (await t.api.patch(`${P}/webhooks/${id}`, { events: ['run.succeeded', 'run.failed'] })).body.data.events,
    ).toEqual(['run.succeeded', 'run.failed']);
    expect((await t.api.delete(`${P}/webhooks/${id}`)).status).toBe(200);
    expect((await t.api.get(`${P}/webhooks/${id}`)).status).toBe(404);
    expect((await t.api.get(`${projectPath('acme', 'elsewhere')}/webhooks/${id}`)).status).toBe(404);
  });

  it.each([
    [{ url: 'http://127.0.0.1:9/hook', events: ['run.exploded'] }, 'events.0'],
    [{ url: 'http://127.0.0.1:9/hook', events: [] }, 'events'],
    [{ url: 'http://127.0.0.1:9/hook', events: ['run.failed', 'run.failed'] }, 'events'],
    [{ url: `http://127.0.0.1:9/${'a'.repeat(2050)}`, events: ['run.failed'] }, 'url'],
    [{ url: 'http://10.0.0.8/hook', events: ['run.failed'] }, 'url'],
    [{ url: 'ftp://127.0.0.1/hook', events: ['run.failed'] }, 'url'],
    [{ url: 'http://127.0.0.1:9/hook', events: ['run.failed'], job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' }, 'job_id'],
    [{ url: 'http://127.0.0.1:9/hook', events: ['run.failed'], secret: 'mine' }, 'secret'],
  ])('refuses %o naming %s, and creates nothing', async (body, field) => {
    const before = (await t.api.get(`${P}/webhooks?limit=100`)).body.data.length;
    const response = await t.api.post(`${P}/webhooks`, body);
    expect(response.status).toBe(400);
    expect(response.body.errors?.map((e) => e.field)).toContain(field);
    expect((await t.api.get(`${P}/webhooks?limit=100`)).body.data.length).toBe(before);
  });

  it("answers a project's 21st webhook 409, a limit reached, naming project_id", async () => {
    const full = projectPath('acme', 'full-of-hooks');
    for (let i = 0; i < 20; i++) {
      expect(
        (await t.api.post(`${full}/webhooks`, { url: `http://127.0.0.1:9/${i}`, events: ['run.failed'] })).status,
      ).toBe(201);
    }
    const refused = await t.api.post(`${full}/webhooks`, { url: 'http://127.0.0.1:9/21', events: ['run.failed'] });
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([
      { field: 'project_id', message: expect.stringMatching(/20 webhooks, the most a project may have/) },
    ]);
  });
});
