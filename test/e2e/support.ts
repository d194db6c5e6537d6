// What every end-to-end test needs: the demo organisation seeded at a fixed instant, served
// by the real app on a loopback port, and a headless Chromium with the project's flags.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { demoConfigFile } from '../../server/config.js';
import { seedDemo } from '../../server/demo/seed.js';
import { fixedClock } from '../../server/lib/clock.js';
import { CHROMIUM_ARGS } from '../../server/reports/render-pdf.js';
import { createHarness, type Harness } from '../harness.js';

/** A Friday: W47 is the current, partial week; October 2026 is a closed month. */
export const NOW = new Date('2026-11-20T12:00:00Z');

export const chromiumPath = inject('chromiumPath');
export const ARTIFACTS = join(import.meta.dirname, '..', 'artifacts');

export interface DemoServer {
  h: Harness;
  url: string;
  close(): Promise<void>;
}

export async function startDemoServer(options: { apiToken?: string; weeks?: number } = {}): Promise<DemoServer> {
  const h = await createHarness({
    orgYaml: readFileSync(demoConfigFile(), 'utf8'),
    now: NOW,
    webDir: inject('webDir'),
    chromiumPath: chromiumPath ?? undefined,
    ...(options.apiToken ? { apiToken: options.apiToken } : {}),
  });
  await seedDemo(h.db, { ...h.config, orgSource: 'demo' }, fixedClock(NOW), { weeks: options.weeks ?? 26 });
  const url = await h.app.listen({ port: 0, host: '127.0.0.1' });
  return { h, url, close: () => h.close() };
}

export async function launchBrowser(): Promise<Browser> {
  if (!chromiumPath) throw new Error('no Chromium');
  // playwright gives each launch a fresh temporary user-data-dir.
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
}

/** Waits until the dashboard has rendered the current view (it sets data-ready). */
export async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000 });
}

/** Saves a screenshot under test/artifacts/screenshots (kept by CI, looked at by people). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = join(ARTIFACTS, 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * The enclosing describe's demo server and browser (started once), and a fresh 1280×800 page
 * per test on which an uncaught page error fails the test; read them as `demo.server` and
 * `demo.page` inside the tests.
 */
export function useDemoPages(pageOptions: BrowserContextOptions = {}): { readonly server: DemoServer; readonly page: Page } {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  beforeAll(async () => {
    server = await startDemoServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, ...pageOptions });
    page.on('pageerror', (error) => {
      throw error;
    });
  });
  afterEach(async () => page?.close());
  return {
    get server() {
      return server;
    },
    get page() {
      return page;
    },
  };
}
