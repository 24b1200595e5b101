// Local mode's settings: defaults when unset, and a start refused with the variable's name for a wrong value.
import { describe, expect, it } from 'vitest';
import { availableParallelism, totalmem } from 'node:os';
import { readLocalSettings, SettingError } from '../../local-server/settings.ts';

describe('local settings', () => {
  it('defaults every setting', () => {
    expect(readLocalSettings({}, '/data')).toEqual({
      port: 8080,
      dataDir: '/data',
      adminKey: undefined,
      catchUpSeconds: undefined,
      metricsRetentionHours: undefined,
      rateLimit: { rate: 500, burst: 1000 },
      webhooksAllowPrivate: true,
      runner: 'auto',
      // Twice the cores, three quarters of the memory.
      capacity: { cpu: 2 * availableParallelism(), memory_mb: Math.floor((totalmem() * 0.75) / 1024 / 1024) },
    });
  });

  it('reads each from its variable', () => {
    const env = {
      PORT: '0',
      JOBS_DATA_DIR: '/tmp/jobs',
      JOBS_ADMIN_KEY: ' jobs_x ',
      JOBS_SCHEDULE_CATCH_UP_SECONDS: '0',
      JOBS_METRICS_RETENTION_HOURS: '2',
      JOBS_RATE_LIMIT: 'off',
      JOBS_WEBHOOKS_ALLOW_PRIVATE: 'off',
      JOBS_RUNNER: 'podman',
      JOBS_CAPACITY_CPU: '1.5',
      JOBS_CAPACITY_MEMORY_MB: '4096',
    };
    expect(readLocalSettings(env, '/data')).toEqual({
      port: 0,
      dataDir: '/tmp/jobs',
      adminKey: 'jobs_x',
      catchUpSeconds: 0,
      metricsRetentionHours: 2,
      rateLimit: null,
      webhooksAllowPrivate: false,
      runner: 'podman',
      capacity: { cpu: 1.5, memory_mb: 4096 },
    });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535'],
    [{ JOBS_SCHEDULE_CATCH_UP_SECONDS: '-1' }, 'JOBS_SCHEDULE_CATCH_UP_SECONDS must be a whole number from 0'],
    [{ JOBS_METRICS_RETENTION_HOURS: '0' }, 'JOBS_METRICS_RETENTION_HOURS must be a whole number from 1'],
    [{ JOBS_RATE_LIMIT: 'fast' }, 'JOBS_RATE_LIMIT must be'],
    [{ JOBS_WEBHOOKS_ALLOW_PRIVATE: 'maybe' }, 'JOBS_WEBHOOKS_ALLOW_PRIVATE must be on or off'],
    [{ JOBS_CAPACITY_CPU: 'lots' }, "JOBS_CAPACITY_CPU must be a number of at least 0.25, not 'lots'"],
    [{ JOBS_CAPACITY_CPU: '0.1' }, 'JOBS_CAPACITY_CPU must be a number of at least 0.25'],
    [{ JOBS_CAPACITY_MEMORY_MB: '1.5' }, 'JOBS_CAPACITY_MEMORY_MB must be a whole number from 128'],
    [{ JOBS_RUNNER: 'kubernetes' }, "JOBS_RUNNER must be one of auto, podman, docker, process, not 'kubernetes'"],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => readLocalSettings(env, '/data')).toThrow(SettingError);
    expect(() => readLocalSettings(env, '/data')).toThrow(message);
  });
});
