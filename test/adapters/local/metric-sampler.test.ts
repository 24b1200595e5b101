import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalMetricSampler } from '../../../functions/adapters/local/metric-sampler.ts';
import { defaultPeriod, MetricsService } from '../../../functions/core/metrics.ts';
import type { JobService } from '../../../functions/core/job-service.ts';
import type { MetricSource } from '../../../functions/core/ports.ts';
import { createLogger } from '../../../functions/logger.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const job = { workspace_id: 'acme', project_id: 'etl', job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' };
const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);

function sampler(samples: Array<{ t: number; r: string; c?: number; m: number }>, retentionHours = 168) {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobs-metrics-'));
  dirs.push(dataDir);
  const dir = join(dataDir, 'metrics', job.job_id);
  mkdirSync(dir, { recursive: true });
  const byHour = new Map<string, string[]>();
  for (const s of samples) {
    const file = `${new Date(Math.floor(s.t / 3_600_000) * 3_600_000).toISOString().slice(0, 13)}.jsonl`;
    byHour.set(file, [...(byHour.get(file) ?? []), JSON.stringify(s)]);
  }
  for (const [file, lines] of byHour) writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
  return {
    dir,
    source: new LocalMetricSampler({ dataDir, runs: () => [], logger: createLogger('test'), retentionHours }),
  };
}

describe('the local sampler', () => {
  it('averages CPU across running instances and totals memory across them, per period', async () => {
    const samples = [];
    for (let i = 0; i < 20; i++) {
      samples.push({ t: T0 + i * 1000, r: 'run_a', c: 1, m: 100 });
      if (i >= 10) samples.push({ t: T0 + i * 1000, r: 'run_b', c: 0.5, m: 300 });
    }
    const { source } = sampler(samples);
    const result = await source.query(job, ['cpu_usage', 'memory_usage'], {
      start: new Date(T0),
      end: new Date(T0 + 20_000),
      periodSeconds: 10,
    });
    expect(result.cpu_usage).toEqual([
      { timestamp: new Date(T0).toISOString(), value: 1 },
      { timestamp: new Date(T0 + 10_000).toISOString(), value: 0.75 },
    ]);
    expect(result.memory_usage).toEqual([
      { timestamp: new Date(T0).toISOString(), value: 100 },
      { timestamp: new Date(T0 + 10_000).toISOString(), value: 400 },
    ]);
  });

  it("reads only the window, across hour files, and skips a run's first sample (no rate yet) for CPU", async () => {
    const { source } = sampler([
      { t: T0 - 3_600_000, r: 'run_a', c: 2, m: 1 },
      { t: T0, r: 'run_a', m: 10 },
      { t: T0 + 1000, r: 'run_a', c: 0.25, m: 20 },
    ]);
    const result = await source.query(job, ['cpu_usage', 'memory_usage'], {
      start: new Date(T0),
      end: new Date(T0 + 5000),
      periodSeconds: 60,
    });
    expect(result.cpu_usage).toEqual([{ timestamp: new Date(T0).toISOString(), value: 0.25 }]);
    expect(result.memory_usage).toEqual([{ timestamp: new Date(T0).toISOString(), value: 15 }]);
  });

  it('removes samples older than its retention, whole hours at a time', async () => {
    const { dir, source } = sampler(
      [
        { t: T0 - 5 * 3_600_000, r: 'run_a', m: 1 },
        { t: T0 - 3_600_000, r: 'run_a', m: 1 },
        { t: T0, r: 'run_a', m: 1 },
      ],
      2,
    );
    expect(await source.enforceRetention(T0 + 60_000)).toBe(1);
    expect(readdirSync(dir)).toHaveLength(2);
    await source.deleteForJob(job);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('MetricsService', () => {
  const jobs = { get: async () => ({}) } as unknown as JobService;

  it('wraps a failing source in an error per metric instead of failing the request', async () => {
    const failing: MetricSource = {
      minPeriodSeconds: 60,
      query: async () => {
        throw new Error('throttled');
      },
    };
    const result = await new MetricsService({ jobs, source: failing }).query(job, ['cpu_usage', 'memory_usage'], {});
    expect(result).toEqual({
      cpu_usage: { status: 'error', message: 'cpu_usage could not be read: throttled' },
      memory_usage: { status: 'error', message: 'memory_usage could not be read: throttled' },
    });
  });

  it('keeps one metric whose query failed apart from one that answered', async () => {
    const half: MetricSource = {
      minPeriodSeconds: 60,
      query: async () => ({ cpu_usage: [{ timestamp: 't', value: 1 }], memory_usage: new Error('Forbidden') }),
    };
    const result = await new MetricsService({ jobs, source: half }).query(job, ['cpu_usage', 'memory_usage'], {});
    expect(result.cpu_usage).toEqual({ status: 'success', unit: 'cores', points: [{ timestamp: 't', value: 1 }] });
    expect(result.memory_usage).toEqual({ status: 'error', message: 'memory_usage could not be read: Forbidden' });
  });

  it('chooses a period that fits the window in about 1,440 points, no finer than the source', async () => {
    expect(defaultPeriod(3600, 1)).toBe(5);
    expect(defaultPeriod(86_400, 1)).toBe(60);
    expect(defaultPeriod(7 * 86_400, 1)).toBe(600);
    expect(defaultPeriod(600, 60)).toBe(60);
    let asked = 0;
    const recording: MetricSource = {
      minPeriodSeconds: 1,
      query: async (_job, _names, window) => {
        asked = window.periodSeconds;
        return { cpu_usage: [] };
      },
    };
    await new MetricsService({ jobs, source: recording }).query(job, ['cpu_usage'], {
      start: new Date(T0),
      end: new Date(T0 + 86_400_000),
    });
    expect(asked).toBe(60);
  });
});
