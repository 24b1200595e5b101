// The local scheduler under fake time: what it delivers, and when.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalScheduler } from '../../../functions/adapters/local/local-scheduler.ts';
import { newId } from '../../../functions/core/ids.ts';
import { buildJob, type Job } from '../../../functions/core/jobs.ts';
import { jitterDelayMs, type ScheduledFire } from '../../../functions/core/schedules.ts';
import { createLogger } from '../../../functions/logger.ts';

let fires: ScheduledFire[];
let scheduler: LocalScheduler;

function job(spec: Record<string, unknown>): Job {
  const id = newId('job');
  return buildJob(
    { workspace_id: 'acme', project_id: 'etl' },
    id,
    { name: id, image: 'alpine', command: ['true'], ...spec },
    't',
    't',
  );
}

function start(at: string, catchUpSeconds?: number) {
  vi.useFakeTimers({ now: new Date(at), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  fires = [];
  scheduler = new LocalScheduler({
    deliver: async (fire) => {
      fires.push(fire);
    },
    logger: createLogger('test'),
    catchUpSeconds,
  });
}

const times = (jobId?: string) => fires.filter((f) => !jobId || f.job.job_id === jobId).map((f) => f.scheduled_time);

beforeEach(() => vi.useRealTimers());
afterEach(async () => {
  await scheduler?.stop();
  vi.useRealTimers();
});

describe('LocalScheduler', () => {
  it('delivers each fire at its time, as EventBridge Scheduler would: the job and the scheduled time', async () => {
    start('2026-06-01T10:00:30Z');
    const everyMinute = job({ schedule: '* * * * *' });
    const quarterly = job({ schedule: '*/15 * * * *' });
    await scheduler.sync(everyMinute);
    await scheduler.sync(quarterly);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(fires).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fires).toEqual([
      {
        job: { workspace_id: 'acme', project_id: 'etl', job_id: everyMinute.id },
        scheduled_time: '2026-06-01T10:01:00.000Z',
      },
    ]);
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    expect(times(everyMinute.id)).toHaveLength(15);
    expect(times(quarterly.id)).toEqual(['2026-06-01T10:15:00.000Z']);
  });

  it('delays each fire of a job with jitter by its own share of the window, the scheduled time unchanged', async () => {
    start('2026-06-01T10:00:30Z');
    const jobs = Array.from({ length: 20 }, () => job({ schedule: '0 * * * *', schedule_jitter_seconds: 600 }));
    const delivered = new Map<string, number>();
    for (const j of jobs) await scheduler.sync(j);
    const due = Date.parse('2026-06-01T11:00:00Z');
    while (Date.now() < due + 601_000) {
      await vi.advanceTimersByTimeAsync(1_000);
      for (const fire of fires) if (!delivered.has(fire.job.job_id)) delivered.set(fire.job.job_id, Date.now() - due);
    }
    expect(delivered.size).toBe(20);
    for (const j of jobs) {
      // Each at the delay its job and fire give it, within the window, to the second the test steps by.
      const expected = jitterDelayMs(j.id, new Date(due), 600);
      expect(delivered.get(j.id)! - expected).toBeGreaterThanOrEqual(0);
      expect(delivered.get(j.id)! - expected).toBeLessThanOrEqual(1_000);
    }
    expect(new Set(fires.map((f) => f.scheduled_time))).toEqual(new Set(['2026-06-01T11:00:00.000Z']));
    // Spread over the window, not bunched at its start.
    const delays = [...delivered.values()].sort((a, b) => a - b);
    expect(delays.at(-1)! - delays[0]!).toBeGreaterThan(300_000);
    expect(jitterDelayMs(jobs[0]!.id, new Date(due), 0)).toBe(0);
  });

  it("fires in the job's time zone, skipping the hour clocks skip and firing the repeated hour once (Europe/Berlin)", async () => {
    start('2026-03-27T12:00:00Z');
    const nightly = job({ schedule: '30 2 * * *', timezone: 'Europe/Berlin' });
    await scheduler.sync(nightly);
    await vi.advanceTimersByTimeAsync(4 * 86_400_000);
    // 02:30 does not exist on 2026-03-29 in Berlin.
    expect(times()).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    fires.length = 0;
    vi.setSystemTime(new Date('2026-10-24T12:00:00Z'));
    await scheduler.sync(nightly);
    await vi.advanceTimersByTimeAsync(2 * 86_400_000);
    // 02:30 happens twice on 2026-10-25; it fires the first time only.
    expect(times()).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it("fires a day matching either day field once, as cron's OR does", async () => {
    start('2026-02-28T00:00:00Z');
    await scheduler.sync(job({ schedule: '0 9 13 * 5' }));
    await vi.advanceTimersByTimeAsync(16 * 86_400_000);
    // Fridays 6 and 13 March; the 13th is also the 13th, and fires once.
    expect(times()).toEqual(['2026-03-06T09:00:00.000Z', '2026-03-13T09:00:00.000Z']);
  });

  it('stops firing when the schedule is removed by a PATCH, suspended, or the job deleted, and resumes when unsuspended', async () => {
    start('2026-06-01T10:00:30Z');
    const patched = job({ schedule: '* * * * *' });
    const suspended = job({ schedule: '* * * * *' });
    const deleted = job({ schedule: '* * * * *' });
    for (const j of [patched, suspended, deleted]) await scheduler.sync(j);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fires).toHaveLength(3);
    await scheduler.sync({ ...patched, schedule: null });
    await scheduler.sync({ ...suspended, suspended: true });
    await scheduler.remove({ workspace_id: 'acme', project_id: 'etl', job_id: deleted.id });
    expect(scheduler.size).toBe(0);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(fires).toHaveLength(3);
    await scheduler.sync({ ...suspended, suspended: false });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times(suspended.id)).toEqual(['2026-06-01T10:01:00.000Z', '2026-06-01T10:07:00.000Z']);
  });

  it('a changed cron takes effect at once', async () => {
    start('2026-06-01T10:00:30Z');
    const hourly = job({ schedule: '0 * * * *' });
    await scheduler.sync(hourly);
    await scheduler.sync({ ...hourly, schedule: '*/5 * * * *' });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(times()).toEqual(['2026-06-01T10:05:00.000Z', '2026-06-01T10:10:00.000Z']);
  });

  it('at start, fires each schedule once for its latest fire missed within the catch-up window, and drops older ones', async () => {
    start('2026-06-01T10:03:30Z', 300);
    const minutely = job({ schedule: '* * * * *' });
    const hourly = job({ schedule: '0 * * * *' }); // missed at 10:00, 3.5 minutes ago: within the window
    const daily = job({ schedule: '0 0 * * *' }); // missed ten hours ago: dropped
    scheduler.load([minutely, hourly, daily], { catchUp: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(fires.map((f) => [f.job.job_id, f.scheduled_time])).toEqual([
      [minutely.id, '2026-06-01T10:03:00.000Z'],
      [hourly.id, '2026-06-01T10:00:00.000Z'],
    ]);
  });

  it('fires nothing missed when the catch-up window is 0', async () => {
    start('2026-06-01T10:03:30Z', 0);
    scheduler.load([job({ schedule: '* * * * *' })], { catchUp: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(fires).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(times()).toEqual(['2026-06-01T10:04:00.000Z']);
  });

  it('after the machine slept through many fires, fires once, for the latest', async () => {
    start('2026-06-01T10:00:30Z');
    await scheduler.sync(job({ schedule: '* * * * *' }));
    // An hour of wall-clock time passes while timers, on the monotonic clock, do not move.
    vi.setSystemTime(new Date('2026-06-01T11:00:40Z'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(times()).toEqual(['2026-06-01T11:01:00.000Z']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times()).toEqual(['2026-06-01T11:01:00.000Z', '2026-06-01T11:02:00.000Z']);
  });

  it('retries a fire that could not be delivered, as EventBridge Scheduler does, and gives up after a few attempts', async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T10:00:30Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const attempts: string[] = [];
    let failures = 2;
    scheduler = new LocalScheduler({
      deliver: async (fire) => {
        attempts.push(fire.scheduled_time);
        if (failures-- > 0) throw new Error('DynamoDB is unavailable');
      },
      logger: createLogger('test'),
    });
    await scheduler.sync(job({ schedule: '* * * * *' }));
    await vi.advanceTimersByTimeAsync(30_000 + 5_000);
    expect(attempts).toEqual(Array(3).fill('2026-06-01T10:01:00.000Z'));
    failures = Infinity;
    // 10:02:00 plus the longest backoff of five retries (200 ms doubling: at most 6.2 s).
    await vi.advanceTimersByTimeAsync(55_000 + 7_000);
    expect(attempts.filter((t) => t === '2026-06-01T10:02:00.000Z')).toHaveLength(6);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(attempts.filter((t) => t === '2026-06-01T10:03:00.000Z')).toHaveLength(6);
  });

  it('stops without waiting out the backoff of a fire it is retrying', async () => {
    vi.useFakeTimers({ now: new Date('2026-06-01T10:00:59Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    let attempts = 0;
    scheduler = new LocalScheduler({
      deliver: async () => {
        attempts++;
        throw new Error('DynamoDB is unavailable');
      },
      logger: createLogger('test'),
    });
    await scheduler.sync(job({ schedule: '* * * * *' }));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toBe(1);
    // No timer advances from here: stop() must settle on its own.
    await scheduler.stop();
    expect(attempts).toBe(1);
  });

  it('arms ten thousand schedules on one timer and fires the due ones together', async () => {
    start('2026-06-01T10:00:30Z');
    scheduler.load(
      Array.from({ length: 10_000 }, (_, i) => job({ schedule: i % 2 ? '* * * * *' : '0 0 * * *' })),
      { catchUp: false },
    );
    expect(scheduler.size).toBe(10_000);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fires).toHaveLength(5_000);
  });
});
