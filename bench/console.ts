/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The web console in Chromium: first render of the jobs view of a project with 1,000 jobs (navigation start →
// its table painted), median of 5 cold loads; the JavaScript and CSS it transfers, gzipped; and, on the page of a
// run writing 200 lines a second, how long a line takes from being written to being on screen.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { ensureConsole } from '../console/build.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, newPage } from '../test/helpers/browser.ts';
import { median, percentile, startAndWait, stop } from './lib/processes.ts';
import type { Section } from './lib/report.ts';

const JOBS = 1000;
const LOADS = 5;
const LINES_PER_SECOND = 200;
const SECONDS = 10;
const round = (ms: number) => Math.round(ms * 10) / 10;

export async function console_(): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-bench-console-'));
  const service = await startAndWait(
    'npm',
    ['start', '--silent'],
    { JOBS_DATA_DIR: dir, JOBS_RUNNER: 'process', PORT: '0', JOBS_RATE_LIMIT: 'off' },
    (line) => typeof line.ready_ms === 'number',
  );
  const url = service.line.url as string;
  const key = readFileSync(join(dir, 'admin-key'), 'utf8').trim();
  const P = `${url}/v1/workspaces/bench/projects/console`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${P}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return ((await response.json()) as { data: any }).data;
  };
  for (let i = 0; i < JOBS; i += 20) {
    await Promise.all(
      Array.from({ length: 20 }, (_, j) =>
        call('POST', '/jobs', {
          name: `job-${String(i + j).padStart(4, '0')}`,
          image: 'alpine',
          command: 'true',
          ...((i + j) % 3 === 0 ? { schedule: '0 3 * * 1-5', timezone: 'Europe/Berlin' } : {}),
        }),
      ),
    );
  }

  const browser = await launchBrowser();
  const signedIn = async () => {
    const page = await newPage(browser);
    // The key as sign-in keeps it, before the console's own script runs.
    await page.addInitScript((k) => sessionStorage.setItem('jobs.console.key', k), key);
    return page;
  };

  // Cold loads (a new browser context each): navigation start → the first paint after the table's rows are there.
  const renders: number[] = [];
  let transfer = { js: 0, css: 0 };
  for (let i = 0; i < LOADS; i++) {
    const page = await signedIn();
    await page.addInitScript(() => {
      const observer = new MutationObserver(() => {
        if (document.querySelectorAll('table.jobs tbody tr').length < 20) return;
        observer.disconnect();
        requestAnimationFrame(() => requestAnimationFrame(() => ((globalThis as any).__painted = performance.now())));
      });
      observer.observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${url}/console/#/w/bench/p/console/jobs`);
    await page.waitForFunction(() => (globalThis as any).__painted !== undefined, undefined, { timeout: 30_000 });
    renders.push(await page.evaluate(() => (globalThis as any).__painted as number));
    transfer = await page.evaluate(() => {
      const sizes = { js: 0, css: 0 };
      for (const entry of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
        if (entry.name.endsWith('.js')) sizes.js += entry.encodedBodySize;
        if (entry.name.endsWith('.css')) sizes.css += entry.encodedBodySize;
      }
      return sizes;
    });
    await page.context().close();
  }

  // Follow: each line carries the time it was written; the page notes when it shows it.
  const writer = `node -e 'let i=0;const t=setInterval(()=>{console.log(Date.now()+" line "+i++);if(i>=${LINES_PER_SECOND * SECONDS})clearInterval(t)},${1000 / LINES_PER_SECOND})'`;
  const job = await call('POST', '/jobs', { name: 'writer', image: 'alpine', command: writer });
  const page = await signedIn();
  await page.addInitScript(() => {
    const seen: number[] = [];
    (globalThis as any).__latencies = seen;
    new MutationObserver((mutations) => {
      const now = performance.timeOrigin + performance.now();
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          const text = (node as Element).querySelector?.('.message')?.textContent;
          const written = text ? Number(text.split(' ')[0]) : NaN;
          if (Number.isFinite(written)) seen.push(now - written);
        }
      }
    }).observe(document, { childList: true, subtree: true });
  });
  const run = await call('POST', `/jobs/${job.id}/runs`);
  await page.goto(`${url}/console/#/w/bench/p/console/jobs/${job.id}/runs/${run.id}`);
  await page.getByText(`Complete: ${LINES_PER_SECOND * SECONDS} lines.`).waitFor({ timeout: 60_000 });
  const latencies = (await page.evaluate(() => (globalThis as any).__latencies as number[])).slice(LINES_PER_SECOND); // the first second warms up
  await browser.close();
  process.kill(service.line.pid as number, 'SIGTERM');
  await stop(service.child, service.exited);
  rmSync(dir, { recursive: true, force: true });

  // Every script of the build, the chunks only some views load (the job form's) included, as gzip would send them.
  const assets = join(ensureConsole(), 'assets');
  const everyScript = readdirSync(assets)
    .filter((name) => name.endsWith('.js'))
    .reduce((sum, name) => sum + gzipSync(readFileSync(join(assets, name))).length, 0);

  return {
    title: 'Console: first render, transfer, follow',
    tables: [
      {
        caption: `Jobs view of a project with ${JOBS.toLocaleString('en')} jobs (20 a page, each with its status), Chromium, ${LOADS} cold loads, ms from navigation start to the table painted`,
        head: ['median', 'min', 'max', 'goal'],
        rows: [
          [`${round(median(renders))}`, `${round(Math.min(...renders))}`, `${round(Math.max(...renders))}`, '≤ 500'],
        ],
      },
      {
        caption:
          'JavaScript and CSS transferred (gzip), KB: by the jobs view, and every script of the console (the job form and its YAML library load only when it is opened)',
        head: ['JS (jobs view)', 'CSS', 'total', 'JS of every view', 'goal'],
        rows: [
          [
            `${round(transfer.js / 1024)}`,
            `${round(transfer.css / 1024)}`,
            `${round((transfer.js + transfer.css) / 1024)}`,
            `${round(everyScript / 1024)}`,
            '≤ 150',
          ],
        ],
      },
      {
        caption: `A run writing ${LINES_PER_SECOND} lines/s for ${SECONDS} s, followed on its page: line written → on screen, ms (${latencies.length} lines after the first second)`,
        head: ['p50', 'p90', 'p99', 'goal p50'],
        rows: [
          [
            `${round(median(latencies))}`,
            `${round(percentile(latencies, 90))}`,
            `${round(percentile(latencies, 99))}`,
            '≤ 100',
          ],
        ],
      },
    ],
  };
}
