// The reliability KPIs' drill-downs in Chromium on the demo organisation: each incident KPI
// lists the records its value is computed from, with the column that makes it (the recurrence
// and the earlier incident, the page's off-hours flag in the owner's zone, the time to acknowledge);
// escaped defects lists its bugs with their weights; PR cycle time its merged pull requests,
// build success rate its default-branch runs.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExplainResponse } from '../../web/src/api-types.js';
import { formatValue } from '../../web/src/format.js';
import { chromiumPath, launchBrowser, ready, screenshot, startDemoServer, type DemoServer } from './support.js';

const describeE2e = chromiumPath ? describe : describe.skip;

describeE2e('reliability drill-downs on the demo organisation', () => {
  let server: DemoServer;
  let browser: Browser;
  let page: Page;
  const query = '?scope=org&period=quarter&at=2026-10-01';
  const api = async (key: string): Promise<ExplainResponse> => {
    const res = await server.h.app.inject({ url: `/api/v1/kpis/${key}/explain${query}&limit=50` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ExplainResponse;
  };
  const text = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();

  beforeAll(async () => {
    server = await startDemoServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (error) => {
      throw error;
    });
  });
  afterEach(async () => page?.close());

  it.each([
    ['incident_recurrence_rate', 'is_recurrence', 'Recurrence'],
    ['on_call_pages', 'off_hours', 'Hours'],
    ['time_to_acknowledge', null, 'Time to acknowledge'],
    ['incident_count', null, 'Severity'],
    ['escaped_defects', null, 'Weight'],
    ['pr_cycle_time', null, 'Cycle time'],
    ['build_success_rate', null, 'Outcome'],
  ] as const)('%s: the value, its records and their flags are the API\'s', async (key, flag, column) => {
    const explain = await api(key);
    expect(explain.total).toBeGreaterThan(0);
    await page.goto(`${server.url}/explain/${key}${query}`);
    await ready(page);
    await screenshot(page, `explain-${key}`);
    expect(await text(page, 'explain-value')).toContain(formatValue(explain.value, explain.unit));
    expect(Number((await text(page, 'explain-total')).replace(/[^\d]/g, ''))).toBe(explain.total);
    const headers = await page.locator('table.records th').allTextContents();
    expect(headers).toContain(column);
    const rows = page.getByTestId('record');
    expect(await rows.count()).toBe(explain.records.length);
    if (flag) {
      // Flagged records (a recurrence, an off-hours page) are highlighted, and only they.
      const flagged = await rows.evaluateAll((list) => list.map((row) => row.classList.contains('is-flagged')));
      expect(flagged).toEqual(explain.records.map((record) => record[flag] === true));
    }
  });
});
