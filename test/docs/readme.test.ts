// The README's examples run as written: every `sh` block of its "Using the API" part, in order, in one shell,
// against a freshly started service, each curl failing the run on an answer that is not a success.
import { spawnSync } from 'node:child_process';
import { satisfies } from 'semver';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local-server/engine/dynamodb-local.ts';
import { PROJECT_DIR } from '../../local-server/service.ts';
import { spawnService, type ServiceProcess } from '../helpers/process.ts';

const README = readFileSync(join(PROJECT_DIR, 'README.md'), 'utf8');

/** The shell blocks between two headings of the README, in order. */
function shellBlocks(markdown: string, from: string, to: string): string[] {
  const part = markdown.slice(markdown.indexOf(from), markdown.indexOf(to));
  return [...part.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

const dataDir = mkdtempSync(join(tmpdir(), 'jobs-readme-'));
let service: ServiceProcess;
let port: number;

beforeAll(async () => {
  port = await freePort();
  // The runner a user gets: podman or docker where one answers (with no registry reachable here), else processes.
  service = await spawnService({ JOBS_DATA_DIR: dataDir, PORT: String(port), JOBS_RUNNER: 'auto' });
}, 60_000);
afterAll(async () => {
  service?.child.kill('SIGTERM');
  await service?.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the README', () => {
  it('names exactly the packages npm ci warns about on Node 20 (EBADENGINE)', () => {
    const lock = JSON.parse(readFileSync(join(PROJECT_DIR, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    const refusing = Object.entries(lock.packages)
      .filter(([path, pkg]) => path && pkg.engines?.node && !satisfies('20.20.2', pkg.engines.node))
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length))
      .sort();
    const sentence = README.slice(README.indexOf('`npm warn EBADENGINE`'), README.indexOf('not a problem'));
    const named = [...sentence.matchAll(/`(@?[a-z0-9-]+(?:\/[a-z0-9-]+)?)`/g)]
      .map((m) => m[1]!)
      .filter((name) => name !== 'npm')
      .sort();
    expect(named).toEqual(refusing);
  });

  it('has examples for jobs, runs, metrics and keys', () => {
    const blocks = shellBlocks(README, '## Using the API', '## How it is built');
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.join('\n')).toContain('/cancel');
  });

  it('runs every example of "Using the API" as written, in order, without one failed request', () => {
    const blocks = shellBlocks(README, '## Using the API', '## How it is built');
    // Each curl fails the script on a 4xx or 5xx, and prints its body either way.
    const script = ['curl() { command curl --fail-with-body --show-error "$@"; echo; }', ...blocks].join('\n');
    const result = spawnSync('bash', ['--norc', '--noprofile', '-euo', 'pipefail', '-c', script], {
      cwd: PROJECT_DIR,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        JOBS_DATA_DIR: dataDir,
        PORT: String(port),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // Nothing failed: no curl error, no error of the CLI (a run's own stderr lines and the CLI's progress may show).
    expect(
      result.stderr.split('\n').filter((line) => /^(curl: |error: )/.test(line)),
      result.stderr,
    ).toEqual([]);
    expect(result.status, result.stdout).toBe(0);
    const replies = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    expect(replies.every((reply) => reply.status === 'success')).toBe(true);
    // The tag filter finds the job just created; the run finished; its log filter found its line; the cancel worked.
    expect(
      replies.some((r) => Array.isArray(r.data) && r.data.some((j: { name?: string }) => j.name === 'nightly-report')),
    ).toBe(true);
    expect(replies.some((r) => r.data?.status === 'succeeded' && r.data?.exit_code === 0)).toBe(true);
    // The runs ran in the runner a user gets, and measured: the metrics example has points.
    expect(replies.find((r) => r.data?.status === 'succeeded')?.data.backend.runner).toBe(service.ready.runner);
    const metrics = replies.find((r) => r.data?.memory_usage);
    expect(metrics?.data.memory_usage.points?.length, JSON.stringify(metrics)).toBeGreaterThan(0);
    expect(
      replies.some((r) => Array.isArray(r.data) && r.data.some((l: { message?: string }) => l.message === 'an error')),
    ).toBe(true);
    expect(replies.some((r) => r.message === 'Run cancelled')).toBe(true);
    expect(replies.some((r) => r.message === 'Key created' && typeof r.data?.secret === 'string')).toBe(true);
    // The CLI's examples: applied, followed to the end.
    expect(result.stdout).toContain('job/weekly-report created');
    expect(result.stdout).toContain('report for monday');
    expect(result.stderr).toMatch(/run\/run_\w+ succeeded/);
  }, 90_000);
});
