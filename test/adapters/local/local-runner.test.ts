import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerName, dockerLauncher, LocalRunner, processLauncher } from '../../../functions/adapters/local/local-runner.ts';
import { LocalLogStore } from '../../../functions/adapters/local/log-store.ts';
import { createLogger } from '../../../functions/logger.ts';

const spec = {
  run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H',
  job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
  image: 'public.ecr.aws/docker/library/alpine:3.20',
  command: ['sh', '-c', 'echo "$STAGE"'],
  env: { STAGE: 'prod', TOKEN: 'value-that-must-not-be-on-a-command-line' },
  cpu: 0.5,
  memory_mb: 1024,
  timeout_seconds: 60,
  attempt: 1,
};

describe('the Docker launcher', () => {
  it('runs the image with the command, the cpu and memory limits, labels, and env passed by name only', () => {
    expect(dockerLauncher.argv(spec)).toEqual([
      'docker', 'run', '--rm', '--name', 'jobs-run_01jd6r0g2m4s8v1x3z5b7d9f1h',
      '--label', 'jobs.run-id=run_01JD6R0G2M4S8V1X3Z5B7D9F1H', '--label', 'jobs.job-id=job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
      '--cpus', '0.5', '--memory', '1024m', '--env', 'STAGE', '--env', 'TOKEN',
      'public.ecr.aws/docker/library/alpine:3.20', 'sh', '-c', 'echo "$STAGE"',
    ]);
    expect(dockerLauncher.argv(spec).join(' ')).not.toContain('value-that-must-not-be');
    expect(dockerLauncher.env(spec)).toMatchObject({ STAGE: 'prod', TOKEN: 'value-that-must-not-be-on-a-command-line' });
    expect(dockerLauncher.task(spec, 1234)).toBe(containerName(spec.run_id));
  });
});

describe('the host-process launcher', () => {
  it('runs the command itself, ignoring the image, with the job env over a few inherited variables, marked with its run id', () => {
    expect(processLauncher.argv(spec)).toEqual(spec.command);
    const env = processLauncher.env(spec);
    expect(env).toMatchObject({ STAGE: 'prod', PATH: process.env.PATH });
    expect(Object.keys(env).every((name) => ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'STAGE', 'TOKEN', 'JOBS_RUN_ID'].includes(name))).toBe(true);
    // The run's mark, which finds its processes on cancel, wins over a job variable of the same name.
    expect(processLauncher.env({ ...spec, env: { JOBS_RUN_ID: 'spoofed' } }).JOBS_RUN_ID).toBe(spec.run_id);
    expect(processLauncher.task(spec, 1234)).toBe('pid 1234');
  });
});

describe('the local runner at start', () => {
  it('removes what an earlier service moved aside and had no time to remove', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-runner-'));
    try {
      const left = join(dataDir, 'runs', '.discarded', '1-123', 'run_x');
      mkdirSync(left, { recursive: true });
      writeFileSync(join(left, 'stdout'), 'x'.repeat(1024));
      new LocalRunner({ dataDir, logs: new LocalLogStore(dataDir), logger: createLogger('test'), launcher: processLauncher });
      const deadline = Date.now() + 2_000;
      while (existsSync(join(dataDir, 'runs', '.discarded', '1-123')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(join(dataDir, 'runs', '.discarded', '1-123'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
