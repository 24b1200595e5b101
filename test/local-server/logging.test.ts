// Every line the service writes is one JSON object, request lines carry the request id and the ids of what they
// touch, run lines carry the run's ids, and no secret (an API key, an env value) ever appears in any line.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService } from '../helpers/process.ts';
import { ApiClient, eventually, waitForStatus } from '../helpers/service.ts';

const dir = mkdtempSync(join(tmpdir(), 'jobs-logging-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  jobEnv: 'job-env-value-4f1c9e',
  overrideEnv: 'override-env-value-7a2b3d',
  rejectedBody: 'rejected-body-value-9e8d7c',
  badBearer: 'jobs_bearer-that-is-not-a-key-5b6a',
};

describe('the service log', () => {
  it('is structured JSON with ids and request ids, and never shows a secret', async () => {
    const service = await spawnService({ JOBS_DATA_DIR: dir, LOG_LEVEL: 'DEBUG' });
    const adminKey = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
    const api = new ApiClient(service.ready.url, adminKey);
    const P = '/v1/workspaces/acme/projects/logging';
    let createdKey = '';
    try {
      const job = (
        await api.post(`${P}/jobs`, {
          name: 'secretive',
          image: 'alpine',
          command: 'echo "$TOKEN $EXTRA"',
          env: { TOKEN: SECRETS.jobEnv },
        })
      ).body.data;
      const run = (
        await api.post(
          `${P}/jobs/${job.id}/runs`,
          { env: { EXTRA: SECRETS.overrideEnv } },
          { headers: { 'idempotency-key': 'logging-1' } },
        )
      ).body.data;
      await waitForStatus(api, `${P}/jobs/${job.id}/runs/${run.id}`, ['succeeded']);
      await api.get(`${P}/jobs/${job.id}`);
      await api.get(`${P}/jobs/${job.id}/runs/${run.id}/logs`);
      expect(
        (
          await api.post(`${P}/jobs`, {
            name: 'bad',
            image: 'alpine',
            command: 'true',
            env: { '1BAD': SECRETS.rejectedBody },
          })
        ).status,
      ).toBe(400);
      expect((await api.withKey(SECRETS.badBearer).get(`${P}/jobs`)).status).toBe(401);
      const created = (await api.post('/v1/keys', { name: 'ci', role: 'reader', workspaces: ['acme'] })).body.data;
      createdKey = created.secret;
      await api.withKey(createdKey).get(`${P}/jobs/${job.id}`);
      // The last request's own line has reached the service's output.
      await eventually(
        () => service.lines.some((line) => line.includes(`"key_id":"${created.id}"`)),
        "the reader key's request logged",
      );

      const lines = service.lines.filter((line) => line.trim() !== '');
      expect(lines.length).toBeGreaterThan(10);
      const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const entry of entries) {
        expect(entry).toMatchObject({
          level: expect.any(String),
          message: expect.any(String),
          timestamp: expect.any(String),
          service: 'jobs-local',
        });
      }
      const requests = entries.filter((e) => e.message === 'request' || e.message === 'request rejected');
      expect(requests.length).toBeGreaterThanOrEqual(8);
      for (const entry of requests) expect(entry.request_id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
      expect(
        requests.find((e) => e.route === 'POST /v1/workspaces/{workspace_id}/projects/{project_id}/jobs/{job_id}/runs'),
      ).toMatchObject({
        workspace_id: 'acme',
        project_id: 'logging',
        job_id: job.id,
        key_id: 'key_admin',
        status: 202,
      });
      expect(requests.find((e) => e.status === 401)).toBeDefined();
      const attempts = entries.filter((e) => e.message === 'run attempt ended');
      expect(attempts).toContainEqual(
        expect.objectContaining({
          workspace_id: 'acme',
          project_id: 'logging',
          job_id: job.id,
          run_id: run.id,
          exit_code: 0,
          outcome: 'done',
        }),
      );

      const everything = lines.join('\n');
      for (const secret of [...Object.values(SECRETS), adminKey, createdKey]) expect(everything).not.toContain(secret);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  }, 60_000);
});
