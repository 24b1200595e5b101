// The rules the job's charts read by: the unit a series is shown in, where its ticks fall and how they read, the
// part of the chosen window that is shown, and how times read. Nothing here touches the DOM, so each rule is
// unit-tested without a browser.

/** A unit a chart reads in: its name, how many of the raw unit (cores, bytes) one of it is, its finest tick. */
export interface Unit {
  name: string;
  size: number;
  /** The smallest step worth a tick: a byte is not split, a millicore may be. */
  minStep: number;
}

/** CPU in millicores below one core (a "0.00" tick says nothing), in cores above. */
export function cpuUnit(maxCores: number): Unit {
  return maxCores < 1 ? { name: 'mCPU', size: 0.001, minStep: 0.01 } : { name: 'cores', size: 1, minStep: 0.01 };
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** Memory in the largest binary unit the largest value fills at least once. */
export function memoryUnit(maxBytes: number): Unit {
  let power = 0;
  while (power < BYTE_UNITS.length - 1 && maxBytes >= 1024 ** (power + 1)) power++;
  return { name: BYTE_UNITS[power]!, size: 1024 ** power, minStep: power === 0 ? 1 : 0.01 };
}

/** A decimal number as its shortest literal (0.1 * 3 is 0.3 here): ticks and uPlot's table of steps agree. */
function clean(value: number, decimals: number): number {
  return Number(value.toFixed(Math.max(0, Math.min(20, decimals))));
}

/** How many decimals a step needs to be read exactly: 5 → 0, 0.2 → 1, 0.05 → 2. */
export function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** The tick steps, in the unit: 1, 2 and 5 times a power of ten, from the unit's finest step to a million. */
export function tickSteps(unit: Unit): number[] {
  const steps: number[] = [];
  for (let exponent = Math.floor(Math.log10(unit.minStep)); exponent <= 6; exponent++)
    for (const multiple of [1, 2, 5]) steps.push(clean(multiple * 10 ** exponent, -exponent));
  return steps.filter((step) => step >= unit.minStep);
}

/** The smallest step of 1, 2 or 5 times a power of ten that is at least `value`. */
export function niceStep(value: number): number {
  const exponent = Math.floor(Math.log10(value));
  for (const multiple of [1, 2, 5, 10]) {
    const step = clean(multiple * 10 ** exponent, -exponent);
    if (step >= value * (1 - 1e-9)) return step;
  }
  return 10 ** (exponent + 1);
}

/** Ticks at whole multiples of the step between min and max (each multiplied, not summed: no error creeps in). */
export function tickValues(min: number, max: number, step: number): number[] {
  const decimals = decimalsOf(step);
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k <= Math.floor(max / step + 1e-9); k++)
    ticks.push(clean(k * step, decimals));
  return ticks;
}

/** Tick labels with as many decimals as the step has: two ticks never read the same. */
export function tickLabels(ticks: number[], step: number, unit: Unit): string[] {
  const decimals = decimalsOf(step);
  return ticks.map((tick) => `${tick.toFixed(decimals)} ${unit.name}`);
}

/** The value axis: from zero (usage is never below it, and a line's height then reads as its size) to a round top. */
export function valueRange(max: number): [number, number] {
  if (!(max > 0)) return [0, 1];
  const top = max * 1.1;
  const step = niceStep(top / 10);
  return [0, clean(Math.ceil(top / step - 1e-9) * step, decimalsOf(step))];
}

/** A raw value (cores, bytes) in the unit, to three figures or so: "250 mCPU", "537.1 KiB", "1.25 cores". */
export function valueText(raw: number, unit: Unit): string {
  const value = raw / unit.size;
  const magnitude = Math.abs(value);
  const decimals = unit.minStep >= 1 || magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return `${value.toFixed(decimals)} ${unit.name}`;
}

/** A stretch of time, epoch ms. */
export interface Span {
  from: number;
  to: number;
}

/** What a run is here: when it started and finished, and whether it may still be running. */
export interface RunTimes {
  status: string;
  started_at: string | null;
  finished_at: string | null;
}

/** The runs' spans that fall in the window; one still running spans to now (a run never started has none). */
export function runSpans(runs: RunTimes[], window: Span, now: number): Span[] {
  return runs.flatMap((run) => {
    if (!run.started_at) return [];
    const from = Date.parse(run.started_at);
    const active = run.status === 'running' || run.status === 'pending';
    const to = run.finished_at ? Date.parse(run.finished_at) : active ? now : from;
    return to >= window.from && from <= window.to
      ? [{ from: Math.max(from, window.from), to: Math.min(to, window.to) }]
      : [];
  });
}

/**
 * The smallest span holding the runs and every sample no run accounts for; null when there is none. A sample is
 * stamped with the start of its period (a minute, say): one within `slackMs` of a run is that run's and does not
 * stretch the span, one far from every run (whose run is no longer kept) does.
 */
export function extentOf(times: number[], spans: Span[], slackMs: number): Span | null {
  const loose = times.filter((t) => !spans.some((s) => t >= s.from - slackMs && t <= s.to + slackMs));
  const starts = [...loose, ...spans.map((s) => s.from)];
  const ends = [...loose, ...spans.map((s) => s.to)];
  return starts.length === 0 ? null : { from: Math.min(...starts), to: Math.max(...ends) };
}

/**
 * How far before its run a sample's stamp may lie: the start of its period, which the service rounds up from the
 * window's 1,440th (a day's window may be read by two minutes). Twice the shortest step between samples, and no
 * less than three times the window's 1,440th.
 */
export function sampleSlack(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  const steps = sorted.slice(1).map((t, i) => t - sorted[i]!);
  const shortest = Math.min(...steps.filter((step) => step > 0));
  return Math.max(3 * (windowMs / 1440), Number.isFinite(shortest) ? 2 * shortest : 0);
}

/** When the data covers at most this share of the window, the window is fitted to it. */
export const FIT_SHARE = 0.25;
/** The margin each side of the fitted data, as a share of its length… */
export const FIT_MARGIN = 0.1;
/** …and the least a fitted range shows, so a run of a few seconds is not stretched across the whole chart. */
export const FIT_MIN_MS = 60_000;

/**
 * The range to show when the data covers a small share of the window: the data with a margin each side (at
 * least FIT_MIN_MS in all where the window has room), inside the window. Null when the whole window is the better
 * view.
 */
export function fitRange(extent: Span | null, window: Span): Span | null {
  if (!extent) return null;
  const length = extent.to - extent.from;
  const windowLength = window.to - window.from;
  if (length > FIT_SHARE * windowLength || FIT_MIN_MS >= windowLength) return null;
  const margin = Math.max(length * FIT_MARGIN, (FIT_MIN_MS - length) / 2);
  // Cut at the window's ends: past its end is the future, and a margin moved to the other side is only emptiness.
  return { from: Math.max(extent.from - margin, window.from), to: Math.min(extent.to + margin, window.to) };
}

/**
 * The series with a break (a null) where samples stop for more than a few sampling periods, between runs: a line
 * drawn across the gap would claim usage when nothing ran. Times in any unit; the period is the shortest step.
 */
export function withGaps(times: number[], values: number[]): [number[], Array<number | null>] {
  const steps = times.slice(1).map((t, i) => t - times[i]!);
  const period = Math.min(...steps.filter((step) => step > 0));
  const outTimes: number[] = [];
  const outValues: Array<number | null> = [];
  times.forEach((t, i) => {
    if (i > 0 && t - times[i - 1]! > 3 * period) {
      outTimes.push((t + times[i - 1]!) / 2);
      outValues.push(null);
    }
    outTimes.push(t);
    outValues.push(values[i]!);
  });
  return [outTimes, outValues];
}

const DAY_MS = 86_400_000;

function formatter(options: Intl.DateTimeFormatOptions, timeZone: string | undefined): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-US', { ...options, ...(timeZone ? { timeZone } : {}) });
}

/** The time of day, 24-hour, with seconds or without ("10:02:31", "10:02"), in the viewer's zone unless given. */
export function clockText(ms: number, seconds: boolean, timeZone?: string): string {
  return formatter(
    { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hourCycle: 'h23' },
    timeZone,
  ).format(ms);
}

/** The day ("Mar 12"). */
export function dayText(ms: number, timeZone?: string): string {
  return formatter({ month: 'short', day: 'numeric' }, timeZone).format(ms);
}

/** The zone's short name ("UTC", "GMT+1"), so a reader knows which clock the times are on. */
export function zoneText(ms: number, timeZone?: string): string {
  return (
    formatter({ timeZoneName: 'short' }, timeZone)
      .formatToParts(ms)
      .find((part) => part.type === 'timeZoneName')?.value ?? ''
  );
}

/**
 * Time axis labels: days for steps of a day or more; else the time (with seconds below a minute's step), and the
 * day under the first tick and under each tick that starts another day, when the ticks span more than one.
 */
export function timeTickLabels(ticksMs: number[], stepMs: number, timeZone?: string): string[] {
  if (stepMs >= DAY_MS) return ticksMs.map((t) => dayText(t, timeZone));
  const days = ticksMs.map((t) => dayText(t, timeZone));
  const manyDays = new Set(days).size > 1;
  return ticksMs.map((t, i) => {
    const clock = clockText(t, stepMs < 60_000, timeZone);
    return manyDays && (i === 0 || days[i] !== days[i - 1]) ? `${clock}\n${days[i]}` : clock;
  });
}

/** A moment as the tooltip reads it: the time with seconds, and the day when it is not today. */
export function momentText(ms: number, now: number, timeZone?: string): string {
  const clock = clockText(ms, true, timeZone);
  return dayText(ms, timeZone) === dayText(now, timeZone) ? clock : `${dayText(ms, timeZone)}, ${clock}`;
}

/** A span as the fitted line reads it: "10:02:10–10:02:45", days named when not today. */
export function spanText(span: Span, now: number, timeZone?: string): string {
  const to =
    dayText(span.to, timeZone) === dayText(span.from, timeZone)
      ? clockText(span.to, true, timeZone)
      : momentText(span.to, now, timeZone);
  return `${momentText(span.from, now, timeZone)}–${to}`;
}
