// A job's CPU and memory charts (uPlot). Each reads in a unit scaled to its data, its axes sized to their labels
// so none is cut off; the window is fitted to the runs when they fill little of it (a line says so, with a link
// to the whole window); each run's span is shaded behind the series; a tooltip gives the time and value under
// the cursor.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { JobsClient, Metrics, Run } from '../../client/jobs-client.ts';
import { Empty, ErrorNotice, useLoad, useRefresh } from './components.tsx';
import {
  cpuUnit,
  extentOf,
  fitRange,
  memoryUnit,
  momentText,
  runSpans,
  sampleSlack,
  type Span,
  spanText,
  tickLabels,
  tickSteps,
  tickValues,
  timeTickLabels,
  type Unit,
  valueRange,
  valueText,
  withGaps,
  zoneText,
} from './chart-scales.ts';
import { client } from './session.ts';

const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const AXIS_COLOUR = '#3d444d';
const SERIES_COLOUR = '#1f5fbf';
/** Opaque, so a run's span reads the same whatever is drawn over it. */
const RUN_SHADE = '#fcefcc';
const HEIGHT = 200;
const TICK = 10;
const GAP = 5;
/** The widest a time label can be, to keep room for it: the last one is centred on the plot's right edge. */
const WIDEST_TIME = [
  '00:00:00',
  ...['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].map((m) => `${m} 30`),
];
const NAMES = ['cpu_usage', 'memory_usage'];

type Points = Array<{ timestamp: string; value: number }>;

/** The widest of the texts (each line of each) in the axis font, in CSS pixels, by the chart's own canvas. */
function textWidth(u: uPlot, texts: readonly string[]): number {
  u.ctx.save();
  u.ctx.font = AXIS_FONT;
  const widths = texts.flatMap((text) => text.split('\n')).map((line) => u.ctx.measureText(line).width);
  u.ctx.restore();
  return Math.ceil(Math.max(0, ...widths));
}

/** Each run's span as a light band behind the series; at least two pixels wide, so a short run still shows. */
function shadeRuns(u: uPlot, runs: Span[]): void {
  const { ctx, bbox } = u;
  const right = bbox.left + bbox.width;
  const least = 2 * uPlot.pxRatio;
  ctx.save();
  ctx.fillStyle = RUN_SHADE;
  for (const run of runs) {
    const from = Math.max(bbox.left, u.valToPos(run.from / 1000, 'x', true));
    const to = Math.min(right, u.valToPos(run.to / 1000, 'x', true));
    if (to < bbox.left || from > right) continue;
    const width = Math.max(to - from, least);
    ctx.fillRect(Math.min(from, right - width), bbox.top, width, bbox.height);
  }
  ctx.restore();
}

/**
 * A tooltip inside the plot: the sample nearest the cursor, its time and value. Hidden from screen readers, as the
 * pointer it follows is: the figure's label says the same in words.
 */
function tooltip(u: uPlot, unit: Unit): (u: uPlot) => void {
  const tip = document.createElement('div');
  tip.className = 'chart-tip';
  tip.setAttribute('aria-hidden', 'true');
  tip.hidden = true;
  const when = document.createElement('time');
  const what = document.createElement('strong');
  tip.append(when, what);
  u.over.append(tip);
  return (chart) => {
    const i = chart.cursor.idx;
    const t = i == null ? null : chart.data[0][i];
    const v = i == null ? null : chart.data[1]![i];
    if (t == null || v == null) {
      tip.hidden = true;
      return;
    }
    when.textContent = momentText(t * 1000, Date.now());
    when.dateTime = new Date(t * 1000).toISOString();
    what.textContent = valueText(v * unit.size, unit);
    tip.hidden = false;
    // Beside the point, on whichever side has room, and never outside the plot.
    const x = chart.valToPos(t, 'x');
    const y = chart.valToPos(v, 'y');
    const { offsetWidth: width, offsetHeight: height } = tip;
    const left = x + 12 + width <= chart.over.clientWidth ? x + 12 : Math.max(0, x - 12 - width);
    const top = Math.max(0, Math.min(y - height - 8, chart.over.clientHeight - height));
    tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
  };
}

/** A time series as a uPlot line chart over `range`, the runs shaded; `label` names it for screen readers too. */
export function Chart({
  label,
  unitFor,
  points,
  range,
  runs,
}: {
  label: string;
  /** The unit for the series' largest raw value. */
  unitFor: (max: number) => Unit;
  points: Points;
  range: Span;
  runs: Span[];
}) {
  const box = useRef<HTMLDivElement>(null);
  const max = Math.max(0, ...points.map((p) => p.value));
  const unit = unitFor(max);
  useEffect(() => {
    if (!box.current || points.length === 0) return;
    const [times, values] = withGaps(
      points.map((p) => Date.parse(p.timestamp) / 1000),
      points.map((p) => p.value / unit.size),
    );
    let showTip: (u: uPlot) => void = () => {};
    const chart = new uPlot(
      {
        width: Math.max(280, box.current.clientWidth),
        height: HEIGHT,
        // Room on the right for half the widest time label; the top and bottom as uPlot has them.
        padding: [null, (u) => Math.ceil(textWidth(u, WIDEST_TIME) / 2) + 4, null, null],
        scales: {
          x: { time: true, range: () => [range.from / 1000, range.to / 1000] },
          y: { range: () => valueRange(max / unit.size) },
        },
        series: [{}, { label, stroke: SERIES_COLOUR, width: 2, fill: 'rgba(31, 95, 191, 0.12)' }],
        axes: [
          {
            font: AXIS_FONT,
            stroke: AXIS_COLOUR,
            gap: GAP,
            ticks: { size: TICK },
            // Labels never touch: at least the widest one apart, and a gap.
            space: (u) => textWidth(u, WIDEST_TIME) + 20,
            values: (_u, ticks, _axis, _space, step) =>
              timeTickLabels(
                ticks.map((t) => t * 1000),
                step * 1000,
              ),
          },
          {
            font: AXIS_FONT,
            stroke: AXIS_COLOUR,
            gap: GAP,
            ticks: { size: TICK },
            incrs: tickSteps(unit),
            splits: (_u, _axis, min, max, step) => tickValues(min, max, step),
            values: (_u, ticks, _axis, _space, step) => tickLabels(ticks, step, unit),
            // As wide as its widest label, and wide enough for half the first time label below it.
            size: (u, labels) =>
              labels
                ? Math.max(textWidth(u, labels) + TICK + GAP + 4, Math.ceil(textWidth(u, WIDEST_TIME) / 2) + 4)
                : 50,
          },
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        hooks: {
          drawClear: [(u) => shadeRuns(u, runs)],
          setCursor: [(u) => showTip(u)],
        },
      },
      [times, values],
      box.current,
    );
    showTip = tooltip(chart, unit);
    // The chart follows its box's width (a narrower window, a wider one), its labels measured again.
    const element = box.current;
    const resized = new ResizeObserver(() => {
      const width = Math.max(280, element.clientWidth);
      if (width !== chart.width) chart.setSize({ width, height: HEIGHT });
    });
    resized.observe(element);
    return () => {
      resized.disconnect();
      chart.destroy();
    };
  }, [points, range.from, range.to, runs]);
  const shownFrom = Date.parse(points[0]?.timestamp ?? '');
  const shownTo = Date.parse(points.at(-1)?.timestamp ?? '');
  return (
    <figure class="chart">
      {/* The unit is the data's: with no sample there is none to name. */}
      <figcaption>{points.length === 0 ? label : `${label} (${unit.name})`}</figcaption>
      {points.length === 0 ? (
        <Empty>No samples in this window: the job had no running instance.</Empty>
      ) : (
        <div
          ref={box}
          role="img"
          aria-label={`${label}: ${points.length} samples, ${spanText({ from: shownFrom, to: shownTo }, range.to)}, highest ${valueText(max, unit)}, latest ${valueText(points.at(-1)!.value, unit)}`}
        />
      )}
      {points.length > 0 && <SampleTable label={label} points={points} unit={unit} />}
    </figure>
  );
}

/**
 * The chart's samples as a table, for the keyboard and screen readers (the tooltip follows a pointer only); drawn
 * only once opened, since a week holds many samples.
 */
function SampleTable({ label, points, unit }: { label: string; points: Points; unit: Unit }) {
  const [open, setOpen] = useState(false);
  return (
    <details class="samples" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{label}: the samples as a table</summary>
      {open && (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus to scroll by keyboard
        <section class="sample-rows" tabIndex={0} aria-label={`${label} samples`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">{label}</th>
              </tr>
            </thead>
            <tbody>
              {points.map((point) => (
                <tr key={point.timestamp}>
                  <td>
                    <time dateTime={point.timestamp}>{momentText(Date.parse(point.timestamp), Date.now())}</time>
                  </td>
                  <td>{valueText(point.value, unit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </details>
  );
}

/** The job's runs made since `from`, and the one before it (it may have run on into the window); at most 500. */
async function runsSince(api: JobsClient, jobId: string, from: number): Promise<Run[]> {
  const runs: Run[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 5; page++) {
    const { items, next_cursor } = await api.listJobRuns(jobId, { limit: 100, ...(cursor ? { cursor } : {}) });
    runs.push(...items);
    // Newest first: once a page reaches a run made before the window, the rest are older still.
    if (!next_cursor || items.some((run) => Date.parse(run.created_at) < from)) break;
    cursor = next_cursor;
  }
  return runs;
}

interface ChartsData {
  window: Span;
  /** What the charts show: the window, or the part fitted to the runs. */
  shown: Span;
  /** Where the samples and runs are, and the range fitted to them when they fill little of the window. */
  extent: Span | null;
  fitted: Span | null;
  runs: Span[];
  active: boolean;
  series: Metrics;
  /** Whether it was read fitted: the line says what is shown, not what the URL asks for while it loads. */
  fit: boolean;
}

async function loadCharts(api: JobsClient, jobId: string, since: string, windowMs: number, fit: boolean) {
  const now = Date.now();
  const window = { from: now - windowMs, to: now };
  const [series, runs] = await Promise.all([
    api.jobMetrics(jobId, { names: NAMES, since }),
    runsSince(api, jobId, window.from),
  ]);
  const spans = runSpans(runs, window, now);
  const times = Object.values(series).flatMap((s) =>
    s.status === 'success' ? s.points.map((p) => Date.parse(p.timestamp)) : [],
  );
  const extent = extentOf(times, spans, sampleSlack(times, windowMs));
  const fitted = fitRange(extent, window);
  const active = runs.some((run) => run.status === 'pending' || run.status === 'running');
  const data: ChartsData = { window, shown: window, extent, fitted, runs: spans, active, series, fit };
  if (!fit || !fitted) return data;
  // Read again over the fitted part only: its samples are finer than the whole window's.
  const detail = await api.jobMetrics(jobId, {
    names: NAMES,
    start: new Date(fitted.from).toISOString(),
    end: new Date(fitted.to).toISOString(),
  });
  return { ...data, shown: fitted, series: detail };
}

/** A series' points, or an error notice naming what went wrong. */
function seriesOf(series: Metrics, name: string): Points | Error {
  const s = series[name];
  return s?.status === 'success' ? s.points : new Error(`${name}: ${s?.message ?? 'unavailable'}`);
}

/**
 * The job's CPU and memory over the window `since` (windowMs long). With `fit`, the charts show only the part the
 * runs fill when it is small; `fitLink` is the view's URL with or without the fit.
 */
export function Charts({
  workspace,
  project,
  jobId,
  since,
  windowMs,
  windowName,
  fit,
  fitLink,
}: {
  workspace: string;
  project: string;
  jobId: string;
  since: string;
  windowMs: number;
  windowName: string;
  fit: boolean;
  fitLink: (fit: boolean) => string;
}) {
  const api = client(workspace, project);
  const loaded = useLoad(() => loadCharts(api, jobId, since, windowMs, fit), [jobId, since, fit]);
  // A running run's samples keep coming: read them again while it runs.
  useRefresh(Boolean(loaded.data?.active), 5000, loaded.reload);
  if (!loaded.data) return loaded.error ? <ErrorNotice error={loaded.error} /> : <p class="sub">Loading the charts…</p>;
  const { shown, runs, series } = loaded.data;
  const cpu = seriesOf(series, 'cpu_usage');
  const memory = seriesOf(series, 'memory_usage');
  return (
    <div>
      <ErrorNotice error={loaded.error} />
      <FitLine data={loaded.data} windowName={windowName} fitLink={fitLink} />
      <div class="charts">
        {cpu instanceof Error ? (
          <ErrorNotice error={cpu} />
        ) : (
          <Chart label="CPU" unitFor={cpuUnit} points={cpu} range={shown} runs={runs} />
        )}
        {memory instanceof Error ? (
          <ErrorNotice error={memory} />
        ) : (
          <Chart label="Memory" unitFor={memoryUnit} points={memory} range={shown} runs={runs} />
        )}
      </div>
    </div>
  );
}

/** What part of the window the charts show, the link to the other choice, and what the shading means. */
function FitLine({
  data,
  windowName,
  fitLink,
}: {
  data: ChartsData;
  windowName: string;
  fitLink: (fit: boolean) => string;
}) {
  const { extent, fitted, window, runs, fit } = data;
  if (!(fitted && extent) && runs.length === 0) return null;
  const share = extent ? Math.max(1, Math.round(((extent.to - extent.from) / (window.to - window.from)) * 100)) : 0;
  return (
    <p class="chart-fit">
      {fitted && extent && fit && (
        <>
          Fitted to the runs: {spanText(extent, window.to)} {zoneText(extent.from)} ·{' '}
          <a href={fitLink(false)}>Whole window ({windowName})</a>
        </>
      )}
      {fitted && extent && !fit && (
        <>
          Whole window ({windowName}): the runs fill {share} % of it · <a href={fitLink(true)}>Fit to the runs</a>
        </>
      )}
      {runs.length > 0 && (
        <span class="run-key">
          <span class="swatch" aria-hidden="true" /> shaded: when a run ran
        </span>
      )}
    </p>
  );
}
