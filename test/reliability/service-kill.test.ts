// The service killed with SIGKILL with 20 runs in flight and 50 jobs scheduled every minute. After a restart:
// every run is re-attached or settled, every job, run and log line written before the kill is still there, and
// no schedule fires twice for one minute (the restart's catch-up fire of the minute the kill followed is the
// same run, by its derived id).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';
import { isRunning } from '../../functions/adapters/local/process-tree.ts';
import { ApiClient, eventually, runPid, waitForStatus, type ApiResponse } from '../helpers/service.ts';
import type { Job, Run } from '../../client/jobs-client.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-kill-'));
const services: ServiceProcess[] = [];
afterAll(async () => {
  for (const service of services) service.child.kill('SIGTERM');
  await Promise.all(services.map((service) => service.exited));
  rmSync(dataDir, { recursive: true, force: true });
});

const P = '/v1/workspaces/acme/projects/kill';
const TERMINAL = ['succeeded', 'failed', 'cancelled'];

async function all<T>(api: ApiClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page: ApiResponse<T[]> = await api.get<string, T[]>(
      `${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(page.status).toBe(200);
    items.push(...(page.body.data ?? []));
    // A log page always has a cursor; its end is the first empty page.
    cursor = page.body.data?.length ? (page.body.next_cursor ?? null) : null;
  } while (cursor);
  return items;
}

describe('the service killed with SIGKILL under load', () => {
  it('loses no job, run or log line, settles or re-attaches every run, and fires no minute twice', async () => {
    // Seventy runs at once (the host's capacity is raised for them: this test is about the kill, not admission).
    const env = {
      JOBS_DATA_DIR: dataDir,
      JOBS_SCHEDULE_CATCH_UP_SECONDS: '300',
      JOBS_CAPACITY_CPU: '64',
      JOBS_CAPACITY_MEMORY_MB: '65536',
    };
    const first = await spawnService(env);
    services.push(first);
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    let api = new ApiClient(first.ready.url, key);

    const scheduled = await Promise.all(
      Array.from(
        { length: 50 },
        async (_, i) =>
          (
            await api.post(`${P}/jobs`, {
              name: `every-minute-${i}`,
              image: 'alpine',
              command: 'echo fired',
              schedule: '* * * * *',
            })
          ).body.data.id as string,
      ),
    );

    // Wait for a minute's fire, so the kill follows it closely: the restart's catch-up would re-fire that minute.
    const nextMinute = Math.ceil((Date.now() + 1) / 60_000) * 60_000;
    const firedMinute = new Date(nextMinute).toISOString();
    const firedFor = async () =>
      (await all<Run>(api, `${P}/runs?trigger=schedule`)).filter((r) => r.scheduled_for === firedMinute).length;
    await eventually(
      async () => (await firedFor()) >= scheduled.length,
      'every schedule fired for the next minute',
      90_000,
      250,
    );

    // Twenty runs in flight: half end while the service is down, half outlive the restart. Each is held by a file
    // until the test removes it, so which half ends when is the test's doing, whatever the machine's load.
    const holds = { down: join(dataDir, 'hold-down'), up: join(dataDir, 'hold-up') };
    for (const hold of Object.values(holds)) writeFileSync(hold, '');
    const inFlight = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const hold = i % 2 === 0 ? holds.down : holds.up;
        const command = `echo start-${i}; while [ -e ${hold} ]; do sleep 0.05; done; echo end-${i}`;
        const jobId = (await api.post(`${P}/jobs`, { name: `in-flight-${i}`, image: 'alpine', command })).body.data
          .id as string;
        const runId = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data.id as string;
        return { i, jobId, runId, path: `${P}/jobs/${jobId}/runs/${runId}` as const, pid: 0 };
      }),
    );
    for (const run of inFlight) run.pid = runPid(await waitForStatus(api, run.path, ['running']));
    // Each run's first line has reached the log store.
    for (const run of inFlight) {
      await eventually(
        async () =>
          (await api.get(`${run.path}/logs`)).body.data.some(
            (l: { message: string }) => l.message === `start-${run.i}`,
          ),
        `start-${run.i} stored`,
      );
    }
    const firedBefore = await Promise.all(scheduled.map(async (jobId) => all<Run>(api, `${P}/jobs/${jobId}/runs`)));
    expect(firedBefore.every((runs) => runs.some((r) => r.scheduled_for === firedMinute))).toBe(true);

    // What exists before the kill: jobs, runs, and each in-flight run's log lines.
    const jobsBefore = await all<Job>(api, `${P}/jobs`);
    const runsBefore = await all<Run>(api, `${P}/runs`);
    const logsBefore = new Map<string, string[]>();
    for (const run of inFlight)
      logsBefore.set(
        run.runId,
        (await api.get(`${run.path}/logs`)).body.data.map((l: { message: string }) => l.message),
      );
    expect([...logsBefore.values()].every((lines) => lines.length >= 1)).toBe(true);

    first.child.kill('SIGKILL');
    await first.exited;
    rmSync(holds.down);
    await eventually(
      () => inFlight.filter((run) => run.i % 2 === 0).every((run) => !isRunning(run.pid)),
      'half the runs ended while the service is down',
    );
    const restartedAt = Date.now();
    const second = await spawnService(env);
    services.push(second);
    api = new ApiClient(second.ready.url, key);
    rmSync(holds.up);

    // Every in-flight run ends in a terminal state with its whole output, before or after the restart.
    for (const run of inFlight) {
      const done = await waitForStatus(api, run.path, TERMINAL, 20_000);
      expect(done, `run ${run.i}`).toMatchObject({ status: 'succeeded', exit_code: 0 });
      const lines = (await api.get(`${run.path}/logs`)).body.data.map((l: { message: string }) => l.message);
      expect(lines.slice(0, logsBefore.get(run.runId)!.length)).toEqual(logsBefore.get(run.runId));
      expect(lines).toEqual([`start-${run.i}`, `end-${run.i}`]);
    }
    const recoveryMs = Date.now() - restartedAt;

    // Nothing written before the kill is gone.
    const jobsAfter = new Set((await all<Job>(api, `${P}/jobs`)).map((j) => j.id));
    expect(jobsBefore.filter((j) => !jobsAfter.has(j.id))).toEqual([]);
    const runsAfter = await all<Run>(api, `${P}/runs`);
    const runIdsAfter = new Set(runsAfter.map((r) => r.id));
    expect(runsBefore.filter((r) => !runIdsAfter.has(r.id))).toEqual([]);

    // No minute fired twice for any job, the fired minute included.
    for (const jobId of scheduled) {
      const minutes = runsAfter
        .filter((r) => r.job_id === jobId && r.trigger === 'schedule')
        .map((r) => r.scheduled_for);
      expect(new Set(minutes).size, `job ${jobId}: ${minutes}`).toBe(minutes.length);
      expect(minutes).toContain(firedMinute);
    }
    // And nothing of the in-flight runs is left running.
    const active = (await all<Run>(api, `${P}/runs?status=running`)).filter((r) => r.trigger !== 'schedule');
    expect(active).toEqual([]);
    console.info(
      JSON.stringify({
        fault: 'service SIGKILL',
        jobs: jobsBefore.length,
        runs: runsBefore.length,
        lost: 0,
        ready_ms: second.ready.ready_ms,
        all_runs_terminal_ms: recoveryMs,
      }),
    );
  }, 150_000);
});
