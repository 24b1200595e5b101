// Runs that misbehave: one floods stdout with 100 MB, one forks children that ignore SIGTERM (one of them in a
// session of its own). The output is capped with a marker, cancel leaves no process behind, and the API stays
// responsive meanwhile (p99 of GET under 100 ms).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TASK_ID_VARIABLE } from '../../functions/adapters/local/local-runner.ts';
import { taskUnit } from '../../functions/adapters/local/container-runner.ts';
import { markedProcesses, processTree } from '../../functions/adapters/local/process-tree.ts';
import { TRUNCATION_MARKER } from '../../functions/adapters/local/log-store.ts';
import { spawnService, waitUntil, type ServiceProcess } from '../helpers/process.ts';
import { ApiClient, runPid, waitForStatus, type ApiResponse } from '../helpers/service.ts';
import type { LogLine } from '../../client/jobs-client.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-hostile-'));
let service: ServiceProcess;
let api: ApiClient;
beforeAll(async () => {
  service = await spawnService({ JOBS_DATA_DIR: dataDir });
  api = new ApiClient(service.ready.url, readFileSync(join(dataDir, 'admin-key'), 'utf8').trim());
  // Warm: the latencies measured below are the steady service's, not its first requests' (compilation, connections).
  const warm = (await api.post(`${P}/jobs`, { name: 'warm-up', image: 'alpine', command: 'true' })).body.data;
  for (let i = 0; i < 3; i++)
    await waitForStatus(
      api,
      `${P}/jobs/${warm.id}/runs/${(await api.post(`${P}/jobs/${warm.id}/runs`)).body.data.id}`,
      ['succeeded'],
    );
  await Promise.all(
    [1, 2, 3, 4, 5, 6].map(async () => {
      for (let i = 0; i < 50; i++) await api.get(`${P}/jobs/${warm.id}`);
    }),
  ); // as many connections as the probes use
});
afterAll(async () => {
  service?.child.kill('SIGTERM');
  await service?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

const P = '/v1/workspaces/acme/projects/hostile';

/**
 * Four clients GET a job, each every 10 ms, until `done` resolves: enough samples over a short flood for the
 * 99th percentile to be one (with a few dozen it would be the single worst request).
 */
async function probeLatency(path: string, done: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  const prober = async () => {
    while (!finished) {
      const started = performance.now();
      const response = await api.get(path);
      latencies.push(performance.now() - started);
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  await Promise.all([prober(), prober(), prober(), prober()]);
  return latencies;
}

const p99 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.99))]!;

describe('hostile runs', () => {
  it('caps a 100 MB stdout flood with one marker while every GET is answered without a stall', async () => {
    const job = (
      await api.post(`${P}/jobs`, {
        name: 'flood',
        image: 'alpine',
        command: `yes "$(printf '%099d' 0)" | head -c 100000000; echo done >&2`,
      })
    ).body.data;
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const path = `${P}/jobs/${job.id}/runs/${run.id}` as const;
    const settled = waitForStatus(api, path, ['succeeded', 'failed', 'cancelled'], 60_000);
    const latencies = await probeLatency(
      `${P}/jobs/${job.id}`,
      settled.then(() => new Promise((r) => setTimeout(r, 500))),
    );
    expect(await settled).toMatchObject({ status: 'succeeded', exit_code: 0 });
    const worst = p99(latencies);
    console.info(
      JSON.stringify({
        fault: '100 MB stdout',
        gets: latencies.length,
        get_p99_ms: Math.round(worst * 10) / 10,
        get_max_ms: Math.round(Math.max(...latencies)),
        get_p50_ms: Math.round([...latencies].sort((a, b) => a - b)[latencies.length >> 1]!),
      }),
    );

    const lines: Array<{ message: string; stream: string }> = [];
    let cursor: string | null = null;
    do {
      const page: ApiResponse<LogLine[]> = await api.get(
        `${path}/logs?limit=10000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      lines.push(...page.body.data);
      cursor = page.body.complete ? null : (page.body.next_cursor ?? null);
    } while (cursor);
    const markers = lines.filter((l) => l.message.startsWith(TRUNCATION_MARKER));
    expect(markers).toHaveLength(1);
    expect(lines.at(-1)!.message).toMatch(TRUNCATION_MARKER);
    const storedBytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l.message) + 1, 0);
    expect(storedBytes).toBeLessThan(11 * 1024 * 1024);
    expect(storedBytes).toBeGreaterThan(9 * 1024 * 1024);
    expect(lines.length).toBeGreaterThan(90_000);
    expect(latencies.length).toBeGreaterThanOrEqual(100);
    // The latency figure (goal: p99 ≤ 100 ms) is the benchmark's (bench/faults.ts prints it); here, no request
    // may stall, whatever else the machine runs.
    expect(Math.max(...latencies)).toBeLessThan(2_000);
  }, 90_000);

  it('cancels a run whose children ignore SIGTERM, one double-forked into a session of its own, and leaves no process', async () => {
    const job = (
      await api.post(`${P}/jobs`, {
        name: 'stubborn',
        image: 'alpine',
        command: [
          'sh',
          '-c',
          `trap '' TERM; for i in 1 2 3; do sh -c "trap '' TERM; sleep 300" & done; setsid sh -c "trap '' TERM; sleep 300" & echo forked; wait`,
        ],
      })
    ).body.data;
    const run = (await api.post(`${P}/jobs/${job.id}/runs`)).body.data;
    const path = `${P}/jobs/${job.id}/runs/${run.id}` as const;
    const pid = runPid(await waitForStatus(api, path, ['running']));
    // The tree by parent links, and by the run's mark for the double-forked one no parent link leads to.
    const runProcesses = () => [
      ...new Set([...processTree(pid), ...markedProcesses(`${TASK_ID_VARIABLE}=${taskUnit(run.id, 0)}`)]),
    ];
    const complete = await waitUntil(() => runProcesses().length >= 10, 5_000); // wrapper, shell, 4 × (sh + sleep)
    expect(complete, `processes: ${runProcesses()}`).toBe(true);
    const tree = runProcesses();

    const started = Date.now();
    const cancelled = await api.post(`${path}/cancel`, { mode: 'graceful', timeout_seconds: 1 });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.data.status).toBe('cancelled');
    const gone = await waitUntil(() => tree.every((p) => !existsProcess(p)), 5_000);
    expect(gone, `left: ${tree.filter(existsProcess)}`).toBe(true);
    console.info(
      JSON.stringify({ fault: 'children ignoring SIGTERM', processes: tree.length, all_gone_ms: Date.now() - started }),
    );
  }, 60_000);
});

function existsProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat); // a zombie is gone, waiting for its parent to reap it
  } catch {
    return false;
  }
}
