// Run-after chains: the time from a run's end to the start of the run that runs after it, over 100 chains A → B
// (A triggered, one at a time). Both times are the service's own (A's finished_at, B's started_at), so the figure
// is what the chain adds: the outbox handing A's end on, the dependents found, B triggered, admitted and started.
// Beside it, a run triggered by hand: its created_at → started_at (a chain cannot start faster than that).
import { median, percentile } from './lib/processes.ts';
import type { Section } from './lib/report.ts';
import { benchService } from './lib/service.ts';

const CHAINS = 100;

export async function chains(): Promise<Section> {
  const s = await benchService('process', 'chains');
  const a = (await s.call('POST', '/jobs', { name: 'a', image: 'alpine:3', command: ['true'] })).data.id as string;
  const b = (
    await s.call('POST', '/jobs', {
      name: 'b',
      image: 'alpine:3',
      command: ['true'],
      run_after: [{ job: 'a', on: 'succeeded' }],
    })
  ).data.id as string;
  const gaps: number[] = [];
  const starts: number[] = [];
  for (let i = 0; i < CHAINS; i++) {
    const run = (await s.call('POST', `/jobs/${a}/runs`)).data.id as string;
    const ended = (await s.call('GET', `/jobs/${a}/runs/${run}?wait=20`)).data;
    starts.push(Date.parse(ended.started_at) - Date.parse(ended.created_at));
    // B's run is the newest of its job once A's end has been handed on.
    let next: { caused_by: { run_id: string } | null; started_at: string | null; id: string } | undefined;
    for (let tries = 0; tries < 400; tries++) {
      next = (await s.call('GET', `/jobs/${b}/runs?limit=1`)).data[0];
      if (next?.caused_by?.run_id === run && next.started_at) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (next?.caused_by?.run_id !== run || !next.started_at) throw new Error(`no run of b started after ${run}`);
    await s.call('GET', `/jobs/${b}/runs/${next.id}?wait=20`);
    gaps.push(Date.parse(next.started_at) - Date.parse(ended.finished_at));
  }
  await s.close();
  const row = (label: string, values: number[]) => [
    label,
    `${median(values)}`,
    `${percentile(values, 90)}`,
    `${Math.max(...values)}`,
  ];
  return {
    title: `Run-after chains: from a run's end to the start of the run after it (${CHAINS} chains A → B)`,
    tables: [
      {
        caption: "Milliseconds, from the service's own timestamps (host processes, one chain at a time)",
        head: ['', 'p50', 'p90', 'max'],
        rows: [
          row("A's finished_at → B's started_at", gaps),
          row('a run triggered by hand: created_at → started_at (the floor)', starts),
        ],
      },
    ],
  };
}
