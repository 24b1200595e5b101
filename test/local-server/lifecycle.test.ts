import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../helpers/service.ts';
import { MAIN, isAlive, spawnService, waitUntil } from '../helpers/process.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-lifecycle-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints the URL and the admin key path when ready, on Node 24, keeps data across a restart, and leaves no engine behind', async () => {
    const dir = dataDir();
    const first = await spawnService({ JOBS_DATA_DIR: dir });
    expect(first.ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.ready.admin_key).toBe(join(dir, 'admin-key'));
    expect(first.lines.some((line) => line.includes(`"node":"${process.version}"`))).toBe(true);
    expect(process.version).toMatch(/^v24\./);

    const keyFile = join(dir, 'admin-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const adminKey = readFileSync(keyFile, 'utf8').trim();
    const api = new ApiClient(first.ready.url, adminKey);
    const created = await api.post('/v1/workspaces/acme/projects/etl/jobs', {
      name: 'survivor',
      image: 'alpine',
      command: 'true',
      tags: { keep: 'yes' },
      schedule: '0 0 1 1 *',
    });
    expect(created.status).toBe(201);
    expect(first.ready).toMatchObject({ schedules: 0, runner: 'process' });
    const key = await api.post('/v1/keys', { name: 'kept', role: 'reader', workspaces: ['acme'] });

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(await waitUntil(() => !isAlive(first.ready.dynamodb_pid), 2_000)).toBe(true);

    const second = await spawnService({ JOBS_DATA_DIR: dir });
    expect(second.ready).toMatchObject({ schedules: 1 }); // the schedule is armed again from the table
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(adminKey);
    const again = new ApiClient(second.ready.url, adminKey);
    const fetched = await again.get(`/v1/workspaces/acme/projects/etl/jobs/${created.body.data.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.data).toEqual(created.body.data);
    expect((await again.withKey(key.body.data.secret).get('/v1/workspaces/acme/projects/etl/jobs')).status).toBe(200);

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(await waitUntil(() => !isAlive(second.ready.dynamodb_pid), 2_000)).toBe(true);
  }, 90_000);

  it('uses JOBS_ADMIN_KEY instead of generating a key file', async () => {
    const dir = dataDir();
    const service = await spawnService({ JOBS_DATA_DIR: dir, JOBS_ADMIN_KEY: 'jobs_from-the-environment' });
    expect(service.ready.admin_key).toBe('JOBS_ADMIN_KEY');
    const api = new ApiClient(service.ready.url, 'jobs_from-the-environment');
    expect((await api.get('/v1/keys')).status).toBe(200);
    expect(() => statSync(join(dir, 'admin-key'))).toThrow();
    service.child.kill('SIGTERM');
    await service.exited;
  }, 60_000);

  it('stops its engine by itself when the service is killed with SIGKILL', async () => {
    const service = await spawnService({ JOBS_DATA_DIR: dataDir() });
    service.child.kill('SIGKILL');
    await service.exited;
    expect(await waitUntil(() => !isAlive(service.ready.dynamodb_pid), 5_000)).toBe(true);
  }, 60_000);

  it('refuses a data directory another running service holds', async () => {
    const dir = dataDir();
    const holder = await spawnService({ JOBS_DATA_DIR: dir });
    await expect(spawnService({ JOBS_DATA_DIR: dir })).rejects.toThrow(/in use by another jobs service/);
    holder.child.kill('SIGTERM');
    await holder.exited;
  }, 60_000);

  it('exits at once, saying what to install, when java is missing', () => {
    const started = Date.now();
    const result = spawnSync(process.execPath, [MAIN], {
      env: { PATH: dirname(process.execPath), JOBS_DATA_DIR: dataDir(), PORT: '0', JOBS_RUNNER: 'process' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/java was not found.*install a Java runtime 17 or newer/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
