// An evaluator of EventBridge Scheduler's cron(minutes hours day-of-month month day-of-week year) written for the
// tests, sharing nothing with the service's own cron code: its own parser, a walk over calendar days, and its own
// wall-clock → instant resolution through Intl. Daylight saving as EventBridge Scheduler does it: a wall-clock
// time that does not exist does not fire; one that occurs twice fires once, the first time.

interface Field {
  values: Set<number>;
  any: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function value(text: string, names: string[] | undefined, base: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  const i = names?.indexOf(text.toUpperCase()) ?? -1;
  if (i < 0) throw new Error(`bad value ${text}`);
  return i + base;
}

function parseField(text: string, min: number, max: number, names?: string[], nameBase = 1): Field {
  if (text === '*' || text === '?') return { values: new Set(), any: true };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText ? Number(stepText) : 1;
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a, names, nameBase), value(b, names, nameBase)];
    } else {
      from = value(range, names, nameBase);
      to = stepText ? max : from;
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, any: false };
}

interface Expression {
  minute: Field;
  hour: Field;
  dayOfMonth: Field & { question: boolean };
  month: Field;
  dayOfWeek: Field & { question: boolean };
}

export function parseEventBridgeCron(expression: string): Expression {
  const match = /^cron\((.*)\)$/.exec(expression);
  if (!match) throw new Error(`not a cron expression: ${expression}`);
  const parts = (match[1] as string).trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`EventBridge cron has 6 fields: ${expression}`);
  const [minute, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) throw new Error(`exactly one day field must be ?: ${expression}`);
  if (year !== '*') throw new Error('years other than * are not used here');
  return {
    minute: parseField(minute, 0, 59),
    hour: parseField(hour, 0, 23),
    dayOfMonth: { ...parseField(dom, 1, 31), question: dom === '?' },
    month: parseField(month, 1, 12, MONTHS),
    // EventBridge: 1 = Sunday … 7 = Saturday.
    dayOfWeek: { ...parseField(dow, 1, 7, DAYS, 1), question: dow === '?' },
  };
}

const has = (field: Field, v: number) => field.any || field.values.has(v);

const formatters = new Map<string, Intl.DateTimeFormat>();
function localParts(instant: number, timeZone: string): [number, number, number, number, number] {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(instant)).map((x) => [x.type, Number(x.value)]));
  return [p.year!, p.month!, p.day!, p.hour!, p.minute!];
}

/** The instants at which a wall-clock time occurs in a zone: none in a gap, two in a repeated hour. */
function instantsOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number[] {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offsetAt = (t: number) => {
    const [y, mo, d, h, mi] = localParts(t, timeZone);
    return Date.UTC(y, mo - 1, d, h, mi) - t;
  };
  const candidates = new Set([
    asUtc - offsetAt(asUtc - 86_400_000),
    asUtc - offsetAt(asUtc),
    asUtc - offsetAt(asUtc + 86_400_000),
  ]);
  return [...candidates]
    .filter((t) => {
      const [y, mo, d, h, mi] = localParts(t, timeZone);
      return y === year && mo === month && d === day && h === hour && mi === minute;
    })
    .sort((a, b) => a - b);
}

/** The next `count` fire times after `after`, for one or more expressions together (each time once). */
export function nextFires(expressions: string[], timeZone: string, after: Date, count: number): Date[] {
  const parsed = expressions.map(parseEventBridgeCron);
  const fires: number[] = [];
  const [startYear, startMonth, startDay] = localParts(after.getTime() - 86_400_000, timeZone);
  let day = Date.UTC(startYear, startMonth - 1, startDay);
  for (let days = 0; fires.length < count && days < 366 * 30; days++, day += 86_400_000) {
    const date = new Date(day);
    const [y, mo, d, dow] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCDay() + 1];
    const todays = new Set<number>();
    for (const e of parsed) {
      if (!has(e.month, mo)) continue;
      const dayMatches = e.dayOfMonth.question ? has(e.dayOfWeek, dow) : has(e.dayOfMonth, d);
      if (!dayMatches) continue;
      for (let h = 0; h < 24; h++) {
        if (!has(e.hour, h)) continue;
        for (let mi = 0; mi < 60; mi++) {
          if (!has(e.minute, mi)) continue;
          const first = instantsOf(y, mo, d, h, mi, timeZone)[0];
          if (first !== undefined && first > after.getTime()) todays.add(first);
        }
      }
    }
    fires.push(...[...todays].sort((a, b) => a - b));
  }
  return [...new Set(fires)]
    .sort((a, b) => a - b)
    .slice(0, count)
    .map((t) => new Date(t));
}
