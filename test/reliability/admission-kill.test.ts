// The service killed with SIGKILL while a project's 2 slots are held and 5 runs wait: after a restart the two
// running are re-attached and hold their slots again before any waiting run starts, the five wait in their places,
// and all seven finish with never three at once (sampled from the API and from the processes).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runsWithProcesses, spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, eventually } from '../helpers/service.ts';
import type { Run } from '../../client/jobs-client.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-admission-kill-'));
const services: ServiceProcess[] = [];
afterAll(async () => {
  for (const service of services) service.child.kill('SIGTERM');
  await Promise.all(services.map((service) => service.exited));
  rmSync(dataDir, { recursive: true, force: true });
});

const P = '/v1/workspaces/acme/projects/admission-kill';

describe('admission across a SIGKILL of the service', () => {
  it('keeps the limit of 2 across the restart: all seven finish, never three at once', async () => {
    const env = { JOBS_DATA_DIR: dataDir };
    const first = await spawnService(env);
    services.push(first);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let api = new ApiClient(first.ready.url, key);
    expect((await api.request('PUT', `${P}/settings`, { body: { limits: { running_tasks: 2 } } })).status).toBe(200);

    // Every run waits on a gate the test opens, then runs half a second.
    const gate = join(dataDir, 'gate');
    const command = `until [ -e ${gate} ]; do sleep 0.05; done; sleep 0.5`;
    const jobId = (await api.post(`${P}/jobs`, { name: 'gated', image: 'alpine', command })).body.data.id as string;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id as string);
    const runs = async () => (await api.get<string, Run[]>(`${P}/runs?job_id=${jobId}`)).body.data;
    const settledAs = async (running: number, waiting: number) => {
      const listed = await runs();
      return (
        listed.filter((run) => run.status === 'running').length === running &&
        listed.filter((run) => run.queue !== null).length === waiting
      );
    };
    await eventually(() => settledAs(2, 5), 'two running and five waiting');
    expect(runsWithProcesses(ids).size).toBe(2);

    first.child.kill('SIGKILL');
    await first.exited;

    const second = await spawnService(env);
    services.push(second);
    api = new ApiClient(second.ready.url, key);
    // The two re-attached hold the slots: the five wait again, in places 1..5.
    await eventually(() => settledAs(2, 5), 'after the restart: two running and five waiting again');
    expect(
      (await runs())
        .filter((run) => run.queue)
        .map((run) => run.queue!.position)
        .sort(),
    ).toEqual([1, 2, 3, 4, 5]);

    writeFileSync(gate, '');
    let mostApi = 0;
    let mostProcesses = 0;
    await eventually(
      async () => {
        const listed = await runs();
        mostApi = Math.max(mostApi, listed.filter((run) => run.status === 'running').length);
        mostProcesses = Math.max(mostProcesses, runsWithProcesses(ids).size);
        return listed.every((run) => run.status === 'succeeded');
      },
      'all seven succeeded',
      60_000,
      20,
    );
    expect(mostApi).toBeLessThanOrEqual(2);
    expect(mostProcesses).toBeLessThanOrEqual(2);
    expect(mostProcesses).toBeGreaterThan(0);
  });
});
