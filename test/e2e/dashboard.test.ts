// The dashboard in Chromium on the demo organisation: each page shows exactly what the API
// says, the VP → director → records path works by clicking, state lives in the URL (back
// works), the monthly report prints to a PDF holding the same numbers, and the first screen
// stays within its byte budget.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ExplainResponse, MonthlyReport, OrgResponse, RedItemsResponse, ScorecardResponse } from '../../web/src/api-types.js';
import { formatValue } from '../../web/src/format.js';
import { ARTIFACTS, chromiumPath, launchBrowser, ready, screenshot, startDemoServer, useDemoPages } from './support.js';

const describeE2e = chromiumPath ? describe : describe.skip;
const FIRST_SCREEN_BUDGET = 150 * 1024;

describeE2e('the dashboard on the demo organisation', () => {
  const demo = useDemoPages({ acceptDownloads: true });
  const api = async <T>(path: string): Promise<T> => {
    const res = await demo.server.h.app.inject({ url: path });
    expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
    return res.json() as T;
  };
  const open = async (path: string) => {
    await demo.page.goto(demo.server.url + path);
    await ready(demo.page);
  };
  const text = async (selector: ReturnType<Page['getByTestId']>) => ((await selector.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  const digits = (s: string) => Number(s.replace(/[^\d]/g, ''));


  /** Every KPI card on the scorecard page shows the API's value, n and status. */
  async function expectScorecardMatches(card: ScorecardResponse) {
    const withData = card.kpis.filter((k) => k.n > 0);
    expect(withData.length).toBeGreaterThan(0);
    for (const kpi of withData) {
      const el = demo.page.getByTestId(`kpi-${kpi.key}`);
      expect(await text(el.getByTestId('value')), kpi.key).toBe(formatValue(kpi.value, kpi.unit));
      expect(digits(await text(el.getByTestId('n'))), kpi.key).toBe(kpi.n);
      expect(await el.getAttribute('data-status'), kpi.key).toBe(kpi.status);
      expect(await text(el.getByTestId('status'))).not.toBe('');
    }
  }

  it('scorecard: every KPI with the API value, n and status, and what went red', async () => {
    await open('/');
    await screenshot(demo.page, 'scorecard-week');
    const card = await api<ScorecardResponse>('/api/v1/scorecard');
    await expectScorecardMatches(card);
    const red = await api<RedItemsResponse>('/api/v1/scorecard/red');
    const shown = await demo.page.getByTestId('red-item').evaluateAll((items) => items.map((i) => `${i.getAttribute('data-scope-id')}|${i.getAttribute('data-kpi')}`));
    expect(shown.sort()).toEqual(red.items.map((i) => `${i.scope.id}|${i.kpi.key}`).sort());
  });

  it('period picker: month view matches the API, the URL holds the state and back returns to the week', async () => {
    await open('/');
    const week = new URL(demo.page.url());
    await demo.page.getByRole('link', { name: /^month$/i }).or(demo.page.getByRole('button', { name: /^month$/i })).first().click();
    await ready(demo.page);
    expect(new URL(demo.page.url()).searchParams.get('period')).toBe('month');
    await expectScorecardMatches(await api<ScorecardResponse>('/api/v1/scorecard?period=month'));
    await screenshot(demo.page, 'scorecard-month');
    await demo.page.goBack();
    await ready(demo.page);
    expect(new URL(demo.page.url()).search).toBe(week.search);
    await expectScorecardMatches(await api<ScorecardResponse>('/api/v1/scorecard'));
  });

  it('click-through: scorecard → team → explain, each page agreeing with the API', async () => {
    const org = await api<OrgResponse>('/api/v1/org');
    await open('/');
    await demo.page.locator('a[href^="/teams/"]').first().click();
    await ready(demo.page);
    const teamId = new URL(demo.page.url()).pathname.split('/')[2]!;
    const team = org.teams.find((t) => t.id === teamId)!;
    expect(team).toBeDefined();
    await screenshot(demo.page, 'team');
    for (const key of ['deployment_frequency', 'lead_time_for_changes']) await expect(demo.page.getByTestId(`chart-${key}`).count()).resolves.toBe(1);
    const servicesTable = await text(demo.page.getByTestId('services-table'));
    for (const id of team.services) expect(servicesTable).toContain(org.services.find((s) => s.id === id)!.name);

    await demo.page.locator('a[href^="/explain/lead_time_for_changes"]').first().click();
    await ready(demo.page);
    const url = new URL(demo.page.url());
    expect(url.searchParams.get('scope')).toBe('team');
    expect(url.searchParams.get('id')).toBe(teamId);
    await screenshot(demo.page, 'explain');
    const explain = await api<ExplainResponse>(`/api/v1/kpis/lead_time_for_changes/explain${url.search}`);
    expect(await text(demo.page.getByTestId('explain-value'))).toContain(formatValue(explain.value, explain.unit));
    expect(digits(await text(demo.page.getByTestId('explain-total')))).toBe(explain.total);
    const rows = await demo.page.getByTestId('record').count();
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThanOrEqual(explain.total);

    const download = demo.page.waitForEvent('download');
    await demo.page.getByTestId('export-csv').click();
    const csv = parseCsv(readFileSync(await (await download).path(), 'utf8'), { columns: true }) as unknown[];
    expect(csv).toHaveLength(explain.total);

    await demo.page.goBack();
    await ready(demo.page);
    expect(new URL(demo.page.url()).pathname).toBe(`/teams/${teamId}`);
  });

  it('keyboard: Tab reaches a KPI value and Enter opens the records behind it', async () => {
    await open('/');
    let href = '';
    for (let i = 0; i < 40 && !href.startsWith('/explain/'); i++) {
      await demo.page.keyboard.press('Tab');
      href = await demo.page.evaluate(() => document.activeElement?.getAttribute('href') ?? '');
    }
    expect(href).toMatch(/^\/explain\//);
    await demo.page.keyboard.press('Enter');
    await ready(demo.page);
    expect(new URL(demo.page.url()).pathname).toBe(href.split('?')[0]);
  });

  it("director: a team's lead time over six months, and a click on one week lists the changes behind it", async () => {
    await open('/teams/payments?range=26');
    const chart = demo.page.getByTestId('chart-lead_time_for_changes');
    const series = await api<{ periods: { start: string }[]; kpis: { key: string; points: { n: number; value: number | null }[] }[] }>(
      '/api/v1/series?scope=team&id=payments&period=week&periods=26',
    );
    expect(series.periods).toHaveLength(26);
    // The numbers behind the chart are in its table: one row per week, newest first.
    const rows = await chart.locator('details tbody tr').count();
    expect(rows).toBe(26);
    await chart.locator('canvas').click({ position: { x: 200, y: 60 } });
    // Chart.js handles canvas events on its next animation frame: until it navigates, the team page still reads as ready.
    await demo.page.waitForURL((target) => target.pathname !== '/teams/payments');
    await ready(demo.page);
    const url = new URL(demo.page.url());
    expect(url.pathname).toBe('/explain/lead_time_for_changes');
    expect(url.searchParams.get('id')).toBe('payments');
    const explain = await api<ExplainResponse>(`/api/v1/kpis/lead_time_for_changes/explain${url.search}`);
    expect(explain.total).toBeGreaterThan(0);
    expect(digits(await text(demo.page.getByTestId('explain-total')))).toBe(explain.total);
    // Each change names the deployment that shipped it.
    const first = await text(demo.page.getByTestId('record').first());
    expect(first).toContain(String(explain.records[0]!.deployment_external_id));
  });

  it('monthly report: the KPI table and narrative are the API report, and the PDF holds the same numbers', async () => {
    await open('/reports/2026-10');
    await screenshot(demo.page, 'report-2026-10');
    const report = await api<MonthlyReport>('/api/v1/reports/monthly/2026-10');
    for (const kpi of report.kpis) {
      const row = demo.page.getByTestId(`report-kpi-${kpi.key}`);
      expect(await text(row.getByTestId('value')), kpi.key).toBe(formatValue(kpi.value, kpi.unit));
    }
    const sentences = await demo.page.getByTestId('sentence').allTextContents();
    expect(sentences.map((s) => s.replace(/\s+/g, ' ').trim())).toEqual(report.narrative.map((s) => s.text));

    const res = await fetch(`${demo.server.url}/api/v1/reports/monthly/2026-10.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const pdf = Buffer.from(await res.arrayBuffer());
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'report-2026-10.pdf');
    writeFileSync(file, pdf);
    const pdfText = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    const pages = execFileSync('pdfinfo', [file], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)?.[1];
    expect(pages).toBe('1');
    for (const kpi of report.kpis) if (kpi.value !== null) expect(pdfText, kpi.key).toContain(formatValue(kpi.value, kpi.unit));
    expect(pdfText).toContain(report.organisation);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Page size:\s+[\d.]+ x [\d.]+ pts \(A4\)/);

    // US Letter, still one demo.page.
    const letter = await fetch(`${demo.server.url}/api/v1/reports/monthly/2026-10.pdf?paper=Letter`);
    const letterFile = join(ARTIFACTS, 'report-2026-10-letter.pdf');
    writeFileSync(letterFile, Buffer.from(await letter.arrayBuffer()));
    const letterInfo = execFileSync('pdfinfo', [letterFile], { encoding: 'utf8' });
    expect(letterInfo).toMatch(/Pages:\s+1\n/);
    expect(letterInfo).toMatch(/Page size:\s+[\d.]+ x [\d.]+ pts \(letter\)/);
  });

  it('first screen (HTML, JS, CSS and the JSON it reads) stays within 150 KB compressed', async () => {
    const bodies: { url: string; bytes: number; gzip: number }[] = [];
    demo.page.on('response', async (response) => {
      if (!response.url().startsWith(demo.server.url)) return;
      const body = await response.body().catch(() => null);
      if (body) bodies.push({ url: response.url().slice(demo.server.url.length), bytes: body.length, gzip: gzipSync(body, { level: 9 }).length });
    });
    await open('/');
    await demo.page.waitForLoadState('networkidle');
    const total = bodies.reduce((sum, b) => sum + b.gzip, 0);
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'first-screen.json'), JSON.stringify({ total_gzip_bytes: total, files: bodies }, null, 2));
    console.log(`first screen: ${bodies.length} responses, ${(total / 1024).toFixed(1)} KB gzip\n${bodies.map((b) => `  ${b.url} ${(b.gzip / 1024).toFixed(1)} KB`).join('\n')}`);
    expect(bodies.some((b) => b.url.endsWith('.js'))).toBe(true);
    expect(bodies.some((b) => b.url.startsWith('/api/v1/scorecard'))).toBe(true);
    expect(total).toBeLessThanOrEqual(FIRST_SCREEN_BUDGET);
  });
});

describeE2e('the dashboard behind an API token', () => {
  it('asks for the token, then shows the scorecard; the PDF needs it too', async () => {
    // Eight weeks of data are enough here: October and W47 both have data.
    const server = await startDemoServer({ apiToken: 'e2e-s3cret', weeks: 8 });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/`);
      const input = page.locator('input[type="password"]');
      await input.waitFor();
      await input.fill('e2e-s3cret');
      await input.press('Enter');
      await ready(page);
      await expect(page.getByTestId('kpi-deployment_frequency').count()).resolves.toBe(1);
      expect((await fetch(`${server.url}/api/v1/reports/monthly/2026-10.pdf`)).status).toBe(401);
      const pdf = await fetch(`${server.url}/api/v1/reports/monthly/2026-10.pdf`, { headers: { authorization: 'Bearer e2e-s3cret' } });
      expect(pdf.status).toBe(200);
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
