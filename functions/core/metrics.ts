// A job's metrics: CPU (average across its running instances, in cores) and memory (total across them, in
// bytes), each answered with its own status so an unknown name or a failing query never fails the request.
import type { JobRef } from './jobs.ts';
import type { JobService } from './job-service.ts';
import type { MetricName, MetricPoint, MetricSource } from './ports.ts';

export const METRICS: Record<MetricName, { unit: string; description: string }> = {
  cpu_usage: { unit: 'cores', description: "average CPU across the job's running instances" },
  memory_usage: { unit: 'bytes', description: "total memory across the job's running instances" },
};
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export type MetricResult =
  | { status: 'success'; unit: string; points: MetricPoint[] }
  | { status: 'error'; message: string };

/** A reply holds about this many points at most when the client names no period. */
export const MAX_POINTS = 1_440;
const NICE_PERIODS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];
export const DEFAULT_WINDOW_MS = 60 * 60 * 1000;

/** The smallest round period that keeps the window within MAX_POINTS points, and no finer than the source. */
export function defaultPeriod(windowSeconds: number, minimum: number): number {
  const wanted = Math.max(minimum, Math.ceil(windowSeconds / MAX_POINTS));
  return NICE_PERIODS.find((p) => p >= wanted) ?? Math.ceil(wanted / 86_400) * 86_400;
}

export class MetricsService {
  readonly #jobs: JobService;
  readonly #source: MetricSource;
  readonly #now: () => Date;

  constructor(deps: { jobs: JobService; source: MetricSource; now?: () => Date }) {
    this.#jobs = deps.jobs;
    this.#source = deps.source;
    this.#now = deps.now ?? (() => new Date());
  }

  async query(
    ref: JobRef,
    names: string[],
    window: { start?: Date | undefined; end?: Date | undefined },
    period?: number,
  ): Promise<Record<string, MetricResult>> {
    await this.#jobs.get(ref);
    const end = window.end ?? this.#now();
    const start = window.start ?? new Date(end.getTime() - DEFAULT_WINDOW_MS);
    const periodSeconds = Math.max(
      period ?? defaultPeriod((end.getTime() - start.getTime()) / 1000, this.#source.minPeriodSeconds),
      this.#source.minPeriodSeconds,
    );
    const known = [...new Set(names)].filter((name): name is MetricName => name in METRICS);
    const results: Record<string, MetricResult> = {};
    for (const name of names) {
      if (!(name in METRICS))
        results[name] = { status: 'error', message: `unknown metric '${name}'; available: ${METRIC_NAMES.join(', ')}` };
    }
    if (known.length === 0) return results;
    let series: Record<string, MetricPoint[] | Error>;
    try {
      series = await this.#source.query(ref, known, { start, end, periodSeconds });
    } catch (error) {
      series = Object.fromEntries(known.map((name) => [name, error as Error]));
    }
    for (const name of known) {
      const points = series[name];
      results[name] =
        points instanceof Error || points === undefined
          ? { status: 'error', message: `${name} could not be read: ${points?.message ?? 'no answer'}` }
          : { status: 'success', unit: METRICS[name].unit, points };
    }
    return results;
  }
}
