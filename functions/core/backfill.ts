// Backfill: the fires a schedule would have made in a past (or any) range, computed by the same Schedule that
// arms the scheduler and answers next_fire_at, daylight-saving rules included, so a backfilled day has exactly the
// runs its schedule would have made.
import type { Schedule } from './cron.ts';
import { ValidationError } from './errors.ts';

export const BACKFILL_MAX_RUNS = { min: 1, max: 1000, default: 100 } as const;

/** Every fire in [start, end), oldest first; more than `max_runs` of them is an error naming max_runs. */
export function backfillFires(schedule: Schedule, range: { start: Date; end: Date; max_runs: number }): Date[] {
  const { start, end, max_runs: max } = range;
  if (end.getTime() <= start.getTime()) throw ValidationError.field('end', 'must be after start');
  const fires: Date[] = [];
  // next() is strictly after its argument: from a millisecond before start, a fire at start itself counts.
  for (let fire = schedule.next(new Date(start.getTime() - 1)); fire && fire < end; fire = schedule.next(fire)) {
    if (fires.length === max)
      throw ValidationError.field(
        'max_runs',
        `the range holds more than ${max} fires of the schedule: narrow it, or raise max_runs (at most ${BACKFILL_MAX_RUNS.max})`,
      );
    fires.push(fire);
  }
  return fires;
}
