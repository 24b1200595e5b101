import { describe, expect, it } from 'vitest';
import { applyPatch, buildJob } from '../../functions/core/jobs.ts';

const ref = { workspace_id: 'acme', project_id: 'etl' };
const base = buildJob(
  ref,
  'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
  {
    name: 'nightly',
    image: 'alpine',
    command: 'echo hi',
    env: { A: '1' },
    schedule: '0 3 * * *',
    timezone: 'Europe/Berlin',
    tags: { team: 'data' },
    timeout_seconds: 60,
    retries: 2,
    concurrency: 'forbid',
    cpu: 1,
    memory_mb: 2048,
    suspended: true,
  },
  '2026-01-01T00:00:00.000Z',
  '2026-01-01T00:00:00.000Z',
);

describe('buildJob', () => {
  it('fills every default and keeps the contract field order', () => {
    const job = buildJob(ref, 'job_X', { name: 'n', image: 'alpine', command: ['true'] }, 't0', 't1');
    expect(Object.keys(job)).toEqual([
      'id',
      'workspace_id',
      'project_id',
      'name',
      'image',
      'command',
      'env',
      'secrets',
      'registry_credentials',
      'task_role',
      'network',
      'schedule',
      'timezone',
      'schedule_jitter_seconds',
      'suspended',
      'tags',
      'timeout_seconds',
      'retries',
      'retry_rules',
      'concurrency',
      'priority',
      'queue_timeout_seconds',
      'cpu',
      'memory_mb',
      'history',
      'tasks',
      'parallelism',
      'alerts',
      'run_after',
      'created_at',
      'updated_at',
      'revision',
    ]);
    expect(job).toMatchObject({
      env: {},
      secrets: {},
      registry_credentials: null,
      task_role: null,
      network: 'public',
      schedule: null,
      timezone: 'UTC',
      suspended: false,
      tags: {},
      timeout_seconds: 3600,
      retries: 0,
      retry_rules: [],
      concurrency: 'allow',
      cpu: 0.25,
      memory_mb: 512,
    });
  });
});

describe('applyPatch', () => {
  it('leaves omitted fields unchanged', () => {
    const next = applyPatch(base, { image: 'busybox' }, 't2');
    expect(next).toEqual({ ...base, image: 'busybox', updated_at: 't2' });
  });

  it('turns null into the default, and a null schedule removes the schedule', () => {
    const next = applyPatch(
      base,
      {
        schedule: null,
        env: null,
        tags: null,
        timezone: null,
        retries: null,
        retry_rules: null,
        concurrency: null,
        suspended: null,
      },
      't2',
    );
    expect(next).toMatchObject({
      schedule: null,
      env: {},
      tags: {},
      timezone: 'UTC',
      retries: 0,
      retry_rules: [],
      concurrency: 'allow',
      suspended: false,
    });
    expect(next.created_at).toBe(base.created_at);
  });

  it('replaces maps whole rather than merging them', () => {
    expect(applyPatch(base, { env: { B: '2' } }, 't2').env).toEqual({ B: '2' });
  });

  it('normalizes a string command', () => {
    expect(applyPatch(base, { command: 'date' }, 't2').command).toEqual(['/bin/sh', '-c', 'date']);
  });
});
