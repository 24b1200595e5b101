// A real Chromium for the console's tests: the one @sparticuz/chromium ships inside its npm package, driven by
// playwright-core. A page records every console error, uncaught error and failed request, so a test can insist
// there were none; axe-core checks a view's accessibility.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const SCREENSHOTS = join(process.cwd(), 'test-output', 'console');

/**
 * The package's flags are made for Lambda: one process, and web security off. A test wants the browser users
 * have, so that CORS and the Content-Security-Policy are enforced: those flags are left out.
 */
const LAMBDA_ONLY =
  /^--(single-process|disable-web-security|allow-running-insecure-content|disable-site-isolation-trials|disable-features=)/;

export async function launchBrowser(): Promise<Browser> {
  return playwright.launch({
    executablePath: await chromium.executablePath(),
    args: chromium.args.filter((arg) => !LAMBDA_ONLY.test(arg)),
    headless: true,
  });
}

/**
 * A page in a browser set to en-US: this Chromium otherwise reports the machine's POSIX locale
 * ("en-US@posix"), which no browser a user runs does and which Intl refuses.
 */
export function newPage(browser: Browser): Promise<Page> {
  return browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
}

export interface WatchedPage {
  page: Page;
  /** What went wrong in the page so far: console errors, uncaught errors, failed requests, error answers. */
  problems: string[];
}

/** A page whose problems are recorded. A request the console abandoned itself (a follow it stopped) is not one. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await newPage(browser);
  // Shorter than a test's own timeout, so a wait that fails says which.
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('console', (message) => message.type() === 'error' && problems.push(`console: ${message.text()}`));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (request.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on(
    'response',
    (response) =>
      response.status() >= 400 &&
      problems.push(`answer ${response.status()}: ${response.request().method()} ${response.url()}`),
  );
  return { page, problems };
}

/** axe-core's serious and critical violations of the page as it is now (evaluated past the page's CSP). */
export async function seriousViolations(page: Page): Promise<Array<{ id: string; impact: string; nodes: string[] }>> {
  await page.evaluate(AXE);
  const results = (await page.evaluate(() =>
    (globalThis as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
  )) as {
    violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
  };
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** How many pixels of each chart's canvas are drawn (not transparent). */
export function drawnPixels(page: Page): Promise<number[]> {
  // The page's own types: this module is type-checked without the DOM's.
  type Canvas = {
    width: number;
    height: number;
    getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
  };
  return page.$$eval('.chart canvas', (canvases) =>
    (canvases as unknown as Canvas[]).map((canvas) => {
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let drawn = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
      return drawn;
    }),
  );
}
