import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Schedule, validateSchedule } from '../../../functions/core/cron.ts';
import { eventBridgeExpressions } from '../../../functions/adapters/aws/eventbridge-cron.ts';
import { nextFires } from '../../helpers/eventbridge-evaluator.ts';

describe('eventBridgeExpressions', () => {
  it.each([
    ['0 3 * * 1-5', ['cron(0 3 ? * 2-6 *)']],
    ['*/15 * * * *', ['cron(0,15,30,45 * * * ? *)']],
    ['0 9 1 * *', ['cron(0 9 1 * ? *)']],
    ['30 2 * * 0', ['cron(30 2 ? * 1 *)']],
    ['30 2 * * 7', ['cron(30 2 ? * 1 *)']],
    ['0 12 * JAN,jul sat', ['cron(0 12 ? 1,7 7 *)']],
    ['0 0 13 * 5', ['cron(0 0 13 * ? *)', 'cron(0 0 ? * 6 *)']],
    ['@hourly', ['cron(0 * * * ? *)']],
    ['@daily', ['cron(0 0 * * ? *)']],
    ['@weekly', ['cron(0 0 ? * 1 *)']],
    ['@monthly', ['cron(0 0 1 * ? *)']],
    ['@yearly', ['cron(0 0 1 1 ? *)']],
  ])('translates %s', (cron, expected) => {
    expect(eventBridgeExpressions(cron)).toEqual(expected);
  });
});

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Sao_Paulo'];

const value = (min: number, max: number, names?: string[]) =>
  names
    ? fc.oneof(
        fc.integer({ min, max }).map(String),
        fc.integer({ min: 0, max: names.length - 1 }).map((i) => names[i] as string),
      )
    : fc.integer({ min, max }).map(String);

function field(min: number, max: number, names?: string[]) {
  const item = fc.oneof(
    value(min, max, names),
    fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
    fc
      .tuple(fc.integer({ min, max }), fc.integer({ min, max }), fc.integer({ min: 1, max: max - min + 1 }))
      .map(([a, b, s]) => `${Math.min(a, b)}-${Math.max(a, b)}/${s}`),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('*') },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: max - min + 1 }).map((s) => `*/${s}`) },
    { weight: 5, arbitrary: fc.array(item, { minLength: 1, maxLength: 4 }).map((items) => items.join(',')) },
  );
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const cron = fc
  .tuple(field(0, 59), field(0, 23), field(1, 31), field(1, 12, MONTH_NAMES), field(0, 7, DAY_NAMES))
  .map((parts) => parts.join(' '));

describe('the EventBridge expressions fire exactly when the local scheduler does', () => {
  it('for 500 random crons in six time zones, the next 20 fire times agree', () => {
    let checked = 0;
    fc.assert(
      fc.property(
        cron,
        fc.constantFrom(...ZONES),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }),
        (expression, zone, after) => {
          let schedule: Schedule;
          try {
            schedule = validateSchedule(expression, zone, after);
          } catch {
            fc.pre(false); // a cron that never fires (the 31st of February) is rejected at the boundary
            return;
          }
          checked++;
          const local = schedule.nextRuns(20, after).map((d) => d.toISOString());
          const aws = nextFires(eventBridgeExpressions(schedule.cron), zone, after, local.length).map((d) =>
            d.toISOString(),
          );
          expect(
            aws,
            `${expression} in ${zone} after ${after.toISOString()}: ${eventBridgeExpressions(schedule.cron).join(' + ')}`,
          ).toEqual(local);
        },
      ),
      { numRuns: 500 },
    );
    expect(checked).toBeGreaterThanOrEqual(450);
  }, 120_000);

  it.each([
    ['30 2 * * *', 'Europe/Berlin', '2026-03-27T00:00:00Z'],
    ['30 2 * * *', 'Europe/Berlin', '2026-10-23T00:00:00Z'],
    ['*/30 * * * *', 'Europe/Berlin', '2026-10-24T22:00:00Z'],
    ['30 1 * * *', 'America/New_York', '2026-10-30T00:00:00Z'],
    ['0 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z'],
    ['15 2 * * *', 'Australia/Lord_Howe', '2026-04-03T00:00:00Z'],
    ['0 0 13 * 5', 'UTC', '2026-01-01T00:00:00Z'],
  ])('agrees across daylight-saving changes and day OR day: %s in %s', (expression, zone, after) => {
    const schedule = new Schedule(expression, zone);
    const local = schedule.nextRuns(20, new Date(after)).map((d) => d.toISOString());
    expect(
      nextFires(eventBridgeExpressions(expression), zone, new Date(after), 20).map((d) => d.toISOString()),
    ).toEqual(local);
  });
});
