// Container runs across a SIGKILL of the service: a container whose client (the run's wrapper) outlives the
// service is re-attached and settles with its whole output; one whose client died too is found again by the
// engine and settles from the exit status the engine recorded. No container of the service is left, and a
// service stopped with SIGTERM removes the containers of the runs it stops.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { taskUnit } from '../../functions/adapters/local/container-runner.ts';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, eventually, waitForStatus, type RunPath } from '../helpers/service.ts';
import { removeImage, serviceContainers, testImage, type TestImage } from '../helpers/engine.ts';

const built = await testImage();
if ('skip' in built) console.info(`container tests skipped: ${built.skip}`);
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-container-kill-'));
const services: ServiceProcess[] = [];
const P = '/v1/workspaces/acme/projects/container-kill';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

afterAll(async () => {
  for (const service of services) service.child.kill('SIGTERM');
  await Promise.all(services.map((service) => service.exited));
  if (!('skip' in built)) await removeImage(built.engine, built.image);
  rmSync(dataDir, { recursive: true, force: true });
});

/** The pid of a run's (only task's) wrapper, from the task's directory. */
function wrapperPid(jobId: string, runId: string): number {
  return Number(readFileSync(join(dataDir, 'runs', jobId, taskUnit(runId, 0), 'pid'), 'utf8'));
}

describe.skipIf('skip' in built)('container runs across a SIGKILL of the service', () => {
  const { engine, image } = built as TestImage;

  it('re-attaches a container whose client lives, and settles one whose client died from the engine', async () => {
    const env = { JOBS_DATA_DIR: dataDir, JOBS_RUNNER: engine.name };
    const first = await spawnService(env);
    services.push(first);
    expect(first.ready.runner).toBe(engine.name);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let api = new ApiClient(first.ready.url, key);
    const start = async (name: string, command: string) => {
      const job = (await api.post(`${P}/jobs`, { name, image, command: ['sh', '-c', command] })).body.data;
      const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
      return { jobId: job.id as string, runId: run.id as string, path: `${P}/jobs/${job.id}/runs/${run.id}` as const };
    };
    const logged = async (path: RunPath) =>
      (await api.get(`${path}/logs`)).body.data.map((l: { message: string }) => l.message) as string[];

    // Long enough to outlive the restart on a loaded machine; it ends by itself.
    const kept = await start('kept', 'echo start; sleep 8; echo end');
    const orphaned = await start('orphaned', 'echo start; sleep 8; echo end; exit 4');
    for (const run of [kept, orphaned]) {
      await waitForStatus(api, run.path, ['running'], 30_000);
      await eventually(async () => (await logged(run.path)).includes('start'), 'its first line stored', 30_000);
    }

    first.child.kill('SIGKILL');
    await first.exited;
    // The orphan's client goes too (its whole process group): only the engine still knows its container.
    process.kill(-wrapperPid(orphaned.jobId, orphaned.runId), 'SIGKILL');
    expect(await serviceContainers(engine)).toHaveLength(2);

    const second = await spawnService(env);
    services.push(second);
    api = new ApiClient(second.ready.url, key);
    expect(await waitForStatus(api, kept.path, TERMINAL, 60_000)).toMatchObject({ status: 'succeeded', exit_code: 0 });
    expect(await logged(kept.path)).toEqual(['start', 'end']);
    const done = await waitForStatus(api, orphaned.path, TERMINAL, 60_000);
    expect(done).toMatchObject({ status: 'failed', exit_code: 4 });
    expect((await logged(orphaned.path))[0]).toBe('start');

    await eventually(
      async () => (await serviceContainers(engine)).length === 0,
      'no container of the service left',
      20_000,
    );

    // A service stopped with SIGTERM stops its runs' containers and removes them before it exits.
    const running = await start('running-at-stop', 'echo start; sleep 600');
    await waitForStatus(api, running.path, ['running'], 30_000);
    expect(await serviceContainers(engine)).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await serviceContainers(engine)).toEqual([]);
    const cgroups = '/sys/fs/cgroup/cpuacct/jobs';
    if (readdirSync('/sys/fs/cgroup').includes('cpuacct'))
      await eventually(
        () => readdirSync(cgroups).filter((n) => n.startsWith('jobs-run_')).length === 0,
        'no run cgroup left',
        10_000,
      );
  }, 150_000);
});
