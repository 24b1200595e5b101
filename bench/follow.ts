// Log follow latency: a line written by a run → seen by a follower looping on `GET …/logs?cursor&wait=20`, beside
// the floor: the same line seen by an inotify watcher on the run's raw output file, in the same process.
// Each line carries the time it was written (date +%s%N in the run), so both figures share one clock.
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { taskUnit } from '../functions/adapters/local/container-runner.ts';

const LINES = 1000;
/** Lines written before both watchers are surely in place are not counted. */
const WARM_UP = 50;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function follow(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-follow-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0' },
    (line) => typeof line.ready_ms === 'number',
  );
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const P = `${service.line.url as string}/v1/workspaces/bench/projects/follow`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${P}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as { data: any; next_cursor?: string; complete?: boolean };
  };
  const total = LINES + WARM_UP;
  // Starts when told (a file appears), so both watchers are ready before the first line.
  const go = join(dir, 'go');
  const command = `while [ ! -e ${go} ]; do sleep 0.01; done; i=0; while [ $i -lt ${total} ]; do echo "$(date +%s%N) $i"; i=$((i+1)); sleep 0.01; done`;
  const job = (await call('POST', '/jobs', { name: 'writer', image: 'alpine', command })).data;
  let run = (await call('POST', `/jobs/${job.id}/runs`)).data;
  while (run.status !== 'running') run = (await call('GET', `/jobs/${job.id}/runs/${run.id}?wait=1`)).data;

  const writtenMs = (message: string) => Number(BigInt(message.split(' ')[0]!) / 1000n) / 1000;
  const follower: number[] = [];
  const floor: number[] = [];

  // The floor: inotify on the raw file the run writes, read as it grows.
  const raw = join(dir, 'runs', job.id, taskUnit(run.id, 0), 'stdout');
  while (!existsSync(raw)) await new Promise((resolve) => setTimeout(resolve, 5));
  let offset = 0;
  let partial = '';
  const fd = openSync(raw, 'r');
  const readNew = () => {
    const buffer = Buffer.alloc(65_536);
    for (
      let n = readSync(fd, buffer, 0, buffer.length, offset);
      n > 0;
      n = readSync(fd, buffer, 0, buffer.length, offset)
    ) {
      offset += n;
      const now = performance.timeOrigin + performance.now();
      const parts = (partial + buffer.subarray(0, n).toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (Number(line.split(' ')[1]) >= WARM_UP) floor.push(now - writtenMs(line));
    }
  };
  const watcher = watch(raw, readNew);

  const following = (async () => {
    let cursor: string | undefined;
    for (;;) {
      const page = await call(
        'GET',
        `/jobs/${job.id}/runs/${run.id}/logs?limit=1000&wait=20${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const now = performance.timeOrigin + performance.now();
      for (const line of page.data as Array<{ message: string }>)
        if (Number(line.message.split(' ')[1]) >= WARM_UP) follower.push(now - writtenMs(line.message));
      cursor = page.next_cursor;
      if (page.complete) return;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 200)); // the follower's first request is being held
  closeSync(openSync(go, 'w'));
  await following;
  watcher.close();
  closeSync(fd);

  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });
  if (follower.length !== LINES) throw new Error(`the follower saw ${follower.length} of ${LINES} counted lines`);

  return {
    title: 'Log follow: a line written → seen by a follower',
    tables: [
      {
        caption: `${LINES} lines, one every ~10 ms, from a run to a follower looping on GET …/logs?cursor=…&wait=20 (ms), beside inotify on the run's raw output file (the floor)`,
        head: ['', 'p50', 'p99', 'max'],
        rows: [
          [
            'follower (goal p50 ≤ 50 ms)',
            `${round(median(follower))}`,
            `${round(percentile(follower, 99))}`,
            `${round(Math.max(...follower))}`,
          ],
          [
            'inotify on the raw file (floor)',
            `${round(median(floor))}`,
            `${round(percentile(floor, 99))}`,
            `${round(Math.max(...floor))}`,
          ],
        ],
      },
    ],
    notes: [
      'Each line carries its write time (date +%s%N in the run); the follower and the watcher read it with the same clock, in the same process.',
    ],
  };
}
