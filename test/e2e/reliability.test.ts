// The reliability KPIs' drill-downs in Chromium on the demo organisation: each incident KPI
// lists the records its value is computed from, with the column that makes it (the recurrence
// and the earlier incident, the page's off-hours flag in the owner's zone, the time to acknowledge);
// escaped defects lists its bugs with their weights; PR cycle time its merged pull requests,
// build success rate its default-branch runs.
import { describe, expect, it } from 'vitest';
import type { ExplainResponse } from '../../web/src/api-types.js';
import { formatValue } from '../../web/src/format.js';
import { chromiumPath, ready, screenshot, useDemoPages } from './support.js';

const describeE2e = chromiumPath ? describe : describe.skip;

describeE2e('reliability drill-downs on the demo organisation', () => {
  const demo = useDemoPages();
  const query = '?scope=org&period=quarter&at=2026-10-01';
  const api = async (key: string): Promise<ExplainResponse> => {
    const res = await demo.server.h.app.inject({ url: `/api/v1/kpis/${key}/explain${query}&limit=50` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as ExplainResponse;
  };
  const text = async (testId: string) => ((await demo.page.getByTestId(testId).first().textContent()) ?? '').replace(/\s+/g, ' ').trim();


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
    await demo.page.goto(`${demo.server.url}/explain/${key}${query}`);
    await ready(demo.page);
    await screenshot(demo.page, `explain-${key}`);
    expect(await text('explain-value')).toContain(formatValue(explain.value, explain.unit));
    expect(Number((await text('explain-total')).replace(/[^\d]/g, ''))).toBe(explain.total);
    const headers = await demo.page.locator('table.records th').allTextContents();
    expect(headers).toContain(column);
    const rows = demo.page.getByTestId('record');
    expect(await rows.count()).toBe(explain.records.length);
    if (flag) {
      // Flagged records (a recurrence, an off-hours demo.page) are highlighted, and only they.
      const flagged = await rows.evaluateAll((list) => list.map((row) => row.classList.contains('is-flagged')));
      expect(flagged).toEqual(explain.records.map((record) => record[flag] === true));
    }
  });
});
