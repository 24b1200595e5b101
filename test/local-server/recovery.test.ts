// The service killed with SIGKILL while runs are in flight: after a restart every run is re-attached or
// settled, and no output written before the kill is lost.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning, markedProcesses, processTree, signalTree } from '../../functions/adapters/local/process-tree.ts';
import { isAlive, spawnService, waitUntil } from '../helpers/process.ts';
import { ApiClient, eventually, runPid, waitForStatus, type RunPath } from '../helpers/service.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-recovery-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const P = '/v1/workspaces/acme/projects/recovery';

describe('after the service is killed with SIGKILL', () => {
  it('re-attaches runs whose process lives, settles the others, and keeps their output', async () => {
    const first = await spawnService({ JOBS_DATA_DIR: dataDir });
    const services = [first];
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    try {
      let api = new ApiClient(first.ready.url, key);
      const start = async (name: string, command: string) => {
        const jobId = (await api.post(`${P}/jobs`, { name, image: 'alpine', command })).body.data.id as string;
        const runId = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id as string;
        const path = `${P}/jobs/${jobId}/runs/${runId}` as const;
        return { jobId, runId, path, pid: runPid(await waitForStatus(api, path, ['running'])) };
      };
      // Each run is held by a file until the test removes it: what happens when is the test's doing, not a clock's.
      const hold = (name: string) => {
        const file = join(dataDir, `hold-${name}`);
        writeFileSync(file, '');
        return { wait: `while [ -e ${file} ]; do sleep 0.05; done`, release: () => rmSync(file) };
      };
      const survivorHold = hold('survivor');
      const downHold = hold('ends-while-down');
      const survivor = await start('survivor', `echo before-the-kill; ${survivorHold.wait}; echo after-the-restart`);
      const endsWhileDown = await start('ends-while-down', `echo short; ${downHold.wait}; exit 5`);
      const killedWhileDown = await start('killed-while-down', 'sleep 60');
      const toCancel = await start('cancelled-after', 'sleep 60');
      const logged = async (path: RunPath, line: string) =>
        (await api.get(`${path}/logs`)).body.data.some((l: { message: string }) => l.message === line);
      await eventually(
        async () => (await logged(survivor.path, 'before-the-kill')) && (await logged(endsWhileDown.path, 'short')),
        'the first lines stored',
      );

      first.child.kill('SIGKILL');
      await first.exited;
      expect(await waitUntil(() => !isAlive(first.ready.dynamodb_pid), 5_000)).toBe(true);
      expect(isAlive(survivor.pid)).toBe(true); // runs outlive the service
      signalTree(killedWhileDown.pid, 'SIGKILL');
      downHold.release();
      await eventually(
        () => !isRunning(endsWhileDown.pid) && !isRunning(killedWhileDown.pid),
        'two runs ended while the service was down',
      );

      const second = await spawnService({ JOBS_DATA_DIR: dataDir });
      services.push(second);
      api = new ApiClient(second.ready.url, key);

      const ended = (await api.get(endsWhileDown.path)).body.data;
      expect(ended).toMatchObject({ status: 'failed', exit_code: 5 });
      expect(ended.error).toMatch(/while the service was down/);

      const lost = (await api.get(killedWhileDown.path)).body.data;
      expect(lost.status).toBe('failed');
      expect(lost.error).toMatch(
        /the local service stopped while the run was running, and its process is gone and recorded no exit status/,
      );

      expect((await api.get(survivor.path)).body.data.status).toBe('running');
      survivorHold.release();
      const finished = (await api.get(`${survivor.path}?wait=20`)).body.data;
      expect(finished).toMatchObject({ status: 'succeeded', exit_code: 0 });
      const lines = (await api.get(`${survivor.path}/logs`)).body.data.map((l: { message: string }) => l.message);
      expect(lines).toEqual(['before-the-kill', 'after-the-restart']);
      expect(
        (await api.get(`${endsWhileDown.path}/logs`)).body.data.map((l: { message: string }) => l.message),
      ).toEqual(['short']);

      // A re-attached run can still be cancelled, and leaves nothing behind.
      const cancelled = await api.post(`${toCancel.path}/cancel`, { mode: 'force' });
      expect(cancelled.body.data.status).toBe('cancelled');
      expect(await waitUntil(() => processTree(toCancel.pid).length === 0, 2_000)).toBe(true);

      const active = await api.get(`${P}/runs?status=running`);
      expect(active.body.data).toEqual([]);
    } finally {
      // SIGTERM stops a service with everything it runs.
      for (const service of services) service.child.kill('SIGTERM');
      await Promise.all(services.map((service) => service.exited));
    }
  }, 90_000);

  it('stops every run in flight when the service is stopped with SIGTERM, settled as failed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-stop-'));
    try {
      const service = await spawnService({ JOBS_DATA_DIR: dir });
      const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
      let api = new ApiClient(service.ready.url, key);
      const jobId = (await api.post(`${P}/jobs`, { name: 'long', image: 'alpine', command: 'sleep 60' })).body.data.id;
      const runId = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id;
      const pid = runPid(await waitForStatus(api, `${P}/jobs/${jobId}/runs/${runId}`, ['running']));
      await eventually(() => processTree(pid).length >= 2, 'the wrapper and the command started');
      const tree = processTree(pid);
      service.child.kill('SIGTERM');
      expect(await service.exited).toBe(0);
      expect(await waitUntil(() => tree.every((p) => !isRunning(p)), 2_000)).toBe(true);
      // The service says which runs it stopped.
      const stopped = service.lines
        .map((line) => JSON.parse(line))
        .find((entry) => entry.message?.startsWith('stopped 1 run in flight'));
      expect(stopped).toMatchObject({
        message: 'stopped 1 run in flight: the local service stopped (SIGTERM)',
        runs: [{ run_id: runId, job_id: jobId }],
      });
      const again = await spawnService({ JOBS_DATA_DIR: dir });
      api = new ApiClient(again.ready.url, key);
      expect((await api.get(`${P}/jobs/${jobId}/runs/${runId}`)).body.data).toMatchObject({
        status: 'failed',
        exit_code: 137,
        error: 'the local service stopped (SIGTERM) during the run',
      });
      again.child.kill('SIGTERM');
      await again.exited;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('re-attaches the live tasks of a run of several, fails the ones that never started, and settles the run once the live ones end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-recovery-tasks-'));
    const services: Array<Awaited<ReturnType<typeof spawnService>>> = [];
    try {
      const first = await spawnService({ JOBS_DATA_DIR: dir });
      services.push(first);
      const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
      let api = new ApiClient(first.ready.url, key);
      const held = join(dir, 'hold');
      writeFileSync(held, '');
      const command = `echo "task $JOBS_TASK_INDEX before"; while [ -e ${held} ]; do sleep 0.05; done; echo "task $JOBS_TASK_INDEX after"`;
      const jobId = (await api.post(`${P}/jobs`, { name: 'split', image: 'alpine', command, tasks: 3, parallelism: 2 }))
        .body.data.id;
      const runId = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id;
      const path = `${P}/jobs/${jobId}/runs/${runId}` as const;
      await eventually(
        async () =>
          (await api.get(path)).body.data.tasks.running === 2 && (await api.get(`${path}/logs`)).body.data.length === 2,
        'two tasks running and logged',
        15_000,
      );

      first.child.kill('SIGKILL');
      await first.exited;
      const second = await spawnService({ JOBS_DATA_DIR: dir });
      services.push(second);
      api = new ApiClient(second.ready.url, key);
      expect((await api.get(path)).body.data).toMatchObject({ status: 'running', tasks: { running: 2, failed: 1 } });
      rmSync(held);
      const done = (await api.get(`${path}?wait=20`)).body.data;
      expect(done).toMatchObject({ status: 'failed', tasks: { succeeded: 2, failed: 1, running: 0, pending: 0 } });
      expect(done.error).toMatch(
        /^task 2 the local service stopped while the run was running, and its container never started \(1 of 3 tasks failed\)$/,
      );
      const tasks = (await api.get(`${path}/tasks`)).body.data;
      expect(tasks.map((t: { status: string }) => t.status)).toEqual(['succeeded', 'succeeded', 'failed']);
      const lines = (await api.get(`${path}/logs`)).body.data.map(
        (l: { task_index: number; message: string }) => `${l.task_index}:${l.message}`,
      );
      expect(lines.sort()).toEqual(['0:task 0 after', '0:task 0 before', '1:task 1 after', '1:task 1 before']);
      expect(markedProcesses(`JOBS_RUN_ID=${runId}`)).toEqual([]);
    } finally {
      for (const service of services) service.child.kill('SIGTERM');
      await Promise.all(services.map((service) => service.exited));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
