// Standard 5-field cron: parsing with errors that name the field, and fire times in a time zone.
//
// Fire times come from croner (the same library the local scheduler uses), fed a canonical form of the
// expression (every restricted field expanded to a plain list), so croner's own dialect (L, W, #, ?, 6/7
// fields) never leaks in. Two rules for daylight-saving changes are applied on top of croner, because they
// are what EventBridge Scheduler does and local and AWS must agree: a wall-clock time that does not exist
// (inside the skipped hour) does not fire, and a wall-clock time that occurs twice fires once, the first time.
import { Cron } from 'croner';
import { ValidationError } from './errors.ts';

export interface CronFieldSpec {
  name: 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly CronFieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  },
  // 0 and 7 are both Sunday, as in cron.
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** One parsed field: `null` for a bare `*` (unrestricted), otherwise the sorted set of values it allows. */
export type CronField = readonly number[] | null;

export interface ParsedCron {
  /** The expression as the client wrote it (macros included). */
  source: string;
  minute: CronField;
  hour: CronField;
  dayOfMonth: CronField;
  month: CronField;
  /** Sunday is 0 here; a 7 in the source is folded into 0. */
  dayOfWeek: CronField;
}

const FIELD_PATTERN = 'schedule';

function fail(message: string): never {
  throw ValidationError.field(FIELD_PATTERN, message);
}

function parseValue(token: string, spec: CronFieldSpec): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < spec.min || value > spec.max) {
      fail(`${spec.name} value ${value} is out of range ${spec.min}-${spec.max}`);
    }
    return value;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index < 0) {
    fail(`${spec.name}: '${token}' is not a number${spec.names ? ' or a name' : ''}`);
  }
  return spec.name === 'month' ? index + 1 : index;
}

function parseField(text: string, spec: CronFieldSpec): CronField {
  if (text === '*') return null;
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const match = /^([^/]+)(?:\/(\d+))?$/.exec(item);
    if (!match || item === '') fail(`${spec.name}: '${item}' is not a value, range or step`);
    const [, base, stepText] = match as unknown as [string, string, string | undefined];
    let from: number;
    let to: number;
    if (base === '*') {
      [from, to] = [spec.min, spec.max];
    } else if (base.includes('-')) {
      const parts = base.split('-');
      if (parts.length !== 2) fail(`${spec.name}: '${base}' is not a range`);
      from = parseValue(parts[0] as string, spec);
      to = parseValue(parts[1] as string, spec);
      if (from > to) fail(`${spec.name}: range ${base} runs backwards`);
    } else {
      if (stepText !== undefined) fail(`${spec.name}: a step must follow * or a range, not '${item}'`);
      from = to = parseValue(base, spec);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1 || step > spec.max - spec.min + 1) {
      fail(`${spec.name}: step ${stepText} is out of range 1-${spec.max - spec.min + 1}`);
    }
    for (let v = from; v <= to; v += step) values.add(spec.name === 'day-of-week' && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Parses a standard 5-field cron or a macro; throws a ValidationError naming `schedule` otherwise. */
export function parseCron(source: string): ParsedCron {
  const trimmed = source.trim();
  if (trimmed.startsWith('@')) {
    const expansion = MACROS[trimmed.toLowerCase()];
    if (!expansion) fail(`unknown macro ${trimmed}; use one of ${Object.keys(MACROS).join(', ')}`);
    return { ...parseCron(expansion), source: trimmed };
  }
  const parts = trimmed.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) fail(`expected 5 cron fields, got ${parts.length}`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts.map((part, i) =>
    parseField(part, FIELDS[i] as CronFieldSpec),
  );
  return {
    source: trimmed,
    minute: minute!,
    hour: hour!,
    dayOfMonth: dayOfMonth!,
    month: month!,
    dayOfWeek: dayOfWeek!,
  };
}

/** The expression croner is given: bare `*` kept (it decides cron's day OR rule), everything else listed. */
export function canonicalCron(cron: ParsedCron): string {
  return [cron.minute, cron.hour, cron.dayOfMonth, cron.month, cron.dayOfWeek]
    .map((field) => (field === null ? '*' : field.join(',')))
    .join(' ');
}

function allows(field: CronField, value: number): boolean {
  return field === null || field.includes(value);
}

/** Whether a wall-clock time matches, with cron's rule: both day fields restricted means either may match. */
export function matchesWallClock(cron: ParsedCron, t: WallClock): boolean {
  if (!allows(cron.minute, t.minute) || !allows(cron.hour, t.hour) || !allows(cron.month, t.month)) return false;
  const dom = allows(cron.dayOfMonth, t.day);
  const dow = allows(cron.dayOfWeek, t.weekday);
  return cron.dayOfMonth !== null && cron.dayOfWeek !== null ? dom || dow : dom && dow;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** 0 = Sunday */
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function wallClock(instant: Date, timeZone: string): WallClock {
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(parts.weekday as string),
  };
}

function sameWallClock(a: WallClock, b: WallClock): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute;
}

const REPEAT_SHIFTS_MS = [30, 60, 120].map((minutes) => minutes * 60_000);

/** A wall-clock time that occurred already, shortly before (the hour repeated when clocks go back). */
function isRepeatedWallClock(instant: Date, timeZone: string): boolean {
  const here = wallClock(instant, timeZone);
  return REPEAT_SHIFTS_MS.some((shift) =>
    sameWallClock(wallClock(new Date(instant.getTime() - shift), timeZone), here),
  );
}

/** Canonical IANA name for a time zone, or a ValidationError naming `timezone`. */
export function canonicalTimeZone(name: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw ValidationError.field('timezone', `'${name}' is not an IANA time zone`);
  }
}

export class Schedule {
  readonly cron: ParsedCron;
  readonly timeZone: string;
  readonly #croner: Cron;

  constructor(cron: string | ParsedCron, timeZone: string) {
    this.cron = typeof cron === 'string' ? parseCron(cron) : cron;
    this.timeZone = timeZone;
    this.#croner = new Cron(canonicalCron(this.cron), {
      paused: true,
      mode: '5-part',
      timezone: timeZone,
      domAndDow: false,
    });
  }

  /** The first fire strictly after `after`, or null if the expression never fires. */
  next(after: Date): Date | null {
    let cursor = after;
    // Each skipped candidate is a DST artefact; a handful per call at most.
    for (let guard = 0; guard < 16; guard++) {
      const candidate = this.#croner.nextRun(cursor);
      if (!candidate) return null;
      const local = wallClock(candidate, this.timeZone);
      if (matchesWallClock(this.cron, local) && !isRepeatedWallClock(candidate, this.timeZone)) return candidate;
      cursor = candidate;
    }
    return null;
  }

  nextRuns(count: number, after: Date): Date[] {
    const runs: Date[] = [];
    let cursor: Date | null = after;
    while (runs.length < count && cursor) {
      cursor = this.next(cursor);
      if (cursor) runs.push(cursor);
    }
    return runs;
  }
}

/** Validates a schedule and its time zone together; a cron that can never fire is rejected. */
export function validateSchedule(cron: string, timeZone: string, now: Date = new Date()): Schedule {
  const schedule = new Schedule(cron, timeZone);
  if (!schedule.next(now)) fail(`'${cron}' never fires (no date matches it)`);
  return schedule;
}

const SHARED_SCHEDULES = 256;
const shared = new Map<string, Schedule>();

/**
 * A Schedule shared by every caller that asks for the same cron in the same zone. Each holds a croner instance
 * of about 80 KiB (croner keeps a table of years), so schedulers of thousands of jobs keep only the cron text
 * per job and take their Schedule from here; the least recently used ones are let go.
 */
export function scheduleFor(cron: string, timeZone: string): Schedule {
  const key = `${timeZone} ${cron}`;
  let schedule = shared.get(key);
  if (schedule) shared.delete(key);
  else schedule = new Schedule(cron, timeZone);
  shared.set(key, schedule);
  if (shared.size > SHARED_SCHEDULES) shared.delete(shared.keys().next().value as string);
  return schedule;
}
