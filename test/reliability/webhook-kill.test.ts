// Nothing lost: 50 runs end while the service is killed with SIGKILL and started again. Half end just before
// the kill (the kill follows the first of their deliveries, so the rest are in the outbox or pending), half
// while it is down. After the restart every run's events reach the project's receiver at least once, verified
// by the standardwebhooks library; the other project's receiver gets only its own project's events; and an
// event that arrives twice arrives with the same webhook-id.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRunning } from '../../functions/adapters/local/process-tree.ts';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';
import { startReceiver, type Received, type Receiver } from '../helpers/receiver.ts';
import { ApiClient, eventually, runPid, waitForStatus, type ProjectPath } from '../helpers/service.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-webhook-kill-'));
const services: ServiceProcess[] = [];
let receiver: Receiver;
let received: Received[];
let base: string;

beforeAll(async () => {
  receiver = await startReceiver();
  ({ received, base } = receiver);
});
afterAll(async () => {
  for (const service of services) service.child.kill('SIGTERM');
  await Promise.all(services.map((service) => service.exited));
  receiver?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const A = '/v1/workspaces/acme/projects/hooked';
const B = '/v1/workspaces/acme/projects/neighbour';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

describe('webhook deliveries across a SIGKILL of the service', () => {
  it('delivers every event of 50 runs ending around the kill at least once, to its own project only', async () => {
    // Fifty-five runs of 512 MiB held at once (the host's capacity is raised for them: this test is about the kill).
    const env = { JOBS_DATA_DIR: dataDir, JOBS_CAPACITY_CPU: '64', JOBS_CAPACITY_MEMORY_MB: '65536' };
    const first = await spawnService(env);
    services.push(first);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let api = new ApiClient(first.ready.url, key);
    const events = ['run.started', 'run.succeeded', 'run.failed', 'run.cancelled'];
    const hookA = (await api.post(`${A}/webhooks`, { url: `${base}/a`, events })).body.data;
    const hookB = (await api.post(`${B}/webhooks`, { url: `${base}/b`, events })).body.data;
    expect([hookA.secret, hookB.secret].every((s: string) => s.startsWith('whsec_'))).toBe(true);

    // Each run is held by a file until the test removes it, so which half ends when is the test's doing.
    const holds = { before: join(dataDir, 'hold-before'), down: join(dataDir, 'hold-down') };
    for (const hold of Object.values(holds)) writeFileSync(hold, '');
    const start = async (project: ProjectPath, i: number, hold: string) => {
      const command = `while [ -e ${hold} ]; do sleep 0.05; done; echo done-${i}`;
      const jobId = (await api.post(`${project}/jobs`, { name: `held-${i}`, image: 'alpine', command })).body.data
        .id as string;
      const runId = (await api.post(`${project}/jobs/${jobId}/runs`)).body.data.id as string;
      return { i, runId, path: `${project}/jobs/${jobId}/runs/${runId}`, pid: 0, hold };
    };
    const runsA = await Promise.all(
      Array.from({ length: 50 }, (_, i) => start(A, i, i % 2 === 0 ? holds.before : holds.down)),
    );
    const runsB = await Promise.all(Array.from({ length: 5 }, (_, i) => start(B, i, holds.down)));
    for (const run of [...runsA, ...runsB]) run.pid = runPid(await waitForStatus(api, run.path, ['running']));

    // Half end; the kill follows the first delivery of their ends, so the others are still on their way.
    const ends = () => received.filter((r) => r.path === '/a' && JSON.parse(r.body).type === 'run.succeeded').length;
    rmSync(holds.before);
    await eventually(() => ends() >= 1, 'the first end delivered', 30_000, 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const deliveredBeforeKill = ends();
    // The other half end while the service is down.
    rmSync(holds.down);
    await eventually(() => [...runsA, ...runsB].every((run) => !isRunning(run.pid)), 'every run process ended');

    const second = await spawnService(env);
    services.push(second);
    api = new ApiClient(second.ready.url, key);
    for (const run of [...runsA, ...runsB])
      expect(await waitForStatus(api, run.path, TERMINAL, 30_000), run.path).toMatchObject({ status: 'succeeded' });

    // Every run's start and end reach its project's receiver, each verified as Standard Webhooks specifies.
    const verified = (path: string, secret: string) =>
      received
        .filter((r) => r.path === path)
        .map((r) => ({
          id: r.headers['webhook-id'] as string,
          event: new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as any,
        }));
    const expectAll = (got: ReturnType<typeof verified>, runs: typeof runsA) => {
      for (const run of runs) {
        for (const type of ['run.started', 'run.succeeded'])
          expect(
            got.some((g) => g.event.type === type && g.event.data.run.id === run.runId),
            `${type} of ${run.path}`,
          ).toBe(true);
      }
    };
    await eventually(
      () => {
        try {
          expectAll(verified('/a', hookA.secret), runsA);
          expectAll(verified('/b', hookB.secret), runsB);
          return true;
        } catch {
          return false;
        }
      },
      'every event delivered',
      60_000,
    );
    const gotA = verified('/a', hookA.secret);
    const gotB = verified('/b', hookB.secret);
    expectAll(gotA, runsA);
    expectAll(gotB, runsB);

    // None of the other project's events, and no event other than those of these runs.
    expect(gotA.filter((g) => g.event.data.project_id !== 'hooked')).toEqual([]);
    expect(gotB.filter((g) => g.event.data.project_id !== 'neighbour')).toEqual([]);
    const idsA = new Set(runsA.map((r) => r.runId));
    expect(gotA.filter((g) => !idsA.has(g.event.data.run.id))).toEqual([]);

    // A duplicate is the same event under the same webhook-id: one webhook-id per run and type, one event per id.
    const byChange = new Map<string, Set<string>>();
    const byId = new Map<string, Set<string>>();
    for (const g of [...gotA, ...gotB]) {
      expect(g.id).toBe(g.event.id);
      const change = `${g.event.data.run.id} ${g.event.type}`;
      byChange.set(change, (byChange.get(change) ?? new Set()).add(g.id));
      byId.set(g.id, (byId.get(g.id) ?? new Set()).add(JSON.stringify(g.event)));
    }
    expect([...byChange].filter(([, ids]) => ids.size > 1)).toEqual([]);
    expect([...byId].filter(([, bodies]) => bodies.size > 1)).toEqual([]);
    const duplicates = gotA.length + gotB.length - byId.size;
    console.info(
      JSON.stringify({
        fault: 'service SIGKILL with deliveries in flight',
        runs: runsA.length + runsB.length,
        events: byId.size,
        delivered_before_kill: deliveredBeforeKill,
        duplicates,
        lost: 0,
      }),
    );
  }, 150_000);
});
