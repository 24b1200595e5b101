// MetricsService: each metric answers with its own status, a failing source fails only its metrics, and the
// default period keeps a reply within about 1,440 points.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../functions/core/errors.ts';
import type { MetricSource, MetricWindow } from '../../functions/core/ports.ts';
import { createTestTable } from '../helpers/dynamodb.ts';
import { coreOver } from '../helpers/core.ts';
import { TEST_ACTOR } from '../helpers/actor.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
const project = { workspace_id: 'acme', project_id: 'metrics' };
const windows: MetricWindow[] = [];
let failing = false;
const source: MetricSource = {
  minPeriodSeconds: 60,
  async query(_job, names, window) {
    windows.push(window);
    if (failing) throw new Error('the metrics engine is down');
    return Object.fromEntries(
      names.map((name) => [
        name,
        [{ timestamp: window.start.toISOString(), value: name === 'cpu_usage' ? 0.5 : 1024 }],
      ]),
    );
  },
};

beforeAll(async () => {
  table = await createTestTable('metrics-service');
});
afterAll(() => table.drop());

describe('MetricsService', () => {
  it('answers each known metric with its unit, an unknown one with its own error, and a source failure per metric', async () => {
    const { services } = coreOver(table, { metrics: source });
    const job = await services
      .jobs()
      .create(project, { name: 'measured', image: 'alpine', command: ['true'] }, TEST_ACTOR);
    const ref = { ...project, job_id: job.id };
    const end = new Date('2026-12-01T12:00:00.000Z');
    const answer = await services
      .metrics()
      .query(ref, ['cpu_usage', 'gpu_usage', 'memory_usage'], { start: new Date(end.getTime() - 7 * 86_400_000), end });
    expect(answer).toEqual({
      gpu_usage: { status: 'error', message: "unknown metric 'gpu_usage'; available: cpu_usage, memory_usage" },
      cpu_usage: { status: 'success', unit: 'cores', points: [{ timestamp: '2026-11-24T12:00:00.000Z', value: 0.5 }] },
      memory_usage: {
        status: 'success',
        unit: 'bytes',
        points: [{ timestamp: '2026-11-24T12:00:00.000Z', value: 1024 }],
      },
    });
    expect(windows.at(-1)?.periodSeconds).toBe(600); // 7 days in at most 1,440 points, rounded up to a round period
    failing = true;
    const failed = await services.metrics().query(ref, ['cpu_usage'], { end });
    expect(failed).toEqual({
      cpu_usage: { status: 'error', message: 'cpu_usage could not be read: the metrics engine is down' },
    });
    expect(windows.at(-1)?.periodSeconds).toBe(60); // one hour by default, never finer than the source
    failing = false;
    await expect(
      services.metrics().query({ ...project, job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA' }, ['cpu_usage'], {}),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
