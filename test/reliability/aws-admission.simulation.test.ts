// The AWS path by simulation (test/helpers/aws-simulation.ts): 1,000 runs triggered in one second against an ECS
// that enforces Fargate's published launch quotas and refuses a share of launches for capacity. Admission paces
// starts at the deployment's launch rate, RunContainer retries what ECS still refuses, and no run fails because
// it was one of many.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../helpers/dynamodb.ts';
import { simulateBurst, startsPerSecond } from '../helpers/aws-simulation.ts';

let table: Awaited<ReturnType<typeof createTestTable>>;
beforeAll(async () => {
  table = await createTestTable('aws-admission');
});
afterAll(() => table?.drop());

describe('AWS admission, simulated against the published quotas', () => {
  it('starts 1,000 runs triggered in one second with none failed, at ≥ 0.9 × 20/s after the burst of 100', async () => {
    const report = await simulateBurst({ table, runs: 1000, capacityFailures: 0.05, taskMs: 2_000 });
    console.log(
      `simulation: ${report.succeeded} succeeded, ${report.failed.length} failed, ${report.throttled} throttled, ` +
        `${report.capacityRefused} refused for capacity, ${report.rateAfterBurst.toFixed(1)} starts/s after the burst, ` +
        `longest wait ${(report.longestWaitMs / 1000).toFixed(1)} s, all triggered by ${report.triggeredMs} ms, ` +
        `first start at ${report.firstStartMs} ms; starts per second: ${startsPerSecond(report.starts).join(' ')}`,
    );
    expect(report.failed).toEqual([]);
    expect(report.succeeded).toBe(1000);
    expect(report.starts).toHaveLength(1000);
    expect(report.rateAfterBurst).toBeGreaterThanOrEqual(0.9 * 20);
    // Never faster than the quota allows: at most the burst plus 20 a second since the first start.
    const perSecond = startsPerSecond(report.starts);
    let total = 0;
    for (const [second, count] of perSecond.entries()) {
      total += count;
      expect(total).toBeLessThanOrEqual(100 + 20 * (second + 1));
    }
  }, 240_000);
});
