// The metric sampler alone in this process, sampling N runs of three processes each for a while: prints the CPU
// this process used (the sampler's cost) and the bytes the samples took on disk.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalMetricSampler } from '../functions/adapters/local/metric-sampler.ts';
import { signalTree } from '../functions/adapters/local/process-tree.ts';
import { createLogger } from '../functions/logger.ts';

const runs = Number(process.argv[2] ?? 20);
const seconds = Number(process.argv[3] ?? 60);
const dataDir = mkdtempSync(join(tmpdir(), 'jobs-sampler-'));
const children = Array.from({ length: runs }, (_, i) => {
  const child = spawn('/bin/sh', ['-c', 'sleep 600 & sleep 600 & wait'], { detached: true, stdio: 'ignore' });
  return {
    run_id: `run_${String(i).padStart(26, '0')}`,
    task_index: 0,
    job_id: 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA',
    pid: child.pid as number,
  };
});
await new Promise((resolve) => setTimeout(resolve, 500));
const sampler = new LocalMetricSampler({ dataDir, runs: () => children, logger: createLogger('bench') });
const cpuBefore = process.cpuUsage();
const started = performance.now();
sampler.start();
await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
await sampler.stop();
const cpu = process.cpuUsage(cpuBefore);
const elapsed = (performance.now() - started) / 1000;
const dir = join(dataDir, 'metrics', 'job_01JD6Q3ZK8Y5E2W9T4N7B1C0XA');
const bytes = existsSync(dir) ? readdirSync(dir).reduce((sum, file) => sum + statSync(join(dir, file)).size, 0) : 0;
for (const child of children) signalTree(child.pid, 'SIGKILL');
rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    runs,
    seconds: Math.round(elapsed),
    core_percent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 1000) / 10,
    bytes_per_run_hour: runs > 0 ? Math.round((bytes / runs / elapsed) * 3600) : 0,
  }),
);
