// Twenty restarts in a row, each started right after the previous service was told to stop: SIGTERM, SIGINT to
// its process group (Ctrl-C in a terminal) or SIGKILL to its group. Every start must get ready, never beside a
// second engine on the same files, and a run in flight at the stop must end with the true reason: killed and
// settled when the service stopped itself, re-attached and finished when it was killed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enginesOn, spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, eventually, waitForRun, waitForStatus, type RunPath } from '../helpers/service.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-restarts-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const P = '/v1/workspaces/acme/projects/restarts';
const STOPS = ['SIGTERM', 'SIGINT to the group', 'SIGKILL to the group'] as const;
type Stop = (typeof STOPS)[number];

function send(service: ServiceProcess, stop: Stop): void {
  const pid = service.child.pid as number;
  if (stop === 'SIGTERM') process.kill(pid, 'SIGTERM');
  else process.kill(-pid, stop === 'SIGINT to the group' ? 'SIGINT' : 'SIGKILL');
}

describe('twenty restarts in a row', () => {
  it('each starts within 200 ms of the stop, gets ready beside exactly one engine, and loses nothing', async () => {
    const env = { JOBS_DATA_DIR: dataDir };
    let service = await spawnService(env, 30_000, { group: true });
    const all = [service];
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const readyMs: Record<Stop, number[]> = { SIGTERM: [], 'SIGINT to the group': [], 'SIGKILL to the group': [] };
    const jobs: string[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const stop = STOPS[i % 3] as Stop;
        let api = new ApiClient(service.ready.url, key);
        const job = (await api.post(`${P}/jobs`, { name: `restart-${i}`, image: 'alpine', command: 'true' })).body.data;
        jobs.push(job.id);
        // Half the stops find a run in flight, held by a file until the test removes it.
        let inFlight: { path: RunPath; hold: string } | undefined;
        if (i % 2 === 0) {
          const hold = join(dataDir, `hold-${i}`);
          writeFileSync(hold, '');
          const held = (
            await api.post(`${P}/jobs`, {
              name: `held-${i}`,
              image: 'alpine',
              command: `echo started; while [ -e ${hold} ]; do sleep 0.05; done; echo released`,
            })
          ).body.data;
          jobs.push(held.id);
          const run = (await api.post(`${P}/jobs/${held.id}/runs`)).body.data;
          inFlight = { path: `${P}/jobs/${held.id}/runs/${run.id}`, hold };
          await waitForStatus(api, inFlight.path, ['running']);
          await eventually(
            async () => (await api.get(`${inFlight!.path}/logs`)).body.data.length > 0,
            'the first line stored',
          );
        }

        const previous = service;
        const stoppedAt = Date.now();
        send(previous, stop);
        service = await spawnService(env, 60_000, { group: true });
        all.push(service);
        readyMs[stop].push(Date.now() - stoppedAt);
        await previous.exited;

        expect(enginesOn(join(dataDir, 'dynamodb')), `after ${stop} (restart ${i + 1})`).toEqual([
          service.ready.dynamodb_pid,
        ]);
        api = new ApiClient(service.ready.url, key);
        const listed = (await api.get(`${P}/jobs?limit=100`)).body.data.map((j: { id: string }) => j.id);
        expect(listed.sort()).toEqual([...jobs].sort());
        if (!inFlight) continue;
        if (stop === 'SIGKILL to the group') {
          // Nobody stopped it: it outlived the service, is taken back, and finishes when released.
          expect((await api.get(inFlight.path)).body.data.status).toBe('running');
          rmSync(inFlight.hold);
          expect(await waitForRun(api, inFlight.path, (r) => r.status === 'succeeded', 'succeeded')).toMatchObject({
            exit_code: 0,
          });
        } else {
          const signal = stop === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
          expect((await api.get(inFlight.path)).body.data).toMatchObject({
            status: 'failed',
            exit_code: 137,
            error: `the local service stopped (${signal}) during the run`,
          });
          rmSync(inFlight.hold);
        }
      }
      const figures = Object.fromEntries(
        Object.entries(readyMs).map(([stop, list]) => [
          stop,
          {
            restarts: list.length,
            median_ms: [...list].sort((a, b) => a - b)[list.length >> 1],
            max_ms: Math.max(...list),
          },
        ]),
      );
      console.log(JSON.stringify({ fault: 'restart right after a stop', figures }));
    } finally {
      for (const s of all) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGTERM');
      await Promise.all(all.map((s) => s.exited));
    }
  }, 600_000);
});
