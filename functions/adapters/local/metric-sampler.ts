// The local MetricSource: once a second it reads every running run's processes from /proc (one pass over /proc
// for all runs), and stores a sample per run: the CPU it used since the last sample (cores) and its resident
// memory (bytes). Samples are JSON lines under <data>/metrics/<job id>/<hour>.jsonl, kept for a retention period.
// It is also the UsageSource of local runs: their peak memory and CPU seconds.
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobRef } from '../../core/jobs.ts';
import type {
  MetricName,
  MetricPoint,
  MetricSource,
  MetricWindow,
  RunArtifacts,
  UsageSource,
} from '../../core/ports.ts';
import type { Run, RunUsage } from '../../core/run-model.ts';
import type { Logger } from '../../logger.ts';
import { Background } from './background.ts';
import { childrenOf, readProcesses, treeOf } from './process-tree.ts';

/** One task of a run running now (each task is an instance the metrics add up across). */
export interface SampledRun {
  run_id: string;
  task_index: number;
  job_id: string;
  pid: number;
  /** A container's own cgroup: measured there, not by a process tree. */
  cgroup?: { read(): { cpuSeconds: number; memoryBytes: number } | null };
}

interface Sample {
  /** Sample time, epoch ms (the same for every run sampled in one pass). */
  t: number;
  r: string;
  /** Cores used since the previous sample; absent on a run's first sample. */
  c?: number;
  /** Resident bytes. */
  m: number;
}

interface RunStats {
  lastCpu: number;
  lastT: number;
  peakBytes: number;
  cpuSeconds: number;
  /** CPU seconds of attempts that ended, as their shell reported them. */
  finishedCpuSeconds: number;
  finishedPids: Set<number>;
}

export interface SamplerOptions {
  dataDir: string;
  /** The runs whose processes live now. */
  runs: () => SampledRun[];
  logger: Logger;
  intervalMs?: number;
  retentionHours?: number;
}

const HOUR_MS = 3_600_000;

function measureTree(
  tree: Array<{ cpuSeconds: number; rssBytes: number }>,
): { cpuSeconds: number; memoryBytes: number } | null {
  if (tree.length === 0) return null;
  return {
    cpuSeconds: tree.reduce((sum, p) => sum + p.cpuSeconds, 0),
    memoryBytes: tree.reduce((sum, p) => sum + p.rssBytes, 0),
  };
}

function hourFile(t: number): string {
  return `${new Date(Math.floor(t / HOUR_MS) * HOUR_MS).toISOString().slice(0, 13)}.jsonl`;
}

export class LocalMetricSampler implements MetricSource, UsageSource, RunArtifacts {
  readonly minPeriodSeconds = 1;
  readonly #dir: string;
  readonly #runs: () => SampledRun[];
  readonly #background: Background;
  readonly #intervalMs: number;
  readonly #retentionMs: number;
  readonly #stats = new Map<string, RunStats>();
  #timer: NodeJS.Timeout | undefined;
  #retentionTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: SamplerOptions) {
    this.#dir = join(options.dataDir, 'metrics');
    this.#runs = options.runs;
    this.#background = new Background(options.logger);
    this.#intervalMs = options.intervalMs ?? 1_000;
    this.#retentionMs = (options.retentionHours ?? 168) * HOUR_MS;
  }

  start(): void {
    // Reading /proc fails when the process is out of file descriptors: that pass is skipped, not the service.
    this.#timer = setInterval(
      () => this.#background.run("sampling the runs' processes", () => this.sample()),
      this.#intervalMs,
    );
    this.#timer.unref();
    const retention = () =>
      this.#background.run('removing metric samples past their retention', () => this.enforceRetention());
    retention();
    this.#retentionTimer = setInterval(retention, HOUR_MS);
    this.#retentionTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearInterval(this.#retentionTimer);
    await this.#writing;
  }

  /** One pass: every running run's tree measured from a single read of /proc. */
  sample(now = Date.now()): void {
    const runs = this.#runs();
    if (runs.length === 0) return;
    const processes = readProcesses();
    const children = childrenOf(processes);
    const lines = new Map<string, string[]>();
    for (const run of runs) {
      const measured = run.cgroup ? run.cgroup.read() : measureTree(treeOf(run.pid, processes, children));
      if (!measured) continue;
      const { cpuSeconds: cpu, memoryBytes: bytes } = measured;
      const instance = `${run.run_id}/${run.task_index}`;
      let stats = this.#stats.get(instance);
      const sample: Sample = { t: now, r: run.run_id, m: bytes };
      if (stats && !stats.finishedPids.has(run.pid) && stats.lastT < now) {
        sample.c = Math.round((Math.max(0, cpu - stats.lastCpu) / ((now - stats.lastT) / 1000)) * 1000) / 1000;
      }
      if (!stats) {
        stats = {
          lastCpu: cpu,
          lastT: now,
          peakBytes: bytes,
          cpuSeconds: cpu,
          finishedCpuSeconds: 0,
          finishedPids: new Set(),
        };
        this.#stats.set(instance, stats);
      }
      Object.assign(stats, { lastCpu: cpu, lastT: now, peakBytes: Math.max(stats.peakBytes, bytes), cpuSeconds: cpu });
      const file = join(run.job_id, hourFile(now));
      lines.set(file, [...(lines.get(file) ?? []), JSON.stringify(sample)]);
    }
    this.#writing = this.#writing.then(() => this.#write(lines));
  }

  async #write(lines: Map<string, string[]>): Promise<void> {
    for (const [file, entries] of lines) {
      const path = join(this.#dir, file);
      try {
        mkdirSync(join(path, '..'), { recursive: true });
        await appendFile(path, `${entries.join('\n')}\n`);
      } catch (error) {
        this.#background.report('storing metric samples', error);
      }
    }
  }

  /**
   * An attempt's process ended; its shell reported the CPU seconds of everything it ran (exact, where samples
   * a second apart would miss the tail). Later samples of the same run belong to its next attempt.
   */
  finished(runId: string, taskIndex: number, pid: number, cpuSeconds: number | null): void {
    const instance = `${runId}/${taskIndex}`;
    const stats = this.#stats.get(instance) ?? {
      lastCpu: 0,
      lastT: 0,
      peakBytes: 0,
      cpuSeconds: 0,
      finishedCpuSeconds: 0,
      finishedPids: new Set<number>(),
    };
    stats.finishedCpuSeconds += cpuSeconds ?? stats.cpuSeconds;
    stats.cpuSeconds = 0;
    stats.lastCpu = 0;
    stats.finishedPids.add(pid);
    this.#stats.set(instance, stats);
  }

  /** A run's CPU seconds, all its tasks' together; its peak memory, the largest any one task reached. */
  async usageOf(run: Run): Promise<RunUsage | null> {
    const tasks = [...this.#stats].filter(([instance]) => instance.startsWith(`${run.id}/`));
    if (tasks.length === 0) return null;
    for (const [instance] of tasks) this.#stats.delete(instance);
    const cpu = tasks.reduce((sum, [, stats]) => sum + stats.finishedCpuSeconds + stats.cpuSeconds, 0);
    const peak = Math.max(...tasks.map(([, stats]) => stats.peakBytes));
    return { cpu_seconds: Math.round(cpu * 1000) / 1000, peak_memory_bytes: peak || null };
  }

  async query(job: JobRef, names: MetricName[], window: MetricWindow): Promise<Record<string, MetricPoint[] | Error>> {
    const samples = this.#read(job.job_id, window.start.getTime(), window.end.getTime());
    const periodMs = window.periodSeconds * 1000;
    const buckets = new Map<number, Sample[]>();
    for (const sample of samples) {
      const bucket = Math.floor(sample.t / periodMs) * periodMs;
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), sample]);
    }
    const times = [...buckets.keys()].sort((a, b) => a - b);
    const series: Record<string, MetricPoint[]> = {};
    for (const name of names) {
      series[name] = times.flatMap((bucket) => {
        const value = name === 'cpu_usage' ? averageCores(buckets.get(bucket)!) : totalBytes(buckets.get(bucket)!);
        return value === null ? [] : [{ timestamp: new Date(bucket).toISOString(), value }];
      });
    }
    return series;
  }

  #read(jobId: string, start: number, end: number): Sample[] {
    const dir = join(this.#dir, jobId);
    if (!existsSync(dir)) return [];
    const firstHour = hourFile(start);
    const lastHour = hourFile(end);
    const samples: Sample[] = [];
    for (const file of readdirSync(dir).sort()) {
      if (file < firstHour || file > lastHour) continue;
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (!line) continue;
        try {
          const sample = JSON.parse(line) as Sample;
          if (sample.t >= start && sample.t <= end) samples.push(sample);
        } catch {
          // a line cut short by a crash
        }
      }
    }
    return samples;
  }

  /** Removes every job's samples older than the retention period (whole hours). */
  async enforceRetention(now = Date.now()): Promise<number> {
    if (!existsSync(this.#dir)) return 0;
    const oldest = hourFile(now - this.#retentionMs);
    let removed = 0;
    for (const job of readdirSync(this.#dir)) {
      for (const file of readdirSync(join(this.#dir, job))) {
        if (file >= oldest) continue;
        await rm(join(this.#dir, job, file), { force: true });
        removed++;
      }
    }
    return removed;
  }

  async deleteForJob(job: JobRef): Promise<void> {
    await rm(join(this.#dir, job.job_id), { recursive: true, force: true });
  }

  /** Removes the samples of runs that were removed from the job's history (its hour files rewritten without them). */
  async removeRuns(job: JobRef, runIds: string[]): Promise<void> {
    const dir = join(this.#dir, job.job_id);
    if (!existsSync(dir)) return;
    const gone = new Set(runIds);
    // After the writes in flight, so a rewrite never drops a sample appended meanwhile.
    await this.#writing;
    for (const file of readdirSync(dir)) {
      const path = join(dir, file);
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      const kept = lines.filter((line) => !gone.has(runOf(line)));
      if (kept.length === lines.length) continue;
      if (kept.length === 0) await rm(path, { force: true });
      else await writeFile(path, `${kept.join('\n')}\n`);
    }
  }
}

function runOf(line: string): string {
  try {
    return (JSON.parse(line) as Sample).r;
  } catch {
    return '';
  }
}

/** Average cores per running instance: the mean of every run's samples in the period. */
function averageCores(samples: Sample[]): number | null {
  const rated = samples.filter((s) => s.c !== undefined);
  if (rated.length === 0) return null;
  return Math.round((rated.reduce((sum, s) => sum + (s.c as number), 0) / rated.length) * 1000) / 1000;
}

/** Total bytes across instances: summed per sampling pass, then averaged over the period's passes. */
function totalBytes(samples: Sample[]): number | null {
  const passes = new Map<number, number>();
  for (const s of samples) passes.set(s.t, (passes.get(s.t) ?? 0) + s.m);
  if (passes.size === 0) return null;
  return Math.round([...passes.values()].reduce((a, b) => a + b, 0) / passes.size);
}
