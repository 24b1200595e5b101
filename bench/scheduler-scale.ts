// Arms N schedules in a fresh process and prints what that took (run with --expose-gc).
import { LocalScheduler } from '../functions/adapters/local/local-scheduler.ts';
import { newId } from '../functions/core/ids.ts';
import { buildJob } from '../functions/core/jobs.ts';
import { createLogger } from '../functions/logger.ts';

const count = Number(process.argv[2] ?? 10_000);
const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];
const crons = ['0 3 * * 1-5', '*/15 * * * *', '30 2 * * *', '0 0 1 * *', '0 9 13 * 5', '@hourly', '15,45 8-18 * * *'];
const jobs = Array.from({ length: count }, (_, i) =>
  buildJob(
    { workspace_id: 'bench', project_id: 'scale' },
    newId('job'),
    {
      name: `j${i}`,
      image: 'alpine',
      command: ['true'],
      schedule: crons[i % crons.length],
      timezone: zones[i % zones.length],
    },
    't',
    't',
  ),
);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const started = performance.now();
const scheduler = new LocalScheduler({ deliver: async () => undefined, logger: createLogger('bench') });
scheduler.load(jobs, { catchUp: false });
const elapsed = performance.now() - started;
gc?.();
const after = process.memoryUsage();
console.log(
  JSON.stringify({
    count: scheduler.size,
    arm_ms: Math.round(elapsed),
    heap_mib: Math.round(((after.heapUsed - before.heapUsed) / 2 ** 20) * 10) / 10,
    rss_mib: Math.round((after.rss / 2 ** 20) * 10) / 10,
  }),
);
await scheduler.stop();
