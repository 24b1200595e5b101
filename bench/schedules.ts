// Schedule figures: how late fires are (200 jobs all on `* * * * *`), and what 10,000 schedules cost the
// scheduler in memory and start-up, alone and through a restart that loads them from the table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, rssMiB, startAndWait, stop, isAlive, ROOT } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const FIRING_JOBS = 200;
const SCALE = 10_000;
const ready = (line: Record<string, any>) => typeof line.ready_ms === 'number';
const round = (ms: number) => Math.round(ms);

async function service(dir: string) {
  const started = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0' },
    ready,
    120_000,
  );
  const pid = started.line.pid as number;
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const call = async (method: string, path: string, body?: unknown) =>
    (await (
      await fetch(`${started.line.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    ).json()) as { data: any; next_cursor?: string | null };
  const shutdown = async () => {
    process.kill(pid, 'SIGTERM');
    while (isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    await stop(started.child, started.exited);
  };
  return { started, pid, call, shutdown };
}

/** Sends requests with a bounded number in flight. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

export async function schedules(): Promise<Section> {
  // Lateness: 200 jobs firing at the same second, one full minute after all are armed.
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-sched-'));
  const s = await service(dir);
  const P = '/v1/workspaces/bench/projects/schedules';
  await inBatches([...Array(FIRING_JOBS).keys()], 20, (i) =>
    s.call('POST', `${P}/jobs`, { name: `tick-${i}`, image: 'alpine', command: 'true', schedule: '* * * * *' }),
  );
  const minute = Math.ceil((Date.now() + 1_000) / 60_000) * 60_000;
  await new Promise((resolve) => setTimeout(resolve, minute - Date.now() + 15_000));
  const fires: Array<{ created: number; started: number }> = [];
  let cursor: string | null | undefined;
  do {
    const page = await s.call('GET', `${P}/runs?trigger=schedule&limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const run of page.data) {
      if (Date.parse(run.scheduled_for) !== minute) continue;
      fires.push({
        created: Date.parse(run.created_at) - minute,
        started: run.started_at ? Date.parse(run.started_at) - minute : Number.NaN,
      });
    }
    cursor = page.next_cursor;
  } while (cursor);
  await inBatches((await s.call('GET', `${P}/jobs?limit=100`)).data as Array<{ id: string }>, 20, (j) =>
    s.call('PATCH', `${P}/jobs/${j.id}`, { schedule: null }),
  );
  await s.shutdown();
  rmSync(dir, { recursive: true, force: true });

  // 10,000 schedules in a process of their own: the scheduler alone.
  const alone = JSON.parse(
    spawnSync(process.execPath, ['--expose-gc', join(ROOT, 'bench', 'scheduler-scale.ts'), String(SCALE)], {
      encoding: 'utf8',
    }).stdout,
  ) as {
    count: number;
    arm_ms: number;
    heap_mib: number;
    rss_mib: number;
  };

  // 10,000 scheduled jobs in the table, and a restart that arms them all.
  const scaleDir = mkdtempSync(join(tmpdir(), 'jobs-bench-sched-scale-'));
  const first = await service(scaleDir);
  const Q = '/v1/workspaces/bench/projects/scale';
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];
  // Yearly fires at varied times: armed like any other, and none due while the figure is taken.
  await inBatches([...Array(SCALE).keys()], 25, (i) =>
    first.call('POST', `${Q}/jobs`, {
      name: `yearly-${i}`,
      image: 'alpine',
      command: 'true',
      schedule: `${i % 60} ${i % 24} 1 1 *`,
      timezone: zones[i % zones.length],
    }),
  );
  const idleRss = rssMiB(first.pid);
  await first.shutdown();
  const restarts: number[] = [];
  let armed = 0;
  let restartRss = 0;
  for (let i = 0; i < 3; i++) {
    const again = await service(scaleDir);
    restarts.push(again.started.elapsedMs);
    armed = again.started.line.schedules;
    restartRss = rssMiB(again.pid);
    await again.shutdown();
  }
  rmSync(scaleDir, { recursive: true, force: true });

  const created = fires.map((f) => f.created);
  const started = fires.map((f) => f.started).filter((v) => !Number.isNaN(v));
  return {
    title: 'Schedules: fire lateness and scale',
    tables: [
      {
        caption: `Lateness (ms) of the ${fires.length} fires of one minute, ${FIRING_JOBS} jobs all on \`* * * * *\` (goal: fire max ≤ 1000)`,
        head: ['measured from the scheduled time to', 'p50', 'max'],
        rows: [
          ['the fire (its run created)', `${round(median(created))}`, `${round(Math.max(...created))}`],
          ['the run running (its process started)', `${round(median(started))}`, `${round(Math.max(...started))}`],
        ],
      },
      {
        caption: `${SCALE.toLocaleString('en')} schedules (7 crons × 5 time zones)`,
        head: ['', 'figure'],
        rows: [
          ['scheduler alone: time to arm', `${alone.arm_ms} ms`],
          ['scheduler alone: heap it holds', `${alone.heap_mib} MiB`],
          [
            'service restart with them in the table: `npm start` to ready (median of 3)',
            `${round(median(restarts))} ms (${restarts.map(round).join(', ')})`,
          ],
          ['schedules armed at that restart', `${armed}`],
          ['service RSS after the restart (before: while creating them)', `${restartRss} MiB (${idleRss} MiB)`],
        ],
      },
    ],
  };
}
