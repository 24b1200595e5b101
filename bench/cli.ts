// CLI figures: start-up (`jobs --version`) beside the same Node starting an empty TypeScript file, and the wall
// time of `jobs run --wait` of `true` beside that run's own trigger → finished time read from the API (what
// the CLI adds: its start-up, finding the job by name, the trigger and the waiting read).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { median, ROOT, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const run = promisify(execFile);
const STARTS = 20;
const RUNS = 20;
const JOBS = join(ROOT, 'bin', 'jobs');
const NODE = join(ROOT, 'node_modules', 'node', 'bin', 'node');
const round = (ms: number) => Math.round(ms * 10) / 10;

async function wallMs(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  const { stdout } = await run(file, args, { env, encoding: 'utf8' });
  return { ms: performance.now() - started, stdout };
}

export async function cli(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-cli-'));
  const empty = join(dir, 'empty.ts');
  writeFileSync(empty, 'export {};\n');
  const starts: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    starts.push((await wallMs(JOBS, ['--version'])).ms);
    floor.push((await wallMs(NODE, [empty])).ms);
  }

  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0' },
    (line) => typeof line.ready_ms === 'number',
  );
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const env = {
    ...process.env,
    JOBS_URL: service.line.url as string,
    JOBS_KEY: key,
    JOBS_WORKSPACE: 'bench',
    JOBS_PROJECT: 'cli',
  };
  writeFileSync(join(dir, 'job.json'), JSON.stringify({ name: 'true', image: 'alpine', command: ['true'] }));
  await wallMs(JOBS, ['apply', '-f', join(dir, 'job.json')], env);
  const walls: number[] = [];
  const api: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const { ms, stdout } = await wallMs(JOBS, ['run', 'true', '--wait', '-o', 'json'], env);
    const finished = JSON.parse(stdout) as { created_at: string; finished_at: string };
    walls.push(ms);
    api.push(Date.parse(finished.finished_at) - Date.parse(finished.created_at));
  }
  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  return {
    title: 'CLI: start-up and the overhead of `jobs run --wait`',
    tables: [
      {
        caption: `\`jobs --version\` wall time (ms), median of ${STARTS}, beside Node 24 running an empty TypeScript file (the floor)`,
        head: ['', 'median', 'max'],
        rows: [
          ['jobs --version', `${round(median(starts))}`, `${round(Math.max(...starts))}`],
          ['node empty.ts (floor)', `${round(median(floor))}`, `${round(Math.max(...floor))}`],
        ],
      },
      {
        caption: `\`jobs run true --wait\` (ms), median of ${RUNS}: the command's wall time beside the run's created → finished in the API`,
        head: ['', 'median', 'max'],
        rows: [
          ['jobs run --wait, wall', `${round(median(walls))}`, `${round(Math.max(...walls))}`],
          ['the run, created → finished', `${round(median(api))}`, `${round(Math.max(...api))}`],
          ["the CLI's own part", `${round(median(walls) - median(api))}`, ''],
        ],
      },
    ],
  };
}
