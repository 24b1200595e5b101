import { describe, expect, it } from 'vitest';
import { bucketValue, durationBucket, jobHealth, windowStart, type DayStats } from '../../functions/core/health.ts';

const outcomes = { last_success_at: null, last_failure_at: null, consecutive_failures: 0 };
const now = new Date('2026-12-05T12:00:00.000Z');

function day(date: string, fields: Partial<DayStats> & { ms?: number[] }): DayStats {
  const durations: Record<number, number> = {};
  for (const ms of fields.ms ?? []) durations[durationBucket(ms)] = (durations[durationBucket(ms)] ?? 0) + 1;
  return { day: date, succeeded: 0, failed: 0, cancelled: 0, durations, ...fields };
}

describe("a job's health", () => {
  it('keeps a duration within 5 % through its histogram bucket', () => {
    for (const ms of [1, 7, 250, 999, 4_321, 61_000, 3_600_000, 86_400_000 * 3]) {
      expect(Math.abs(bucketValue(durationBucket(ms)) - ms) / ms).toBeLessThan(0.05);
    }
  });

  it('counts the last seven days only: rate of succeeded over outcomes, percentiles of their durations', () => {
    const health = jobHealth(
      [
        day('2026-11-28', { succeeded: 50, ms: Array(50).fill(1_000) }), // before the window
        day('2026-11-29', { succeeded: 3, failed: 1, ms: [1_000, 2_000, 3_000, 40_000] }),
        day('2026-12-05', { succeeded: 5, cancelled: 2, ms: [4_000, 5_000, 6_000, 7_000, 8_000] }),
      ],
      { ...outcomes, consecutive_failures: 0, last_success_at: '2026-12-05T10:00:00.000Z' },
      now,
    );
    expect(windowStart(now)).toBe('2026-11-29');
    expect(health).toMatchObject({ window_days: 7, runs: 11, success_rate: 8 / 9 });
    // Nine durations: the 5th (p50) is 5 s, the 9th (p95) is 40 s.
    expect(Math.abs(health.duration_ms.p50! - 5_000) / 5_000).toBeLessThan(0.05);
    expect(Math.abs(health.duration_ms.p95! - 40_000) / 40_000).toBeLessThan(0.05);
    expect(health.last_success_at).toBe('2026-12-05T10:00:00.000Z');
  });

  it('says nothing it does not know: no rate and no durations without an outcome in the window', () => {
    expect(jobHealth([day('2026-12-04', { cancelled: 2 })], outcomes, now)).toEqual({
      window_days: 7,
      runs: 2,
      success_rate: null,
      duration_ms: { p50: null, p95: null },
      ...outcomes,
    });
  });
});
