// The console in a real Chromium against a started local service, signed in with the admin key: what each console
// test file starts from. A view is checked the same way everywhere: axe finds no serious violation, a screenshot
// is kept, and the page had no problem (console error, failed request, error answer) so far.
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser, screenshot, seriousViolations, watchedPage, type WatchedPage } from './browser.ts';
import { startTestService, type TestService } from './service.ts';

export interface ConsoleSession {
  t: TestService;
  browser: Browser;
  watched: WatchedPage;
  page: Page;
  /** Opens a console URL (the part after '#'), signed in, as a fresh load: nothing typed in a view before stays. */
  open(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** Asserts a view is accessible and had no problem, and keeps its screenshot as test-output/console/<name>.png. */
export async function checkView(watched: WatchedPage, name: string): Promise<void> {
  expect(await seriousViolations(watched.page), `axe on the ${name} view`).toEqual([]);
  await screenshot(watched.page, name);
  expect(watched.problems, `problems on the ${name} view`).toEqual([]);
}

export async function openConsole(name: string): Promise<ConsoleSession> {
  const t = await startTestService(name);
  const browser = await launchBrowser();
  const watched = await watchedPage(browser);
  // The key as sign-in keeps it, before the console's own script runs.
  await watched.page.addInitScript((key) => {
    if (location.protocol.startsWith('http')) sessionStorage.setItem('jobs.console.key', key);
  }, t.adminKey);
  return {
    t,
    browser,
    watched,
    page: watched.page,
    open: async (path) => {
      // A change of the hash alone would not load the page again.
      await watched.page.goto('about:blank');
      await watched.page.goto(`${t.service.url}/console/#${path}`);
    },
    stop: async () => {
      await browser.close();
      await t.stop();
    },
  };
}
