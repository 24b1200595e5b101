// The job charts' rules, without a browser: the unit a series reads in, the tick steps and labels (round, in the
// unit, never two alike), the value axis, the window fitted to short runs, the runs' spans, gaps between runs, and
// how times read.
import { describe, expect, it } from 'vitest';
import {
  cpuUnit,
  extentOf,
  FIT_MIN_MS,
  fitRange,
  memoryUnit,
  momentText,
  niceStep,
  runSpans,
  sampleSlack,
  spanText,
  tickLabels,
  tickSteps,
  tickValues,
  timeTickLabels,
  valueRange,
  valueText,
  withGaps,
} from '../../console/src/chart-scales.ts';

const KIB = 1024;
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const at = (iso: string) => Date.parse(iso);

describe('the unit of a series', () => {
  it('reads CPU in millicores below one core and in cores from one core up', () => {
    expect(cpuUnit(0).name).toBe('mCPU');
    expect(cpuUnit(0.25).name).toBe('mCPU');
    expect(cpuUnit(0.999).name).toBe('mCPU');
    expect(cpuUnit(1).name).toBe('cores');
    expect(cpuUnit(3.5).name).toBe('cores');
    expect(valueText(0.25, cpuUnit(0.25))).toBe('250 mCPU');
    expect(valueText(1.25, cpuUnit(1.25))).toBe('1.25 cores');
  });

  it('reads memory in the largest binary unit its largest value fills', () => {
    expect(memoryUnit(0).name).toBe('B');
    expect(memoryUnit(1023).name).toBe('B');
    expect(memoryUnit(KIB).name).toBe('KiB');
    expect(memoryUnit(537.1 * KIB).name).toBe('KiB');
    expect(memoryUnit(MIB).name).toBe('MiB');
    expect(memoryUnit(300 * MIB).name).toBe('MiB');
    expect(memoryUnit(2 * GIB).name).toBe('GiB');
    expect(memoryUnit(5000 * GIB).name).toBe('GiB');
    expect(valueText(537.1 * KIB, memoryUnit(537.1 * KIB))).toBe('537 KiB');
    expect(valueText(12.34 * MIB, memoryUnit(12.34 * MIB))).toBe('12.3 MiB');
    expect(valueText(900, memoryUnit(900))).toBe('900 B');
  });
});

describe('ticks', () => {
  it('step by 1, 2 and 5 times a power of ten of the unit, never below its finest step', () => {
    const bytes = tickSteps(memoryUnit(100));
    expect(bytes.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    const kib = tickSteps(memoryUnit(600 * KIB));
    expect(kib.slice(0, 7)).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
    expect(kib).toContain(100);
    expect(kib).toContain(200);
    for (const steps of [bytes, kib, tickSteps(cpuUnit(0.3))])
      for (const step of steps) expect(String(step)).toMatch(/^(1|2|5)(0*)$|^0\.0*(1|2|5)$/);
  });

  it('fall on whole multiples of the step, with no rounding error creeping in', () => {
    expect(tickValues(0, 1, 0.1)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(tickValues(0, 600, 200)).toEqual([0, 200, 400, 600]);
    expect(tickValues(0.05, 0.31, 0.1)).toEqual([0.1, 0.2, 0.3]);
  });

  it('read in the unit with as many decimals as the step, so no two ticks read the same', () => {
    const unit = cpuUnit(0.004);
    const labels = tickLabels(tickValues(0, 4, 0.5), 0.5, unit);
    expect(labels).toEqual([
      '0.0 mCPU',
      '0.5 mCPU',
      '1.0 mCPU',
      '1.5 mCPU',
      '2.0 mCPU',
      '2.5 mCPU',
      '3.0 mCPU',
      '3.5 mCPU',
      '4.0 mCPU',
    ]);
    expect(tickLabels([0, 200, 400, 600], 200, memoryUnit(537 * KIB))).toEqual([
      '0 KiB',
      '200 KiB',
      '400 KiB',
      '600 KiB',
    ]);
    // The old axis read 0.01, 0.00, 0.00 in cores: in millicores with the step's decimals every tick differs.
    for (const [max, step] of [
      [0.012, 0.002],
      [0.3, 0.05],
      [1.7, 0.5],
    ] as const) {
      const cpu = cpuUnit(max);
      const s = step / cpu.size;
      const texts = tickLabels(tickValues(0, valueRange(max / cpu.size)[1], s), s, cpu);
      expect(new Set(texts).size, texts.join(', ')).toBe(texts.length);
    }
  });

  it('rise from zero to a round top above the largest value', () => {
    expect(valueRange(537.1)).toEqual([0, 600]);
    expect(valueRange(250)).toEqual([0, 300]);
    expect(valueRange(0.98)).toEqual([0, 1.2]);
    expect(valueRange(0)).toEqual([0, 1]);
    expect(niceStep(27.5)).toBe(50);
    expect(niceStep(0.11)).toBe(0.2);
    expect(niceStep(100)).toBe(100);
  });
});

describe('the range shown', () => {
  const hour = { from: at('2026-03-12T09:30:00Z'), to: at('2026-03-12T10:30:00Z') };
  const run = { from: at('2026-03-12T10:02:10Z'), to: at('2026-03-12T10:02:45Z') };

  it('is fitted to a short run with a margin, at least a minute, inside the window', () => {
    const fitted = fitRange(run, hour)!;
    expect(fitted.from).toBeLessThan(run.from);
    expect(fitted.to).toBeGreaterThan(run.to);
    expect(fitted.to - fitted.from).toBe(FIT_MIN_MS);
    // The run fills about half of what is shown, against a hundredth of the hour.
    expect((run.to - run.from) / (fitted.to - fitted.from)).toBeGreaterThan(0.5);
    const long = { from: at('2026-03-12T10:00:00Z'), to: at('2026-03-12T10:10:00Z') };
    const around = fitRange(long, hour)!;
    expect(around).toEqual({ from: long.from - 60_000, to: long.to + 60_000 });
  });

  it("stops at the window's ends: a run still running is shown up to now, not past it", () => {
    const running = { from: hour.to - 20_000, to: hour.to };
    expect(fitRange(running, hour)).toEqual({ from: hour.to - 40_000, to: hour.to });
    const first = { from: hour.from, to: hour.from + 10_000 };
    expect(fitRange(first, hour)).toEqual({ from: hour.from, to: hour.from + 35_000 });
  });

  it('is the whole window when the data fills much of it, or there is none', () => {
    expect(fitRange({ from: hour.from + 60_000, to: hour.to - 60_000 }, hour)).toBeNull();
    expect(fitRange(null, hour)).toBeNull();
  });

  it("is drawn from the runs' spans in the window: a running run to now, a run never started none", () => {
    const now = hour.to;
    const spans = runSpans(
      [
        { status: 'succeeded', started_at: '2026-03-12T10:02:10.000Z', finished_at: '2026-03-12T10:02:45.000Z' },
        { status: 'running', started_at: '2026-03-12T10:29:00.000Z', finished_at: null },
        { status: 'pending', started_at: null, finished_at: null },
        { status: 'failed', started_at: '2026-03-12T07:00:00.000Z', finished_at: '2026-03-12T07:01:00.000Z' },
        { status: 'succeeded', started_at: '2026-03-12T09:00:00.000Z', finished_at: '2026-03-12T09:31:00.000Z' },
      ],
      hour,
      now,
    );
    expect(spans).toEqual([
      run,
      { from: at('2026-03-12T10:29:00Z'), to: now },
      { from: hour.from, to: at('2026-03-12T09:31:00Z') },
    ]);
    expect(extentOf([], [], 5000)).toBeNull();
  });

  it("holds the runs and the samples no run accounts for, a sample's stamp being the start of its period", () => {
    // A minute's sample is stamped 10:02:00 for a run from 10:02:10: it is the run's and does not widen the span.
    expect(extentOf([at('2026-03-12T10:02:00Z')], [run], 60_000)).toEqual(run);
    // Samples whose run is no longer kept count for themselves.
    const orphan = at('2026-03-12T09:40:00Z');
    expect(extentOf([orphan, at('2026-03-12T10:02:20Z')], [run], 5000)).toEqual({ from: orphan, to: run.to });
    expect(extentOf([orphan, orphan + 5000], [], 5000)).toEqual({ from: orphan, to: orphan + 5000 });
    // A day read by two minutes: a run from 10:02:10 has its sample stamped 10:00:00, still its own.
    expect(
      extentOf([at('2026-03-12T10:00:00Z')], [run], sampleSlack([at('2026-03-12T10:00:00Z')], 86_400_000)),
    ).toEqual(run);
    expect(sampleSlack([0, 5000, 10_000, 30_000], 3_600_000)).toBe(10_000);
    expect(sampleSlack([0], 86_400_000)).toBe(180_000);
    expect(sampleSlack([], 3_600_000)).toBe(7500);
  });
});

describe('a series between runs', () => {
  it('breaks where samples stop for more than a few periods, and only there', () => {
    const [times, values] = withGaps([0, 5, 10, 15, 100, 105, 115], [1, 2, 3, 4, 5, 6, 7]);
    expect(times).toEqual([0, 5, 10, 15, 57.5, 100, 105, 115]);
    expect(values).toEqual([1, 2, 3, 4, null, 5, 6, 7]);
    expect(withGaps([3], [9])).toEqual([[3], [9]]);
  });
});

describe('times', () => {
  const zone = 'UTC';
  it('label ticks with seconds below a minute step, the day where the ticks span days, the day alone by days', () => {
    const t = at('2026-03-12T10:02:10Z');
    expect(timeTickLabels([t, t + 10_000], 10_000, zone)).toEqual(['10:02:10', '10:02:20']);
    expect(timeTickLabels([t, t + 600_000], 600_000, zone)).toEqual(['10:02', '10:12']);
    const evening = at('2026-03-12T22:00:00Z');
    expect(timeTickLabels([evening, evening + 7_200_000, evening + 14_400_000], 7_200_000, zone)).toEqual([
      '22:00\nMar 12',
      '00:00\nMar 13',
      '02:00',
    ]);
    expect(timeTickLabels([at('2026-03-12T00:00:00Z'), at('2026-03-13T00:00:00Z')], 86_400_000, zone)).toEqual([
      'Mar 12',
      'Mar 13',
    ]);
  });

  it('read with seconds, the day named when it is not today', () => {
    const now = at('2026-03-12T10:30:00Z');
    expect(momentText(at('2026-03-12T10:02:31Z'), now, zone)).toBe('10:02:31');
    expect(momentText(at('2026-03-10T10:02:31Z'), now, zone)).toBe('Mar 10, 10:02:31');
    expect(spanText({ from: at('2026-03-12T10:02:10Z'), to: at('2026-03-12T10:02:45Z') }, now, zone)).toBe(
      '10:02:10–10:02:45',
    );
    expect(spanText({ from: at('2026-03-10T23:59:50Z'), to: at('2026-03-11T00:00:40Z') }, now, zone)).toBe(
      'Mar 10, 23:59:50–Mar 11, 00:00:40',
    );
  });
});
