// Run-after chains across a SIGKILL of the service: twenty upstream runs end around the kill. Half end just before
// it (the kill follows the first of them seen succeeded, so the others end in the very moment of the kill or their
// events are on their way), half while the service is down. After the restart each upstream run has succeeded and
// each downstream job has run exactly once, caused by its upstream's run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../functions/adapters/local/process-tree.ts';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, eventually, runPid, waitForStatus } from '../helpers/service.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-chain-kill-'));
const services: ServiceProcess[] = [];
afterAll(async () => {
  for (const service of services) service.child.kill('SIGTERM');
  await Promise.all(services.map((service) => service.exited));
  rmSync(dataDir, { recursive: true, force: true });
});

const P = '/v1/workspaces/acme/projects/chained';
const PAIRS = 20;

describe('run-after chains across a SIGKILL of the service', () => {
  it('runs each downstream job exactly once after its upstream run ends, however the kill fell', async () => {
    const env = { JOBS_DATA_DIR: dataDir, JOBS_CAPACITY_CPU: '64', JOBS_CAPACITY_MEMORY_MB: '65536' };
    const first = await spawnService(env);
    services.push(first);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let api = new ApiClient(first.ready.url, key);
    const holds = { before: join(dataDir, 'hold-before'), down: join(dataDir, 'hold-down') };
    for (const hold of Object.values(holds)) writeFileSync(hold, '');
    const pairs = await Promise.all(
      Array.from({ length: PAIRS }, async (_, i) => {
        const hold = i % 2 === 0 ? holds.before : holds.down;
        const command = `while [ -e ${hold} ]; do sleep 0.05; done; echo done-${i}`;
        const up = (await api.post(`${P}/jobs`, { name: `up-${i}`, image: 'alpine', command })).body.data;
        const down = (
          await api.post(`${P}/jobs`, {
            name: `down-${i}`,
            image: 'alpine',
            command: 'true',
            run_after: [{ job: `up-${i}`, on: 'succeeded' }],
          })
        ).body.data;
        const run = (await api.post(`${P}/jobs/${up.id}/runs`)).body.data.id as string;
        return { up: up.id as string, down: down.id as string, run, path: `${P}/jobs/${up.id}/runs/${run}` };
      }),
    );
    const pids = await Promise.all(pairs.map(async (pair) => runPid(await waitForStatus(api, pair.path, ['running']))));

    rmSync(holds.before);
    await eventually(
      async () => (await api.get(`${P}/runs?status=succeeded&trigger=manual&limit=1`)).body.data.length > 0,
      'the first upstream run succeeded',
      30_000,
      5,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    rmSync(holds.down);
    await eventually(() => pids.every((pid) => !isRunning(pid)), 'every upstream process ended');

    const second = await spawnService(env);
    services.push(second);
    api = new ApiClient(second.ready.url, key);
    for (const pair of pairs) expect(await waitForStatus(api, pair.path, ['succeeded'], 30_000)).toBeTruthy();
    const downstream = async (pair: (typeof pairs)[number]) =>
      (await api.get(`${P}/jobs/${pair.down}/runs`)).body.data as Array<{
        status: string;
        caused_by: { job_id: string; run_id: string } | null;
      }>;
    await eventually(
      async () => {
        for (const pair of pairs) {
          const runs = await downstream(pair);
          if (runs.length !== 1 || runs[0]!.status !== 'succeeded') return false;
        }
        return true;
      },
      'each downstream job ran once and succeeded',
      60_000,
    );
    for (const pair of pairs) {
      const runs = await downstream(pair);
      expect(runs).toHaveLength(1);
      expect(runs[0]!.caused_by).toEqual({ job_id: pair.up, run_id: pair.run });
    }
  });
});
