// The dashboard's first screen in bytes (issue #7: ≤ 150 KB compressed): `/` in a fresh
// headless Chromium against the running service, every request of the page (html, js, css,
// fonts, API JSON) counted as Chromium's network layer saw it, until the scorecard is drawn.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../server/reports/render-pdf.js';

export interface FirstScreenRequest {
  url: string;
  status: number;
  /** Content-Encoding of the response (null: sent as is). */
  encoding: string | null;
  /** Response headers plus the body as sent (DevTools' "transferred"). */
  bytes_on_wire: number;
  /** The body as sent, compressed when the server compressed it (what Vite's gzip sizes estimate). */
  bytes_compressed: number;
  /** The body after decoding (DevTools' "resources"). */
  bytes_uncompressed: number;
}

export interface FirstScreen {
  url: string;
  bytes_on_wire: number;
  /** The issue's "first screen ≤ 150 KB compressed" is this sum. */
  bytes_compressed: number;
  bytes_uncompressed: number;
  requests: FirstScreenRequest[];
}

export type FirstScreenResult = { result: FirstScreen; reason?: undefined } | { result: null; reason: string };

const READY_TIMEOUT_MS = 60_000;
/** After the scorecard is drawn, late requests (fonts, the header's org fetch) get this long to start. */
const QUIET_MS = 500;

/** Builds the dashboard from the current sources into a fresh folder, as the e2e tier does (test/e2e/setup.ts). */
export async function buildDashboard(): Promise<{ dir: string; remove(): void }> {
  const { build } = await import('vite');
  const dir = mkdtempSync(join(tmpdir(), 'bellwether-bench-web-'));
  await build({
    configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)),
    build: { outDir: dir, emptyOutDir: true },
    logLevel: 'warn',
  });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Loads `/` (with `?at=` when given: generated data lies in the past, and today's scorecard
 * would be empty) and sums what every request of the first screen cost. The service must
 * serve a built dashboard (startService's webDir).
 */
export async function measureFirstScreen(
  baseUrl: string,
  chromiumPath = process.env.BELLWETHER_CHROMIUM_PATH || '/usr/bin/chromium',
  options: { at?: string } = {},
): Promise<FirstScreenResult> {
  if (!existsSync(chromiumPath)) return { result: null, reason: `no Chromium at ${chromiumPath} (apt-get install chromium, or set BELLWETHER_CHROMIUM_PATH)` };
  const url = `${baseUrl}/${options.at ? `?at=${encodeURIComponent(options.at)}` : ''}`;
  // playwright gives every launch a fresh temporary user-data-dir: an empty cache, as a first visit has.
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    const seen = new Map<string, { url: string; status: number; encoding: string | null; headers: number; decoded: number; wire: number | null; failed?: string }>();
    cdp.on('Network.requestWillBeSent', (event) => {
      if (!event.request.url.startsWith('data:')) seen.set(event.requestId, { url: event.request.url, status: 0, encoding: null, headers: 0, decoded: 0, wire: null });
    });
    cdp.on('Network.responseReceived', (event) => {
      const request = seen.get(event.requestId);
      if (!request) return;
      request.status = event.response.status;
      const headers = Object.fromEntries(Object.entries(event.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
      request.encoding = headers['content-encoding'] ?? null;
      // Received so far, when the headers are in: the status line and headers.
      request.headers = event.response.encodedDataLength;
    });
    cdp.on('Network.dataReceived', (event) => {
      const request = seen.get(event.requestId);
      if (request) request.decoded += event.dataLength;
    });
    cdp.on('Network.loadingFinished', (event) => {
      const request = seen.get(event.requestId);
      if (request) request.wire = event.encodedDataLength;
    });
    cdp.on('Network.loadingFailed', (event) => {
      const request = seen.get(event.requestId);
      if (request) request.failed = event.errorText;
    });
    await cdp.send('Network.enable');

    const response = await page.goto(url, { waitUntil: 'load', timeout: READY_TIMEOUT_MS });
    if (response?.status() !== 200) throw new Error(`GET ${url} answered ${response?.status()}: is the dashboard built (startService webDir)?`);
    // The router sets data-ready once the view is committed and its charts are drawn.
    await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: READY_TIMEOUT_MS });
    const problem = await page.evaluate(() => document.querySelector('.empty--error, dialog.token-dialog[open]')?.textContent ?? null);
    if (problem) throw new Error(`${url} rendered an error instead of the scorecard: ${problem.trim().slice(0, 200)}`);
    if (!(await page.locator('.card-grid').count())) throw new Error(`${url} rendered no KPI cards (no data in that week?)`);
    await page.waitForLoadState('networkidle', { timeout: READY_TIMEOUT_MS });
    await page.waitForTimeout(QUIET_MS);

    const requests = [...seen.values()].map((request): FirstScreenRequest => {
      if (request.failed) throw new Error(`${request.url} failed: ${request.failed}`);
      if (request.wire === null) throw new Error(`${request.url} had not finished loading`);
      return {
        url: request.url.replace(baseUrl, ''), status: request.status, encoding: request.encoding,
        bytes_on_wire: request.wire, bytes_compressed: request.wire - request.headers, bytes_uncompressed: request.decoded,
      };
    });
    const total = (key: 'bytes_on_wire' | 'bytes_compressed' | 'bytes_uncompressed') => requests.reduce((sum, r) => sum + r[key], 0);
    return {
      result: { url, bytes_on_wire: total('bytes_on_wire'), bytes_compressed: total('bytes_compressed'), bytes_uncompressed: total('bytes_uncompressed'), requests },
    };
  } finally {
    await browser.close();
  }
}
