// A job's health over the last days, from aggregates kept as its runs settle (never from its runs themselves, so a
// job with 100,000 runs answers as fast as one with 10): per day, the runs that succeeded, failed or were
// cancelled and a histogram of their durations; on the job, its last success, last failure and the failures in a
// row since its last success.
import type { RunStatus } from './run-statuses.ts';

export const HEALTH_WINDOW_DAYS = 7;
/** Histogram buckets per doubling of a duration: a bucket spans 9 %, so a percentile is within ±4.5 %. */
const BUCKETS_PER_DOUBLING = 8;
const DAY_MS = 86_400_000;

/** One UTC day's settled runs of a job. */
export interface DayStats {
  /** YYYY-MM-DD (UTC). */
  day: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Durations of its succeeded and failed runs: bucket → runs. */
  durations: Record<number, number>;
}

/** What the job keeps of its runs' ends. */
export interface JobOutcomes {
  last_success_at: string | null;
  last_failure_at: string | null;
  /** Failures in a row since the last success (a cancelled run neither breaks nor extends it). */
  consecutive_failures: number;
}

export interface Health extends JobOutcomes {
  window_days: number;
  /** Runs that finished in the window (succeeded, failed or cancelled). */
  runs: number;
  /** Succeeded ÷ (succeeded + failed) in the window; null when none of those finished. */
  success_rate: number | null;
  duration_ms: { p50: number | null; p95: number | null };
}

/** The histogram bucket of a duration. */
export function durationBucket(ms: number): number {
  return Math.max(0, Math.floor(Math.log2(Math.max(1, ms)) * BUCKETS_PER_DOUBLING));
}

/** The duration a bucket stands for: its geometric middle. */
export function bucketValue(bucket: number): number {
  return Math.round(2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING));
}

export function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** The first day of the window that ends today. */
export function windowStart(now: Date, days = HEALTH_WINDOW_DAYS): string {
  return dayOf(new Date(now.getTime() - (days - 1) * DAY_MS).toISOString());
}

/** Whether a settle to this status counts as an outcome (a cancel is neither success nor failure). */
export function isOutcome(status: RunStatus): status is 'succeeded' | 'failed' {
  return status === 'succeeded' || status === 'failed';
}

export function jobHealth(days: DayStats[], outcomes: JobOutcomes, now: Date, windowDays = HEALTH_WINDOW_DAYS): Health {
  const from = windowStart(now, windowDays);
  const inWindow = days.filter((d) => d.day >= from);
  const sum = (pick: (d: DayStats) => number) => inWindow.reduce((total, d) => total + pick(d), 0);
  const succeeded = sum((d) => d.succeeded);
  const failed = sum((d) => d.failed);
  const histogram = new Map<number, number>();
  for (const d of inWindow)
    for (const [bucket, runs] of Object.entries(d.durations))
      histogram.set(Number(bucket), (histogram.get(Number(bucket)) ?? 0) + runs);
  return {
    window_days: windowDays,
    runs: succeeded + failed + sum((d) => d.cancelled),
    success_rate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    duration_ms: { p50: percentile(histogram, 0.5), p95: percentile(histogram, 0.95) },
    ...outcomes,
  };
}

/** The duration below which a share `q` of the histogram's runs lie (nearest rank). */
function percentile(histogram: Map<number, number>, q: number): number | null {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket)!;
    if (seen >= rank) return bucketValue(bucket);
  }
  return null;
}
