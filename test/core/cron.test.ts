import { describe, expect, it } from 'vitest';
import { canonicalCron, canonicalTimeZone, parseCron, Schedule, validateSchedule } from '../../functions/core/cron.ts';
import { ValidationError } from '../../functions/core/errors.ts';

function errorOf(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('parseCron', () => {
  it.each([
    ['* * * *', 'expected 5 cron fields, got 4'],
    ['* * * * * *', 'expected 5 cron fields, got 6'],
    ['61 * * * *', 'minute value 61 is out of range 0-59'],
    ['0 24 * * *', 'hour value 24 is out of range 0-23'],
    ['0 0 0 * *', 'day-of-month value 0 is out of range 1-31'],
    ['0 0 * 13 *', 'month value 13 is out of range 1-12'],
    ['0 0 * * 8', 'day-of-week value 8 is out of range 0-7'],
    ['0 0 L * *', "day-of-month: 'L' is not a number"],
    ['0 0 ? * *', "day-of-month: '?' is not a number"],
    ['0 0 * * 1#2', "day-of-week: '1#2' is not a number or a name"],
    ['5/15 * * * *', "minute: a step must follow * or a range, not '5/15'"],
    ['*/0 * * * *', 'minute: step 0 is out of range 1-60'],
    ['0 0 * * 5-1', 'day-of-week: range 5-1 runs backwards'],
    ['0 0 * FOO *', "month: 'FOO' is not a number or a name"],
    ['@reboot', 'unknown macro @reboot'],
  ])('rejects %s, naming the field: %s', (cron, message) => {
    const error = errorOf(() => parseCron(cron));
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]?.field).toBe('schedule');
    expect(error.errors[0]?.message).toContain(message);
  });

  it('folds day-of-week 7 into Sunday (0) and accepts names in any case', () => {
    expect(parseCron('0 0 * * 7').dayOfWeek).toEqual([0]);
    expect(parseCron('0 0 * jan-mar Mon-fri')).toMatchObject({ month: [1, 2, 3], dayOfWeek: [1, 2, 3, 4, 5] });
  });

  it('expands steps, ranges and lists, keeping a bare * unrestricted', () => {
    const cron = parseCron('*/20 9-11/2 1,15 * *');
    expect(canonicalCron(cron)).toBe('0,20,40 9,11 1,15 * *');
  });

  it('translates macros', () => {
    expect(canonicalCron(parseCron('@hourly'))).toBe('0 * * * *');
    expect(canonicalCron(parseCron('@weekly'))).toBe('0 0 * * 0');
    expect(parseCron('@daily').source).toBe('@daily');
  });
});

describe('Schedule', () => {
  it('fires on either day when both day fields are restricted, as cron does', () => {
    // The 13th, or any Friday: March 2026 has Fridays on 6, 13, 20, 27.
    const runs = new Schedule('0 0 13 * 5', 'UTC').nextRuns(5, new Date('2026-03-01T00:00:00Z'));
    expect(iso(runs)).toEqual([
      '2026-03-06T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-03-20T00:00:00.000Z',
      '2026-03-27T00:00:00.000Z',
      '2026-04-03T00:00:00.000Z',
    ]);
  });

  it('counts a stepped day-of-month as restricted (anything but a bare *)', () => {
    // Odd days, or Mondays: 2026-03-02 is a Monday and even.
    const runs = new Schedule('0 0 */2 * 1', 'UTC').nextRuns(3, new Date('2026-03-01T00:00:00Z'));
    expect(iso(runs)).toEqual(['2026-03-02T00:00:00.000Z', '2026-03-03T00:00:00.000Z', '2026-03-05T00:00:00.000Z']);
  });

  it('fires in its time zone', () => {
    const runs = new Schedule('0 3 * * *', 'America/New_York').nextRuns(1, new Date('2026-01-10T00:00:00Z'));
    expect(iso(runs)).toEqual(['2026-01-10T08:00:00.000Z']);
  });

  describe('daylight saving, as EventBridge Scheduler does it', () => {
    it('does not fire a time inside the skipped hour (Europe/Berlin, 2026-03-29 02:00 → 03:00)', () => {
      const runs = new Schedule('30 2 * * *', 'Europe/Berlin').nextRuns(3, new Date('2026-03-27T12:00:00Z'));
      expect(iso(runs)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    });

    it('fires a time inside the repeated hour once, the first time (Europe/Berlin, 2026-10-25 03:00 → 02:00)', () => {
      const runs = new Schedule('30 2 * * *', 'Europe/Berlin').nextRuns(2, new Date('2026-10-24T12:00:00Z'));
      expect(iso(runs)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    });

    it('fires every-30-minutes jobs once per wall-clock time across the repeated hour', () => {
      const runs = new Schedule('*/30 * * * *', 'Europe/Berlin').nextRuns(6, new Date('2026-10-24T23:50:00Z'));
      // 02:00 and 02:30 CEST happen at 00:00Z and 00:30Z; their repeats at 01:00Z and 01:30Z are skipped.
      expect(iso(runs)).toEqual([
        '2026-10-25T00:00:00.000Z',
        '2026-10-25T00:30:00.000Z',
        '2026-10-25T02:00:00.000Z',
        '2026-10-25T02:30:00.000Z',
        '2026-10-25T03:00:00.000Z',
        '2026-10-25T03:30:00.000Z',
      ]);
    });

    it('skips the missing hour and fires the repeated one once in America/New_York', () => {
      const spring = new Schedule('30 2 * * *', 'America/New_York').nextRuns(2, new Date('2026-03-07T00:00:00Z'));
      expect(iso(spring)).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
      const autumn = new Schedule('30 1 * * *', 'America/New_York').nextRuns(2, new Date('2026-10-31T12:00:00Z'));
      expect(iso(autumn)).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
    });
  });

  it('rejects a cron that can never fire', () => {
    const error = errorOf(() => validateSchedule('0 0 31 2 *', 'UTC'));
    expect(error.errors[0]).toEqual({ field: 'schedule', message: "'0 0 31 2 *' never fires (no date matches it)" });
    expect(validateSchedule('0 0 29 2 *', 'UTC').next(new Date('2026-01-01T00:00:00Z'))?.toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
  });
});

describe('canonicalTimeZone', () => {
  it('returns the canonical IANA name and rejects unknown zones, naming the field', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(errorOf(() => canonicalTimeZone('Mars/Olympus')).errors[0]).toEqual({
      field: 'timezone',
      message: "'Mars/Olympus' is not an IANA time zone",
    });
  });
});
