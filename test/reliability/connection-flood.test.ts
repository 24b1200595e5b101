// A flood of connections that never finish their headers, more than the service's file limit (prlimit 2048):
// the service refuses what it cannot hold at the door, keeps descriptors for its own work (its run goes on and
// finishes, /proc is still read), stays up with its engine, and answers health once the flood stops.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileDescriptorLimit } from '../../local-server/api-gateway.ts';
import { isAlive, spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, runPid, waitForStatus } from '../helpers/service.ts';
import { floodSockets } from '../helpers/socket-flood.ts';
import { eventually } from '../helpers/wait.ts';

const FILE_LIMIT = 2048;
const P = '/v1/workspaces/acme/projects/flood';
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-flood-'));
let service: ServiceProcess;
let api: ApiClient;

beforeAll(async () => {
  service = await spawnService({ JOBS_DATA_DIR: dataDir }, 60_000, {
    prefix: ['prlimit', `--nofile=${FILE_LIMIT}:${FILE_LIMIT}`, '--'],
  });
  api = new ApiClient(service.ready.url, readFileSync(join(dataDir, 'admin-key'), 'utf8').trim());
});
afterAll(async () => {
  service?.child.kill('SIGTERM');
  await service?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a flood of slow connections', () => {
  it('is refused beyond what the service holds, while it stays up, its run finishes and health answers after', async () => {
    const flooding = FILE_LIMIT + 1000;
    expect(fileDescriptorLimit(), 'this test process must hold the flood itself').toBeGreaterThan(flooding + 500);
    const job = (await api.post(`${P}/jobs`, { name: 'steady', image: 'alpine', command: 'sleep 2; echo finished' }))
      .body.data;
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const path = `${P}/jobs/${job.id}/runs/${run.id}` as const;
    const pid = runPid(await waitForStatus(api, path, ['running']));

    const port = Number(new URL(service.ready.url).port);
    const flood = await floodSockets(port, flooding);
    try {
      // Held: half the file limit; the rest closed at once, as soon as the server takes them from its queue.
      await eventually(
        () => flood.refused + flood.open() === flood.opened && flood.open() <= FILE_LIMIT / 2,
        'the connections beyond the limit refused',
        20_000,
      );
      const held = flood.open();
      expect(held).toBeGreaterThan(FILE_LIMIT / 4);
      expect(flood.refused).toBeGreaterThanOrEqual(flooding - FILE_LIMIT / 2);
      const serviceDescriptors = readdirSync(`/proc/${service.child.pid}/fd`).length;
      expect(serviceDescriptors).toBeLessThan(FILE_LIMIT - 200);
      // The run goes on under the flood and ends; the service and its engine are still there.
      await eventually(() => !isAlive(pid), 'the run ended under the flood', 20_000);
      expect(service.child.exitCode).toBeNull();
      expect(isAlive(service.ready.dynamodb_pid)).toBe(true);
      console.info(
        JSON.stringify({
          fault: 'connection flood',
          file_limit: FILE_LIMIT,
          opened: flood.opened,
          held,
          refused: flood.refused,
          service_descriptors: serviceDescriptors,
        }),
      );
    } finally {
      flood.stop();
    }
    await eventually(
      async () => (await api.get('/v1/health', { key: null })).status === 200,
      'health answers once the flood stops',
      20_000,
    );
    expect(await waitForStatus(api, path, ['succeeded', 'failed', 'cancelled'])).toMatchObject({
      status: 'succeeded',
      exit_code: 0,
    });
    expect((await api.get(`${path}/logs`)).body.data.map((l: { message: string }) => l.message)).toEqual(['finished']);
    expect(service.lines.some((line) => line.includes('refusing new connections'))).toBe(true);
    expect(service.lines.filter((line) => /uncaught|"level":"ERROR"/.test(line))).toEqual([]);
  }, 120_000);
});
