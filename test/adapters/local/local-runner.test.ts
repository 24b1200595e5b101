import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerName, runArgs } from '../../../functions/adapters/local/container-launcher.ts';
import { taskUnit } from '../../../functions/adapters/local/container-runner.ts';
import { engineMessage, type Engine } from '../../../functions/adapters/local/engines.ts';
import { LocalRunner, processEnv } from '../../../functions/adapters/local/local-runner.ts';
import { LocalLogStore } from '../../../functions/adapters/local/log-store.ts';
import { createLogger } from '../../../functions/logger.ts';
import { aRun } from '../../helpers/runs.ts';

const spec = {
  run_id: 'run_01JD6R0G2M4S8V1X3Z5B7D9F1H',
  job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
  workspace_id: 'acme',
  project_id: 'etl',
  image: 'public.ecr.aws/docker/library/alpine:3.20',
  command: ['sh', '-c', 'echo "$STAGE"'],
  env: { STAGE: 'prod', TOKEN: 'value-that-must-not-be-on-a-command-line' },
  cpu: 0.5,
  memory_mb: 1024,
  timeout_seconds: 60,
  task_index: 3,
  task_count: 5,
  attempt: 2,
};

describe('a container of a run', () => {
  it('is made and run by one call, from the image with the command, the limits, the labels, the host flags, and env by name only', () => {
    const engine: Engine = {
      name: 'podman',
      version: '4',
      hostFlags: ['--runtime', '/usr/sbin/runc', '--ulimit', 'nofile=20000:20000'],
      cgroups: 'v1',
    };
    const args = runArgs(engine, spec, '/jobs/x', '/data/runs/x/container-id');
    expect(args).toEqual([
      'run',
      '--quiet',
      '--replace',
      '--cidfile',
      '/data/runs/x/container-id',
      '--name',
      'jobs-run_01jd6r0g2m4s8v1x3z5b7d9f1h-t3-2',
      '--label',
      'jobs.run-id=run_01JD6R0G2M4S8V1X3Z5B7D9F1H',
      '--label',
      'jobs.job-id=job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
      '--label',
      'jobs.workspace-id=acme',
      '--label',
      'jobs.project-id=etl',
      '--label',
      'jobs.task-index=3',
      '--label',
      'jobs.attempt=2',
      '--cpus',
      '0.5',
      '--memory',
      '1024m',
      '--memory-swap',
      '1024m',
      '--pull=missing',
      '--runtime',
      '/usr/sbin/runc',
      '--ulimit',
      'nofile=20000:20000',
      '--cgroup-parent',
      '/jobs/x',
      '--env',
      'STAGE',
      '--env',
      'TOKEN',
      'public.ecr.aws/docker/library/alpine:3.20',
      'sh',
      '-c',
      'echo "$STAGE"',
    ]);
    expect(args.join(' ')).not.toContain('value-that-must-not-be');
    // A variable the client needs itself (its PATH) travels by value, so the client still finds itself.
    const byValue = runArgs(engine, spec, null, '/c', [], new Set(['STAGE']));
    expect(byValue).toContain(`STAGE=${spec.env.STAGE}`);
    expect(byValue).not.toContain('--cgroup-parent');
    expect(runArgs({ ...engine, name: 'docker' }, spec, null, '/c')).not.toContain('--replace');
    expect(args).not.toContain('--publish');
    expect(containerName(taskUnit(spec.run_id, 0), 1)).toBe('jobs-run_01jd6r0g2m4s8v1x3z5b7d9f1h-t0-1');
  });

  it("reports the engine's own words for a failure", () => {
    expect(
      engineMessage(
        'Trying to pull docker.io/library/nope:1...\nError: initializing source docker://nope:1: no such host\n',
      ),
    ).toBe('initializing source docker://nope:1: no such host');
    expect(engineMessage('docker: Error response from daemon: pull access denied for nope\n')).toBe(
      'docker: Error response from daemon: pull access denied for nope',
    );
    expect(engineMessage('Error response from daemon: No such container: x')).toBe('No such container: x');
  });
});

describe('a host process of a run', () => {
  it('gets the job env over a few inherited variables, and its run id, task and attempt', () => {
    const env = processEnv(spec);
    expect(env).toMatchObject({
      STAGE: 'prod',
      PATH: process.env.PATH,
      JOBS_RUN_ID: spec.run_id,
      JOBS_TASK_INDEX: '3',
      JOBS_TASK_COUNT: '5',
      JOBS_ATTEMPT: '2',
      JOBS_TASK_ID: `${spec.run_id}-t3`,
    });
    expect(
      Object.keys(env).every((name) =>
        [
          'PATH',
          'HOME',
          'LANG',
          'LC_ALL',
          'TZ',
          'TMPDIR',
          'STAGE',
          'TOKEN',
          'JOBS_RUN_ID',
          'JOBS_TASK_INDEX',
          'JOBS_TASK_COUNT',
          'JOBS_ATTEMPT',
          'JOBS_TASK_ID',
        ].includes(name),
      ),
    ).toBe(true);
    // The task's mark, which finds its processes on cancel, wins over a job variable of the same name.
    expect(processEnv({ ...spec, env: { JOBS_TASK_ID: 'spoofed', JOBS_RUN_ID: 'spoofed' } })).toMatchObject({
      JOBS_TASK_ID: `${spec.run_id}-t3`,
      JOBS_RUN_ID: spec.run_id,
    });
  });
});

describe('the local runner at start', () => {
  it('removes what an earlier service moved aside and had no time to remove', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-runner-'));
    try {
      const left = join(dataDir, 'runs', '.discarded', '1-123', 'run_x');
      mkdirSync(left, { recursive: true });
      writeFileSync(join(left, 'stdout'), 'x'.repeat(1024));
      new LocalRunner({ dataDir, logs: new LocalLogStore(dataDir), logger: createLogger('test') });
      const deadline = Date.now() + 2_000;
      while (existsSync(join(dataDir, 'runs', '.discarded', '1-123')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(existsSync(join(dataDir, 'runs', '.discarded', '1-123'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("keeps a finished attempt's exit status for a service killed before its end was recorded", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jobs-runner-tombstone-'));
    try {
      const logs = new LocalLogStore(dataDir);
      const first = new LocalRunner({ dataDir, logs, logger: createLogger('test') });
      const attempt = { ...spec, command: ['sh', '-c', 'exit 3'], task_index: 0, task_count: 1, attempt: 1 };
      const exit = await first.run(attempt, async () => undefined);
      expect(exit.exit_code).toBe(3);
      // Its run directory is discarded at once; the end is written to the table a moment later. Killed in that
      // moment, the next service recovers the attempt from what was kept.
      expect(existsSync(join(dataDir, 'runs', spec.job_id, taskUnit(spec.run_id, 0)))).toBe(false);
      const next = new LocalRunner({ dataDir, logs, logger: createLogger('test') });
      const run = aRun({ ...spec, job_id: spec.job_id }, spec.run_id, {
        status: 'running',
        attempt: 1,
        backend: { runner: 'process', task: exit.task, execution: null, task_role: null },
      });
      expect(await next.recover(run)).toEqual([
        { index: 0, state: 'ended', exit: { exit_code: 3, timed_out: false, task: exit.task } },
      ]);
      // Told once: it is gone once recovered.
      expect(await next.recover(run)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
