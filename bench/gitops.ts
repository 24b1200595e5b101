// Jobs as code: the wall time of `jobsctl plan -f <folder>` over 200 job files that match the service (nothing to
// change) and with one of them changed, beside `jobsctl --version` (the CLI's start-up, its floor). A plan reads
// and checks every file, reads the project's jobs (two pages of 100) and diffs each job, field by field.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, percentile, ROOT, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const FILES = 200;
const SAMPLES = 15;
const JOBS = join(ROOT, 'bin', 'jobs');
const round = (ms: number) => Math.round(ms);

/** Runs the CLI; its exit status is part of the answer (a plan that would change something exits 2). */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; code: number }> {
  const started = performance.now();
  return new Promise((resolve) =>
    execFile(JOBS, args, { env, encoding: 'utf8' }, (error) =>
      resolve({ ms: performance.now() - started, code: error ? Number(error.code ?? 1) : 0 }),
    ),
  );
}

export async function gitops(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-gitops-'));
  const files = join(dir, 'jobs');
  mkdirSync(files);
  for (let i = 0; i < FILES; i++)
    writeFileSync(
      join(files, `job-${String(i).padStart(3, '0')}.yaml`),
      [
        `name: job-${i}`,
        'image: alpine:3.20',
        `command: echo ${i}`,
        `schedule: "${i % 60} ${i % 24} * * *"`,
        'timezone: Europe/Berlin',
        'env:',
        `  INDEX: "${i}"`,
        'tags:',
        '  team: data',
        'alerts:',
        '  consecutive_failures: 3',
        '',
      ].join('\n'),
    );
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: join(dir, 'data'), JOBS_RUNNER: 'process', PORT: '0' },
    (line) => typeof line.ready_ms === 'number',
  );
  const env = {
    ...process.env,
    JOBS_URL: service.line.url as string,
    JOBS_KEY: readFileSync(join(dir, 'data', 'admin-key'), 'utf8').trim(),
    JOBS_WORKSPACE: 'bench',
    JOBS_PROJECT: 'gitops',
  };
  const applied = await timed(['apply', '-f', files, '--yes'], env);
  if (applied.code !== 0) throw new Error(`apply of ${FILES} files exited ${applied.code}`);
  const sample = async (args: string[], expected: number) => {
    const times: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const { ms, code } = await timed(args, env);
      if (code !== expected) throw new Error(`jobsctl ${args.join(' ')} exited ${code}, not ${expected}`);
      times.push(ms);
    }
    return times;
  };
  const version = await sample(['--version'], 0);
  const unchanged = await sample(['plan', '-f', files], 0);
  writeFileSync(
    join(files, 'job-007.yaml'),
    readFileSync(join(files, 'job-007.yaml'), 'utf8').replace('echo 7', 'echo seven'),
  );
  const changed = await sample(['plan', '-f', files], 2);
  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });
  const row = (label: string, times: number[]) => [label, `${round(median(times))}`, `${round(percentile(times, 90))}`];
  return {
    title: `Jobs as code: \`jobsctl plan\` of ${FILES} job files`,
    tables: [
      {
        caption: `Wall time (ms) of ${SAMPLES} runs each, on a local service holding the ${FILES} jobs (applied in ${round(applied.ms)} ms)`,
        head: ['command', 'median', 'p90'],
        rows: [
          row(`jobsctl plan -f <${FILES} files>: nothing to change (exit 0)`, unchanged),
          row(`jobsctl plan -f <${FILES} files>: one job changed (exit 2)`, changed),
          row('jobsctl --version (the start-up floor)', version),
        ],
      },
    ],
  };
}
