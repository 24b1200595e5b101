// Metric figures: what the local sampler costs with 20 runs in flight (CPU, and disk per run-hour), beside the
// same process with nothing to sample (the floor: an idle process with the sampler's timer).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const SECONDS = 60;

function measure(runs: number): { core_percent: number; bytes_per_run_hour: number } {
  const result = spawnSync(
    process.execPath,
    [join(ROOT, 'bench', 'sampler-overhead.ts'), String(runs), String(SECONDS)],
    { encoding: 'utf8' },
  );
  const last = result.stdout.trim().split('\n').at(-1);
  if (!last) throw new Error(`sampler-overhead.ts printed nothing (${result.status}): ${result.stderr}`);
  return JSON.parse(last);
}

export async function metrics(): Promise<Section> {
  const busy = measure(20);
  const idle = measure(0);
  return {
    title: 'Metrics: the local sampler',
    tables: [
      {
        caption: `The sampler in a process of its own for ${SECONDS} s, sampling every second (goal: under 2 % of one core with 20 runs)`,
        head: ['runs in flight (3 processes each)', 'CPU, % of one core', 'storage per run-hour'],
        rows: [
          ['20', `${busy.core_percent}`, `${Math.round(busy.bytes_per_run_hour / 1024)} KiB`],
          ['0 (floor: the idle process)', `${idle.core_percent}`, '—'],
        ],
      },
    ],
  };
}
