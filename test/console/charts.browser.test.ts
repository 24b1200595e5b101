// The job view's CPU and memory charts in a real Chromium, for a run of about 30 s: the window is fitted to the
// run (its line spans a good share of the plot, a sliver in the whole hour), no axis label is drawn outside its
// canvas, ticks read in units scaled to the data and none repeats, hovering shows the time and value, and the
// run's span is shaded. Every label is caught as it is drawn: fillText is wrapped before the console loads.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS } from '../helpers/browser.ts';
import { checkView, openConsole, type ConsoleSession } from '../helpers/console.ts';
import { job, points, projectPath, waitForStatus } from '../helpers/service.ts';
import { eventually } from '../helpers/wait.ts';

const W = 'acme';
const PROJECT = 'charts';
const P = projectPath(W, PROJECT);
/** The series' line and the runs' shade, as the console draws them. */
const SERIES: [number, number, number] = [31, 95, 191];
const SHADE: [number, number, number] = [252, 239, 204];

/**
 * About 30 s of work: 64 MiB held, and a quarter of a core kept busy (25 ms of every 100 ms), so CPU reads in
 * millicores and memory in MiB.
 */
const WORK = `
const held = Buffer.alloc(64 * 1024 * 1024, 1);
const end = Date.now() + 30000;
const tick = setInterval(() => {
  const busy = Date.now() + 25;
  while (Date.now() < busy) {}
  if (Date.now() >= end) { clearInterval(tick); console.log(held.length); }
}, 100);`;

let c: ConsoleSession;
let jobId: string;
let runId: string;

interface Label {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface Drawn {
  width: number;
  height: number;
  labels: Label[];
}

/** Every text each chart's canvas holds now (its last full draw), with its box in canvas pixels. */
function drawnLabels(page: Page): Promise<Drawn[]> {
  return page.$$eval('.chart canvas', (canvases: any[]) =>
    canvases.map((canvas) => ({ width: canvas.width, height: canvas.height, labels: canvas.__labels ?? [] })),
  );
}

/**
 * Per chart, in its plot area: the share of columns where the series' line is drawn, and how many pixels have
 * the run shade's colour.
 */
function plotPixels(page: Page): Promise<Array<{ share: number; shaded: number }>> {
  return page.$$eval(
    '.chart',
    (figures: any[], { series, shade }) =>
      figures.map((figure) => {
        const canvas = figure.querySelector('canvas');
        const plot = figure.querySelector('.u-over').getBoundingClientRect();
        const box = canvas.getBoundingClientRect();
        const scale = canvas.width / box.width;
        const left = Math.round((plot.left - box.left) * scale);
        const top = Math.round((plot.top - box.top) * scale);
        const width = Math.round(plot.width * scale);
        const height = Math.round(plot.height * scale);
        const data: Uint8ClampedArray = canvas.getContext('2d').getImageData(left, top, width, height).data;
        let columns = 0;
        let shaded = 0;
        for (let x = 0; x < width; x++) {
          let line = false;
          for (let y = 0; y < height; y++) {
            const i = (y * width + x) * 4;
            const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
            if (a > 200 && Math.abs(r - series[0]) + Math.abs(g - series[1]) + Math.abs(b - series[2]) < 60)
              line = true;
            if (a === 255 && Math.abs(r - shade[0]) + Math.abs(g - shade[1]) + Math.abs(b - shade[2]) <= 3) shaded++;
          }
          if (line) columns++;
        }
        return { share: columns / width, shaded };
      }),
    { series: SERIES, shade: SHADE },
  );
}

beforeAll(async () => {
  c = await openConsole('console-charts');
  // Each label's box where it is drawn, from the text's own measure, its alignment and the canvas' transform; a
  // canvas cleared whole starts its list afresh.
  await c.page.addInitScript(() => {
    const proto = (globalThis as any).CanvasRenderingContext2D.prototype;
    const fillText = proto.fillText;
    const clearRect = proto.clearRect;
    proto.clearRect = function (this: any, x: number, y: number, w: number, h: number) {
      if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) this.canvas.__labels = [];
      return clearRect.call(this, x, y, w, h);
    };
    proto.fillText = function (this: any, text: string, x: number, y: number, ...rest: unknown[]) {
      const m = this.measureText(text);
      const t = this.getTransform();
      const xs = [x - m.actualBoundingBoxLeft, x + m.actualBoundingBoxRight];
      const ys = [y - m.actualBoundingBoxAscent, y + m.actualBoundingBoxDescent];
      const corners = xs.flatMap((cx) => ys.map((cy) => [t.a * cx + t.c * cy + t.e, t.b * cx + t.d * cy + t.f]));
      this.canvas.__labels ??= [];
      this.canvas.__labels.push({
        text,
        align: this.textAlign,
        left: Math.min(...corners.map((p) => p[0])),
        right: Math.max(...corners.map((p) => p[0])),
        top: Math.min(...corners.map((p) => p[1])),
        bottom: Math.max(...corners.map((p) => p[1])),
      });
      return fillText.call(this, text, x, y, ...rest);
    };
  });
  jobId = (await c.t.api.post(`${P}/jobs`, job({ name: 'thirty-seconds', command: [process.execPath, '-e', WORK] })))
    .body.data.id;
  runId = (await c.t.api.post(`${P}/jobs/${jobId}/runs`)).body.data.id;
}, 120_000);

afterAll(async () => {
  await c?.stop();
});

const jobPath = () => `/w/${W}/p/${PROJECT}/jobs/${jobId}`;

describe("the job's charts", () => {
  it('fit the window to a running run and shade its span up to now', async () => {
    await waitForStatus(c.t.api, `${P}/jobs/${jobId}/runs/${runId}`, ['running']);
    await eventually(
      async () => {
        const metrics = (await c.t.api.get(`${P}/jobs/${jobId}/metrics?since=1h`)).body.data;
        return points(metrics.cpu_usage).length >= 2 && points(metrics.memory_usage).length >= 2;
      },
      'two samples of each metric',
      20_000,
    );
    await c.open(jobPath());
    await c.page.getByText('Fitted to the runs:').waitFor();
    await expect
      .poll(async () => (await plotPixels(c.page)).map((chart) => chart.shaded > 1000), { timeout: 10_000 })
      .toEqual([true, true]);
  });

  it('show a 30 s run across the plot, labels inside their canvas in scaled units, a tooltip and the shaded run', async () => {
    await waitForStatus(c.t.api, `${P}/jobs/${jobId}/runs/${runId}`, ['succeeded'], 60_000);
    // A fresh load of the view, already open since the test before: the charts as read after the run.
    await c.open(jobPath());
    await c.page.reload();
    const { page } = c;

    // (a) Fitted to the run, the line spans a good share of the plot's width.
    await page.getByText('Fitted to the runs:').waitFor();
    await expect
      .poll(async () => (await plotPixels(page)).map((chart) => chart.share >= 0.3), { timeout: 10_000 })
      .toEqual([true, true]);

    // (b) Every label lies within its canvas, and (c) the ticks read in the data's units, none twice.
    const drawn = await drawnLabels(page);
    expect(drawn).toHaveLength(2);
    for (const { width, height, labels } of drawn) {
      expect(labels.length).toBeGreaterThan(4);
      for (const label of labels) {
        expect(label.left, `"${label.text}" left`).toBeGreaterThanOrEqual(0);
        expect(label.right, `"${label.text}" right`).toBeLessThanOrEqual(width);
        expect(label.top, `"${label.text}" top`).toBeGreaterThanOrEqual(0);
        expect(label.bottom, `"${label.text}" bottom`).toBeLessThanOrEqual(height);
      }
    }
    const [cpu, memory] = drawn.map((chart) => chart.labels.map((label) => label.text));
    const cpuTicks = cpu!.filter((text) => /^[\d.]+ \S+$/.test(text));
    const memoryTicks = memory!.filter((text) => /^[\d.]+ \S+$/.test(text));
    expect(cpuTicks.length).toBeGreaterThanOrEqual(2);
    expect(memoryTicks.length).toBeGreaterThanOrEqual(2);
    for (const text of cpuTicks) expect(text).toMatch(/^\d+ mCPU$/);
    for (const text of memoryTicks) expect(text).toMatch(/^\d+ MiB$/);
    for (const labels of [cpu!, memory!]) {
      expect(new Set(labels).size, labels.join(' | ')).toBe(labels.length);
      const times = labels.filter((text) => !/^[\d.]+ \S+$/.test(text));
      expect(times.length).toBeGreaterThanOrEqual(2);
      for (const text of times) expect(text).toMatch(/^\d\d:\d\d(:\d\d)?$|^[A-Z][a-z]{2} \d{1,2}$/);
    }

    // (e) The run's span is shaded on both charts.
    for (const chart of await plotPixels(page)) expect(chart.shaded).toBeGreaterThan(1000);

    // (d) Hovering a plot shows the time and the value in the chart's unit.
    const plots = page.locator('.chart .u-over');
    const tips = page.locator('.chart .chart-tip');
    await plots.nth(1).hover();
    await tips.nth(1).waitFor();
    expect(await tips.nth(1).locator('time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await tips.nth(1).locator('strong').textContent()).toMatch(/^\d+(\.\d+)? MiB$/);
    await plots.nth(0).hover();
    await tips.nth(0).waitFor();
    expect(await tips.nth(0).locator('time').textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await tips.nth(0).locator('strong').textContent()).toMatch(/^\d+(\.\d+)? mCPU$/);
    // The tooltip as it reads, for a look (a full-page screenshot resizes the page, which hides it).
    await page.locator('.charts').screenshot({ path: join(SCREENSHOTS, 'job-charts-tooltip.png') });
    await checkView(c.watched, 'job-charts-fitted');

    // The whole hour: the same run is a sliver, still shaded; the window's buttons keep the choice in the URL.
    await page.getByRole('link', { name: 'Whole window (1 hour)' }).click();
    await expect.poll(() => page.url()).toContain('fit=off');
    await page.getByRole('link', { name: 'Fit to the runs' }).waitFor();
    await expect
      .poll(async () => (await plotPixels(page)).map((chart) => chart.share < 0.05), { timeout: 10_000 })
      .toEqual([true, true]);
    for (const chart of await plotPixels(page)) expect(chart.shaded).toBeGreaterThan(0);
    await page.getByRole('button', { name: '24 hours' }).click();
    await expect.poll(() => page.url()).toContain('window=24h');
    expect(page.url()).toContain('fit=off');
    await page.getByRole('link', { name: 'Fit to the runs' }).click();
    await page.getByText('Fitted to the runs:').waitFor();
    await expect
      .poll(async () => (await plotPixels(page)).map((chart) => chart.share >= 0.3), { timeout: 10_000 })
      .toEqual([true, true]);
    await checkView(c.watched, 'job-charts-whole-then-fitted');

    // The samples as a table, opened from the keyboard: a row per sample, each value in the chart's unit.
    const summary = page.getByText('Memory: the samples as a table');
    await summary.focus();
    await page.keyboard.press('Enter');
    const rows = page.getByRole('region', { name: 'Memory samples' }).locator('tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBeGreaterThanOrEqual(10);
    for (const value of await rows.locator('td:nth-child(2)').allTextContents()) expect(value).toMatch(/ MiB$/);
    await checkView(c.watched, 'job-charts-samples');

    // A narrower window: the charts follow it, and their labels are measured again, still inside.
    const widths = () => page.$$eval('.chart canvas', (canvases: any[]) => canvases.map((e) => e.clientWidth));
    const wide = await widths();
    await page.setViewportSize({ width: 700, height: 900 });
    await expect.poll(async () => (await widths()).every((width, i) => width < wide[i]!)).toBe(true);
    for (const { width, labels } of await drawnLabels(page))
      for (const label of labels) {
        expect(label.left, `"${label.text}" left`).toBeGreaterThanOrEqual(0);
        expect(label.right, `"${label.text}" right`).toBeLessThanOrEqual(width);
      }
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 120_000);
});
