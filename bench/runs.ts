// Run figures: trigger → running latency beside a bare child_process.spawn of `true` (the floor), runs
// completed per second with 10 jobs triggered concurrently, and cancel → process gone.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processTree } from '../functions/adapters/local/process-tree.ts';
import { median, percentile, startAndWait, stop, isAlive } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { backToBack } from './lib/back-to-back.ts';

const TRIGGERS = 200;
const CANCELS = 30;
const THROUGHPUT_SECONDS = 15;

async function spawnFloor(count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn('true', [], { stdio: 'ignore', detached: true });
      child.once('spawn', () => samples.push(performance.now() - started));
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
  }
  return samples;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export async function runs(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-runs-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    (line) => typeof line.ready_ms === 'number',
  ); // capacity, not the throttle
  const url = service.line.url as string;
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const P = `${url}/v1/workspaces/bench/projects/runs`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${P}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as { data: any };
  };
  const createJob = async (name: string, command: string) =>
    (await call('POST', '/jobs', { name, image: 'alpine', command })).data.id as string;

  // Trigger → running, one run at a time, against the same machine's bare spawn.
  const trueJob = await createJob('true', 'true');
  for (let i = 0; i < 10; i++)
    await call('GET', `/jobs/${trueJob}/runs/${(await call('POST', `/jobs/${trueJob}/runs`)).data.id}?wait=20`);
  const latencies: number[] = [];
  for (let i = 0; i < TRIGGERS; i++) {
    const sent = Date.now();
    const run = (await call('POST', `/jobs/${trueJob}/runs`)).data;
    const done = (await call('GET', `/jobs/${trueJob}/runs/${run.id}?wait=20`)).data;
    latencies.push(Date.parse(done.started_at) - sent);
  }
  const floor = await spawnFloor(TRIGGERS);

  // Throughput: 10 jobs, each run back to back by its own client, for a fixed time.
  const jobs = await Promise.all(Array.from({ length: 10 }, (_, i) => createJob(`busy-${i}`, 'true')));
  const { completed, perSecond: throughput } = await backToBack(call, jobs, THROUGHPUT_SECONDS);

  // Cancel (force) → no process of the run left.
  const sleeper = await createJob('sleeper', 'sleep 60 & sleep 60 & wait');
  const cancels: number[] = [];
  for (let i = 0; i < CANCELS; i++) {
    const run = (await call('POST', `/jobs/${sleeper}/runs`)).data;
    let current = run;
    while (current.status !== 'running') current = (await call('GET', `/jobs/${sleeper}/runs/${run.id}`)).data;
    const pid = Number(current.backend.task.replace('pid ', ''));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = performance.now();
    await call('POST', `/jobs/${sleeper}/runs/${run.id}/cancel`, { mode: 'force' });
    while (isAlive(pid) || processTree(pid).length > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    cancels.push(performance.now() - sent);
  }

  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  const over = median(latencies) - median(floor);
  return {
    title: 'Runs: trigger to running, throughput, cancel',
    tables: [
      {
        caption: `Trigger → running (ms), ${TRIGGERS} runs of \`true\` one after another, beside a bare child_process.spawn of \`true\` (the floor)`,
        head: ['', 'p50', 'p99', 'max'],
        rows: [
          [
            'trigger → running',
            `${round(median(latencies))}`,
            `${round(percentile(latencies, 99))}`,
            `${round(Math.max(...latencies))}`,
          ],
          [
            'spawn → spawned (floor)',
            `${round(median(floor))}`,
            `${round(percentile(floor, 99))}`,
            `${round(Math.max(...floor))}`,
          ],
          ['difference at p50 (goal ≤ 50 ms)', `${round(over)}`, '', ''],
        ],
      },
      {
        caption: `Throughput: 10 jobs, each triggered again as soon as its run finished, for ${THROUGHPUT_SECONDS} s`,
        head: ['runs completed', 'runs/s'],
        rows: [[`${completed}`, `${round(throughput)}`]],
      },
      {
        caption: `Cancel (force) → no process of the run left (ms), ${CANCELS} runs of three processes each`,
        head: ['p50', 'max'],
        rows: [[`${round(median(cancels))}`, `${round(Math.max(...cancels))}`]],
      },
    ],
  };
}
