// Metrics of real runs on the local host: the sampler reads each run's processes from /proc.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { job, points, projectPath, startTestService, type ApiClient, type TestService } from '../helpers/service.ts';

let t: TestService;
let api: ApiClient;
const P = projectPath('acme', 'metrics');
const MIB_200 = 200 * 1024 * 1024;

beforeAll(async () => {
  t = await startTestService('metrics');
  api = t.api;
});
afterAll(() => t.stop());

async function runToEnd(command: string[]) {
  const jobId = (await api.post(`${P}/jobs`, job({ command }))).body.data.id as string;
  const run = (await api.post(`${P}/jobs/${jobId}/runs`)).body.data;
  const done = (await api.get(`${P}/jobs/${jobId}/runs/${run.id}?wait=20`)).body.data;
  expect(done.status).toBe('succeeded');
  return { jobId, run: done };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

describe('job metrics', () => {
  it("measures a CPU-bound run's cores in agreement with its own CPU accounting, and records its CPU seconds", async () => {
    const { jobId, run } = await runToEnd([
      'python3',
      '-c',
      'import time\nend = time.time() + 4\nwhile time.time() < end: pass',
    ]);
    const response = await api.get(
      `${P}/jobs/${jobId}/metrics?names=cpu_usage&start=${run.started_at}&end=${run.finished_at}&period=1`,
    );
    expect(response.status).toBe(200);
    const cpu = response.body.data.cpu_usage;
    expect(cpu).toMatchObject({ status: 'success', unit: 'cores' });
    const cores = points(cpu);
    expect(cores.length).toBeGreaterThanOrEqual(2);
    // One thread can use one core at most; what the machine gave it (all of a core when idle, less when loaded)
    // is what its shell's own accounting says, second by second.
    expect(Math.max(...cores)).toBeLessThan(1.3);
    const sampledSeconds = cores.reduce((sum, value) => sum + value, 0);
    const cpuSeconds = run.usage?.cpu_seconds ?? Number.NaN;
    expect(cpuSeconds).toBeGreaterThan(0.1);
    expect(cpuSeconds).toBeLessThan(5);
    expect(Math.abs(sampledSeconds - cpuSeconds)).toBeLessThan(Math.max(1.2, 0.35 * cpuSeconds));
  });

  it('shows a process holding 200 MiB within 15 % of it, and records its peak', async () => {
    const { jobId, run } = await runToEnd(['python3', '-c', `import time\nb = b"x" * ${MIB_200}\ntime.sleep(4)`]);
    const response = await api.get(
      `${P}/jobs/${jobId}/metrics?names=memory_usage&start=${run.started_at}&end=${run.finished_at}&period=1`,
    );
    const memory = response.body.data.memory_usage;
    expect(memory).toMatchObject({ status: 'success', unit: 'bytes' });
    const steady = median(points(memory));
    expect(Math.abs(steady - MIB_200) / MIB_200).toBeLessThan(0.15);
    expect(Math.abs((run.usage?.peak_memory_bytes ?? Number.NaN) - MIB_200) / MIB_200).toBeLessThan(0.15);
  });

  it('wraps an unknown metric in its own error and still answers the others', async () => {
    const { jobId } = await runToEnd(['true']);
    const response = await api.get(`${P}/jobs/${jobId}/metrics?names=cpu_usage,gpu_usage&since=1h`);
    expect(response.status).toBe(200);
    expect(response.body.data.gpu_usage).toEqual({
      status: 'error',
      message: "unknown metric 'gpu_usage'; available: cpu_usage, memory_usage",
    });
    expect(response.body.data.cpu_usage?.status).toBe('success');
    expect(Object.keys(response.body.data)).toEqual(['gpu_usage', 'cpu_usage']);
  });

  it('answers both metrics by default, and 404 for a job that does not exist', async () => {
    const { jobId } = await runToEnd(['true']);
    const response = await api.get(`${P}/jobs/${jobId}/metrics`);
    expect(Object.keys(response.body.data).sort()).toEqual(['cpu_usage', 'memory_usage']);
    expect((await api.get(`${P}/jobs/job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA/metrics`)).status).toBe(404);
  });

  it('rejects a malformed names list or period, naming the parameter', async () => {
    const { jobId } = await runToEnd(['true']);
    expect((await api.get(`${P}/jobs/${jobId}/metrics?names=CPU!`)).body.errors?.[0]?.field).toBe('names');
    expect((await api.get(`${P}/jobs/${jobId}/metrics?period=0`)).body.errors?.[0]?.field).toBe('period');
  });
});
