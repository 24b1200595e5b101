// Admission: what it costs where limits do not bind, what it does to a burst, and the AWS path by simulation.
// "Before" is the service as it was before admission (BENCH_BEFORE, default the commit before it), checked out
// beside this one with the same dependencies, measured in the same run on the same machine.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoTable } from '../functions/adapters/dynamodb/table-client.ts';
import { ensureTable } from '../local-server/engine/ensure-table.ts';
import { simulateBurst, startsPerSecond } from '../test/helpers/aws-simulation.ts';
import { median, percentile, ROOT } from './lib/processes.ts';
import { benchService, type BenchService } from './lib/service.ts';
import type { Section } from './lib/report.ts';

const BEFORE = process.env.BENCH_BEFORE ?? 'ad8487a';
const round = (ms: number) => Math.round(ms * 10) / 10;

/** A checkout of the service before admission, sharing this one's node_modules (the lock is the same). */
function checkoutBefore(): string {
  const dir = join(tmpdir(), `jobs-bench-before-${BEFORE}`);
  if (!existsSync(dir)) {
    execFileSync('git', ['worktree', 'add', '--detach', dir, BEFORE], { cwd: ROOT, stdio: 'ignore' });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}

function removeCheckout(dir: string): void {
  execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT, stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}

/** Trigger → running of one run at a time, both versions alternated run by run. */
async function startLatency(before: BenchService, after: BenchService): Promise<{ before: number[]; after: number[] }> {
  const jobOf = async (service: BenchService) =>
    (await service.call('POST', '/jobs', { name: 'quick', image: 'alpine', command: ['true'] })).data.id as string;
  const once = async (service: BenchService, jobId: string) => {
    const sent = Date.now();
    const run = (await service.call('POST', `/jobs/${jobId}/runs`)).data;
    const done = (await service.call('GET', `/jobs/${jobId}/runs/${run.id as string}?wait=20`)).data;
    if (done.status !== 'succeeded') throw new Error(`a bench run ended ${String(done.status)}`);
    return Date.parse(done.started_at as string) - sent;
  };
  const jobs = { before: await jobOf(before), after: await jobOf(after) };
  for (let i = 0; i < 5; i++) {
    await once(before, jobs.before);
    await once(after, jobs.after);
  }
  const result = { before: [] as number[], after: [] as number[] };
  for (let i = 0; i < 40; i++) {
    result.before.push(await once(before, jobs.before));
    result.after.push(await once(after, jobs.after));
  }
  return result;
}

/** The burst's runs with a live process now, from one pass over /proc (a run's processes carry its JOBS_RUN_ID). */
function runsWithProcesses(): number {
  const runs = new Set<string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (environ.includes('BENCH_BURST=1')) runs.add(/(?:^|\0)JOBS_RUN_ID=([^\0]+)/.exec(environ)?.[1] ?? pid);
    } catch {
      // gone, or not ours
    }
  }
  return runs.size;
}

/** 500 runs of `sleep 2` triggered at once: GET latency meanwhile, the most processes at once, time to drain. */
async function burst(service: BenchService): Promise<{ p99: number; p50: number; peak: number; drainS: number }> {
  const job = (
    await service.call('POST', '/jobs', {
      name: 'burst',
      image: 'alpine',
      command: ['sleep', '2'],
      env: { BENCH_BURST: '1' },
    })
  ).data.id as string;
  const started = Date.now();
  let sending = true;
  const latencies: number[] = [];
  let peak = 0;
  const sampler = (async () => {
    while (sending) {
      const t0 = performance.now();
      await service.call('GET', `/runs?limit=20`);
      latencies.push(performance.now() - t0);
      peak = Math.max(peak, runsWithProcesses());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const ids: string[] = [];
  // Fifty callers at once, as a burst of schedules or a script's loop would send them.
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let i = 0; i < 10; i++) ids.push((await service.call('POST', `/jobs/${job}/runs`)).data.id as string);
    }),
  );
  for (;;) {
    const active = (await service.call('GET', `/jobs/${job}/runs?limit=100&status=pending`)).data.length;
    const running = (await service.call('GET', `/jobs/${job}/runs?limit=100&status=running`)).data.length;
    if (active + running === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  sending = false;
  await sampler;
  const failed = (await service.call('GET', `/jobs/${job}/runs?limit=100&status=failed`)).data.length;
  if (failed > 0) throw new Error(`${failed} burst runs failed`);
  return {
    p50: round(median(latencies)),
    p99: round(percentile(latencies, 99)),
    peak,
    drainS: round((Date.now() - started) / 1000),
  };
}

async function simulation(service: BenchService) {
  const table = new DynamoTable({ tableName: 'aws-simulation', endpoint: service.ready.dynamodb_endpoint as string });
  await ensureTable(table.client, table.name);
  try {
    return await simulateBurst({ table, runs: 1000, capacityFailures: 0.05, taskMs: 2_000 });
  } finally {
    table.destroy();
  }
}

export async function admission(): Promise<Section> {
  const beforeDir = checkoutBefore();
  const rows: string[][] = [];
  const notes: string[] = [];
  try {
    let before = await benchService('process', 'admission', { root: beforeDir });
    let after = await benchService('process', 'admission');
    const latency = await startLatency(before, after);
    rows.push([
      'trigger → running p50 (ms), one run at a time',
      `${round(median(latency.before))}`,
      `${round(median(latency.after))}`,
    ]);
    rows.push([
      'trigger → running p99 (ms)',
      `${round(percentile(latency.before, 99))}`,
      `${round(percentile(latency.after, 99))}`,
    ]);
    await before.close();
    await after.close();

    // Each burst on a service of its own, one at a time.
    before = await benchService('process', 'burst', { root: beforeDir });
    const b = await burst(before);
    await before.close();
    after = await benchService('process', 'burst');
    const a = await burst(after);
    const sim = await simulation(after);
    await after.close();
    rows.push(['500 × sleep 2 at once: GET p50 during (ms)', `${b.p50}`, `${a.p50}`]);
    rows.push(['500 × sleep 2 at once: GET p99 during (ms)', `${b.p99}`, `${a.p99}`]);
    rows.push(['500 × sleep 2 at once: most runs with a live process at once', `${b.peak}`, `${a.peak}`]);
    rows.push(['500 × sleep 2 at once: time to drain (s)', `${b.drainS}`, `${a.drainS}`]);
    notes.push(
      `AWS by simulation (1,000 runs triggered over 1 s; ECS: burst 100 then 20/s, ThrottlingException past it, 5 % of launches refused for capacity; the real definition, run-state function and dispatcher over DynamoDB Local): ` +
        `${sim.succeeded} succeeded, ${sim.failed.length} failed, ${sim.throttled} launches throttled and ${sim.capacityRefused} refused for capacity (each launched again through admission), ` +
        `${sim.rateAfterBurst.toFixed(1)} starts/s after the burst, longest wait ${(sim.longestWaitMs / 1000).toFixed(1)} s; ` +
        `all triggers answered by ${(sim.triggeredMs / 1000).toFixed(1)} s and the first start at ${(sim.firstStartMs / 1000).toFixed(1)} s (DynamoDB Local and the interpreter on this machine's cores take the 1,000 triggers' writes first). ` +
        `Starts per second: ${startsPerSecond(sim.starts).join(' ')}.`,
    );
    notes.push(
      `Before: ${BEFORE}, the commit before admission. Host capacity is the default, 2 × cores: ${2 * availableParallelism()} cpu here, so ${8 * availableParallelism()} tasks of 0.25 cpu at once; the 500 were sent by 50 callers at once.`,
    );
  } finally {
    removeCheckout(beforeDir);
  }
  return {
    title: 'Admission',
    tables: [
      {
        caption: 'Host processes; before admission and with it, measured in one run',
        head: ['figure', 'before', 'with admission'],
        rows,
      },
    ],
    notes,
  };
}
