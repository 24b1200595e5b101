// Parallel tasks: one run of 100 tasks of `true` at parallelism 10, trigger to succeeded, beside 100 single-task
// runs of `true` triggered at once, in the same service; each measured ROUNDS times, alternating, medians.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const TASKS = 100;
const PARALLELISM = 10;
const ROUNDS = 3;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function tasks(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-tasks-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    (line) => typeof line.ready_ms === 'number',
  );
  const headers = {
    authorization: `Bearer ${readFileSync(join(dir, 'admin-key'), 'utf8').trim()}`,
    'content-type': 'application/json',
  };
  const P = `${service.line.url as string}/v1/workspaces/bench/projects/tasks`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${P}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { data: any; message: string };
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${json.message}`);
    return json.data;
  };
  const finished = async (jobId: string, runId: string) => {
    for (;;) {
      const run = await call('GET', `/jobs/${jobId}/runs/${runId}?wait=20`);
      if (run.status !== 'pending' && run.status !== 'running') return run;
    }
  };

  const split = await call('POST', '/jobs', {
    name: 'split',
    image: 'alpine',
    command: ['true'],
    tasks: TASKS,
    parallelism: PARALLELISM,
  });
  const single = await call('POST', '/jobs', { name: 'single', image: 'alpine', command: ['true'] });
  // One of each first, so neither measures a cold start.
  await finished(split.id, (await call('POST', `/jobs/${split.id}/runs`)).id);
  await finished(single.id, (await call('POST', `/jobs/${single.id}/runs`)).id);

  const times = { split: [] as number[], single: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    let started = performance.now();
    const run = await call('POST', `/jobs/${split.id}/runs`);
    const done = await finished(split.id, run.id);
    if (done.status !== 'succeeded' || done.tasks.succeeded !== TASKS)
      throw new Error(`the split run ended ${done.status}: ${done.error}`);
    times.split.push(performance.now() - started);

    started = performance.now();
    const runs = await Promise.all(Array.from({ length: TASKS }, () => call('POST', `/jobs/${single.id}/runs`)));
    const ended = await Promise.all(runs.map((r) => finished(single.id, r.id)));
    if (ended.some((r) => r.status !== 'succeeded')) throw new Error('a single-task run did not succeed');
    times.single.push(performance.now() - started);
  }
  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  return {
    title: 'Parallel tasks: 100 tasks at parallelism 10 beside 100 runs at once',
    tables: [
      {
        caption: `Wall time from the trigger to the last run succeeded, host processes of \`true\`, median of ${ROUNDS} alternating rounds, ms`,
        head: ['', 'median', 'per task'],
        rows: [
          [
            `1 run of ${TASKS} tasks, parallelism ${PARALLELISM}`,
            `${round(median(times.split))}`,
            `${round(median(times.split) / TASKS)}`,
          ],
          [
            `${TASKS} single-task runs triggered at once`,
            `${round(median(times.single))}`,
            `${round(median(times.single) / TASKS)}`,
          ],
        ],
      },
    ],
    notes: [
      `Rounds, ms: split ${times.split.map(round).join(', ')}; single ${times.single.map(round).join(', ')}.`,
      'The run of tasks holds at most 10 processes at once; the 100 runs start all 100 at once.',
    ],
  };
}
