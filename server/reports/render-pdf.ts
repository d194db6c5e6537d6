// The monthly report as a PDF: the dashboard's own report page, printed by headless
// Chromium. The browser talks to no network at all: every request it makes is answered
// in-process through fastify's inject, so the PDF shows exactly what the page shows, needs
// no listening port, and the API token (if any) never reaches the page.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { AppError } from '../lib/errors.js';

/** The flags this project runs Chromium with (DEVELOPERS.md): no sandbox as root, no background traffic. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// A host name that cannot resolve: nothing the page asks for can leave the process.
const ORIGIN = 'http://bellwether.internal';
const READY_TIMEOUT_MS = 30_000;

export interface PdfOptions {
  month: string;
  version?: number;
  paper?: 'A4' | 'Letter';
  chromiumPath: string;
  apiToken?: string;
}

export class PdfUnavailable extends AppError {
  constructor(message: string) {
    super('pdf_unavailable', 503, message);
  }
}

// One render at a time: each one is a Chromium process (~150 MB); requests queue instead.
let queue: Promise<unknown> = Promise.resolve();

export function renderReportPdf(app: FastifyInstance, options: PdfOptions): Promise<Buffer> {
  const run = queue.then(() => render(app, options));
  queue = run.catch(() => undefined);
  return run;
}

async function launch(chromiumPath: string): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new PdfUnavailable(`Chromium is not installed at ${chromiumPath} (install Debian's chromium or set BELLWETHER_CHROMIUM_PATH)`);
  }
  try {
    // playwright gives every launch a fresh temporary profile (user-data-dir).
    return await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
  } catch (error) {
    throw new PdfUnavailable(`Chromium at ${chromiumPath} did not start: ${(error as Error).message.split('\n')[0]}`);
  }
}

async function render(app: FastifyInstance, options: PdfOptions): Promise<Buffer> {
  const browser = await launch(options.chromiumPath);
  try {
    const page = await browser.newPage();
    await page.route('**/*', async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (url.origin !== ORIGIN) return route.abort('blockedbyclient');
      const body = request.postDataBuffer();
      const response = await app.inject({
        method: request.method() as 'GET',
        url: url.pathname + url.search,
        headers: {
          ...(await request.allHeaders()),
          'accept-encoding': 'identity',
          ...(options.apiToken ? { authorization: `Bearer ${options.apiToken}` } : {}),
        },
        ...(body ? { payload: body } : {}),
      });
      const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
      return route.fulfill({ status: response.statusCode, headers, body: response.rawPayload });
    });
    const query = new URLSearchParams({ print: '1', ...(options.version ? { version: String(options.version) } : {}) });
    const response = await page.goto(`${ORIGIN}/reports/${options.month}?${query}`);
    if (!response?.ok()) {
      const status = response?.status() ?? 0;
      throw new PdfUnavailable(`the report page answered ${status}${status === 503 ? ': the dashboard is not built (npm run build)' : ''}`);
    }
    // The dashboard sets data-ready once a view has rendered its data (or its error).
    await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: READY_TIMEOUT_MS });
    const failed = await page.evaluate(() => document.body.dataset.error ?? null);
    if (failed) throw new AppError('report_render_failed', 500, `the report page failed to render: ${failed}`);
    return await page.pdf({ format: options.paper ?? 'A4', printBackground: true, preferCSSPageSize: true });
  } finally {
    await browser.close();
  }
}
