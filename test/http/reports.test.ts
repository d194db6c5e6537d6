// The monthly report API on the demo organisation's data: the report agrees with the scorecard
// for the month, the month before and the month a quarter earlier; red items are the red cells;
// sentences only show numbers the report holds; a snapshot freezes what was sent; re-issues
// are versioned; errors write nothing.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import type { NormalizedRecord } from '../../connectors/contract.js';
import { demoConfigFile } from '../../server/config.js';
import { generateDemoData } from '../../server/demo/generate.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import type { MonthlyReport } from '../../server/reports/monthly-report.js';
import { formatValue } from '../../server/kpi/format.js';
import { KPI_KEYS } from '../../server/kpi/keys.js';
import { snapshotClosedMonth } from '../../server/reports/snapshots.js';
import type { MonthlyReport as DashboardMonthlyReport, ReportListResponse as DashboardReportList } from '../../web/src/api-types.js';
import type { ReportListResponse } from '../../server/reports/snapshots.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

// The demo organisation: America/New_York, product ⊃ {payments, checkout, growth}, platform ⊃ {infrastructure, developer-experience}.
const orgYaml = readFileSync(demoConfigFile(), 'utf8');
const now = new Date('2026-11-20T17:00:00Z'); // October is over; November runs.

let h: Harness;
type Entry = { key: string; value: number | null; n: number; status: string; status_reason: string | null; target: number; band: string | null; band_year: number | null; confidence: string };

const get = async (url: string) => {
  const res = await h.app.inject({ url });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
};
const scorecard = async (at: string, scope = '') => (await get(`/api/v1/scorecard?period=month&at=${at}${scope}`)).kpis as Entry[];
const byKey = <T extends { key: string }>(list: T[]) => Object.fromEntries(list.map((x) => [x.key, x])) as Record<string, T>;
const reissue = (month: string, payload: unknown) => h.app.inject({ method: 'POST', url: `/api/v1/reports/monthly/${month}/reissue`, payload: payload as object });

beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
  const data = generateDemoData(h.config.org, { now, weeks: 30 });
  const records: NormalizedRecord[] = [
    ...data.commits.map((record) => ({ kind: 'commit' as const, record })),
    ...data.pullRequests.map((record) => ({ kind: 'pull_request' as const, record })),
    ...data.deployments.map((record) => ({ kind: 'deployment' as const, record })),
    ...data.incidents.map((record) => ({ kind: 'incident' as const, record })),
  ];
  await ingestRecords(h.db, h.config.org, records);
  await h.compute({ all: true });
});
afterAll(async () => h?.close());

describe('the JSON contract', () => {
  it('is the dashboard\'s MonthlyReport and ReportListResponse (web/src/api-types.ts)', () => {
    expectTypeOf<MonthlyReport>().toExtend<DashboardMonthlyReport>();
    expectTypeOf<ReportListResponse>().toExtend<DashboardReportList>();
  });
});

describe('GET /api/v1/reports/monthly/:month (live, provisional)', () => {
  let report: MonthlyReport;
  beforeAll(async () => {
    report = await get('/api/v1/reports/monthly/2026-10');
  });

  it('is provisional and unversioned until the month is issued', () => {
    expect(report).toMatchObject({
      month: '2026-10', organisation: 'Acme Commerce (demo)', time_zone: 'America/New_York', band_year: 2023, demo: false,
      period: { type: 'month', start: '2026-10-01', end: '2026-11-01', label: '2026-10', partial: false },
      status: 'provisional', version: null, issued_at: null, versions: [], generated_at: now.toISOString(),
    });
    expect(report.kpis.map((k) => k.key)).toEqual([...KPI_KEYS]);
  });

  it("shows the month's scorecard values, and compares them with the scorecards of the month before and a quarter before", async () => {
    const [october, september, july] = await Promise.all([scorecard('2026-10-01'), scorecard('2026-09-15'), scorecard('2026-07-31')]);
    const before = byKey(september);
    const quarterAgo = byKey(july);
    for (const [i, kpi] of report.kpis.entries()) {
      const card = october[i]!;
      expect(kpi).toMatchObject({
        key: card.key, value: card.value, n: card.n, target: card.target, status: card.status, status_reason: card.status_reason,
        band: card.band, band_year: card.band_year, confidence: card.confidence,
      });
      for (const [comparison, other, start] of [[kpi.previous_month, before[kpi.key]!, '2026-09-01'], [kpi.quarter_ago, quarterAgo[kpi.key]!, '2026-07-01']] as const) {
        expect(comparison).toMatchObject({ value: other.value, n: other.n, status: other.status, confidence: other.confidence, period: { start } });
        if (kpi.value === null || other.value === null) {
          expect(comparison).toMatchObject({ delta: null, delta_pct: null, trend: null });
        } else {
          expect(comparison.delta).toBeCloseTo(kpi.value - other.value, 9);
          if (other.value !== 0) expect(comparison.delta_pct).toBeCloseTo(((kpi.value - other.value) / Math.abs(other.value)) * 100, 9);
          const better = kpi.direction === 'higher_is_better' ? kpi.value > other.value : kpi.value < other.value;
          expect(comparison.trend).toBe(kpi.value === other.value ? 'flat' : better ? 'improving' : 'worsening');
        }
      }
    }
    // The demo data covers every month compared here: a comparison with real numbers, not only nulls.
    expect(report.kpis.filter((k) => k.previous_month.delta !== null && k.quarter_ago.delta !== null).length).toBeGreaterThanOrEqual(4);
  });

  it('charts the last six months, each point the value the scorecard gives that month', async () => {
    const series = await get('/api/v1/series?period=month&at=2026-10-01&periods=6');
    for (const kpi of report.kpis) {
      expect(kpi.trend.map((p) => p.label)).toEqual(['2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10']);
      const points = series.kpis.find((k: { key: string }) => k.key === kpi.key).points as Entry[];
      expect(kpi.trend.map((p) => [p.value, p.n])).toEqual(points.map((p) => [p.value, p.n]));
    }
  });

  it("lists as red items exactly the month's red team and service cells, with their owner team", async () => {
    const red = await get('/api/v1/scorecard/red?period=month&at=2026-10-01');
    expect(red.items.length).toBeGreaterThan(0);
    expect(report.red_items).toEqual(red.items.map((item: { scope: unknown; owner_team: unknown; kpi: Entry; newly_red: boolean }) => ({
      scope: item.scope, owner_team: item.owner_team, key: item.kpi.key, name: expect.any(String), value: item.kpi.value, unit: expect.any(String),
      target: item.kpi.target, n: item.kpi.n, newly_red: item.newly_red,
    })));
    for (const item of report.red_items) {
      const cell = byKey(await scorecard('2026-10-01', `&scope=${item.scope.type}&id=${item.scope.id}`))[item.key]!;
      expect(cell.status).toBe('red');
      if (item.scope.type === 'team') expect(item.owner_team?.id).toBe(item.scope.id);
    }
    // notifications moved from growth to checkout on 2026-09-28: October's owner is checkout.
    const notifications = report.red_items.find((i) => i.scope.id === 'notifications');
    if (notifications) expect(notifications.owner_team).toEqual({ id: 'checkout', name: 'Checkout' });
  });

  it('writes sentences whose numbers are the report\'s own, and names a top-level team only with its real values', async () => {
    expect(report.narrative.length).toBeGreaterThanOrEqual(report.kpis.length);
    const kpis = byKey(report.kpis);
    const teamCards = { product: byKey(await scorecard('2026-10-01', '&scope=team&id=product')), platform: byKey(await scorecard('2026-10-01', '&scope=team&id=platform')) };
    const teamNames: Record<string, keyof typeof teamCards> = { 'Product Engineering': 'product', 'Platform Engineering': 'platform' };
    for (const sentence of report.narrative) {
      const kpi = kpis[sentence.kpi]!;
      const tokens = (text: string) => text.match(/\d+(?:\.\d+)?/g) ?? [];
      const allowed = new Set(Object.values(sentence.numbers).flatMap((v) => tokens(String(v))));
      // The KPI's own name may hold digits ("sev1–2"): they are no numbers of the report.
      for (const token of tokens(sentence.text.replaceAll(kpi.name, ''))) expect(allowed, sentence.text).toContain(token);
      for (const value of Object.values(sentence.numbers)) expect(sentence.text).toContain(String(value));
      if (sentence.numbers.value !== undefined) expect(sentence.numbers.value).toBe(formatValue(kpi.value!, kpi.unit));
      if (sentence.numbers.previous !== undefined) expect(sentence.numbers.previous).toBe(formatValue(kpi.previous_month.value!, kpi.unit));
      if (sentence.numbers.n !== undefined) expect(sentence.numbers.n).toBe(kpi.n);
      if (sentence.numbers.team !== undefined) {
        const team = teamCards[teamNames[String(sentence.numbers.team)]!][sentence.kpi]!;
        expect(sentence.numbers.team_value).toBe(formatValue(team.value!, kpi.unit));
        expect(sentence.numbers.team_n).toBe(team.n);
      }
    }
    expect(report.narrative.some((s) => s.kind === 'change')).toBe(true);
  });

  it('shows a month without data as no data: null values, grey, never 0', async () => {
    const empty: MonthlyReport = await get('/api/v1/reports/monthly/2026-01');
    for (const kpi of empty.kpis) {
      expect(kpi).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data', previous_month: { value: null, delta: null } });
      expect(kpi.trend.every((p) => p.value === null)).toBe(true);
    }
    expect(empty.red_items).toEqual([]);
    expect(empty.narrative.map((s) => s.kind)).toEqual(empty.kpis.map(() => 'no_data'));
  });

  it('shows the running month as partial and provisional', async () => {
    const current: MonthlyReport = await get('/api/v1/reports/monthly/2026-11');
    expect(current).toMatchObject({ status: 'provisional', version: null, period: { start: '2026-11-01', partial: true } });
  });
});

describe('snapshots and re-issues', () => {
  let issued: MonthlyReport;
  let deploymentsBefore: number;

  it('freezes the report when the month is snapshotted: later data and recomputes do not change it', async () => {
    const live: MonthlyReport = await get('/api/v1/reports/monthly/2026-10');
    const snapshot = await snapshotClosedMonth(h.db, h.config.org, now);
    expect(snapshot).toMatchObject({ month: '2026-10', status: 'final', version: 1, issued_at: now.toISOString(), versions: [{ version: 1, issued_at: now.toISOString(), reason: 'month closed' }] });
    issued = await get('/api/v1/reports/monthly/2026-10');
    expect(issued).toEqual({ ...live, status: 'final', version: 1, issued_at: now.toISOString(), versions: snapshot!.versions });
    deploymentsBefore = byKey(issued.kpis).deployment_frequency!.n;

    // Twelve late deployment records for October arrive and are computed.
    const late = Array.from({ length: 12 }, (_, i) => ({
      source: 'late-ci', external_id: `late-${i}`, service: 'payments-api', environment: 'production', status: 'success',
      finished_at: new Date(Date.UTC(2026, 9, 5 + i, 15)).toISOString(),
    }));
    expect((await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: late })).statusCode).toBe(200);
    await h.compute();
    expect(byKey(await scorecard('2026-10-01')).deployment_frequency!.n).toBe(deploymentsBefore + 12);

    expect(await get('/api/v1/reports/monthly/2026-10')).toEqual(issued);
    // The scheduler's hook does not snapshot again.
    expect(await snapshotClosedMonth(h.db, h.config.org, now)).toBeNull();
  });

  it('re-issues explicitly as version 2 with the new values; version 1 stays readable', async () => {
    const res = await reissue('2026-10', { reason: 'late CI records for payments-api' });
    expect(res.statusCode, res.body).toBe(201);
    const second: MonthlyReport = res.json();
    expect(second).toMatchObject({ status: 'final', version: 2, issued_at: now.toISOString() });
    expect(second.versions.map((v) => [v.version, v.reason])).toEqual([[1, 'month closed'], [2, 'late CI records for payments-api']]);
    expect(byKey(second.kpis).deployment_frequency!.n).toBe(deploymentsBefore + 12);
    expect(second.kpis.map((k) => k.value)).toEqual((await scorecard('2026-10-01')).map((k) => k.value));

    expect(await get('/api/v1/reports/monthly/2026-10')).toEqual(second);
    const first: MonthlyReport = await get('/api/v1/reports/monthly/2026-10?version=1');
    expect(first).toEqual({ ...issued, versions: second.versions });
    expect(byKey(first.kpis).deployment_frequency!.n).toBe(deploymentsBefore);
  });

  it('lists the issued months and their versions', async () => {
    expect(await get('/api/v1/reports/monthly')).toEqual({
      months: [{ month: '2026-10', versions: [
        { version: 1, issued_at: now.toISOString(), reason: 'month closed' },
        { version: 2, issued_at: now.toISOString(), reason: 'late CI records for payments-api' },
      ] }],
    });
  });

  it('issues a finished month without a snapshot as version 1 of it', async () => {
    const res = await reissue('2026-09', { reason: 'issued by hand' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ month: '2026-09', version: 1, versions: [{ version: 1, reason: 'issued by hand' }] });
    expect((await get('/api/v1/reports/monthly')).months.map((m: { month: string }) => m.month)).toEqual(['2026-10', '2026-09']);
  });
});

describe('errors write nothing', () => {
  it('refuses to issue a month that is not over (409 month_not_over)', async () => {
    const counts = await tableCounts(h.db);
    for (const month of ['2026-11', '2027-01']) {
      const res = await reissue(month, { reason: 'too early' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('month_not_over');
    }
    expect(await tableCounts(h.db)).toEqual(counts);
  });

  it('answers 404 for a month that has not started and for an unknown version', async () => {
    for (const url of ['/api/v1/reports/monthly/2026-12', '/api/v1/reports/monthly/2026-10?version=3', '/api/v1/reports/monthly/2026-08?version=1']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
  });

  it('answers 400 for a bad month and a missing or empty reason', async () => {
    const counts = await tableCounts(h.db);
    for (const url of ['/api/v1/reports/monthly/2026-13', '/api/v1/reports/monthly/2026-1', '/api/v1/reports/monthly/october', '/api/v1/reports/monthly/2026-10.csv', '/api/v1/reports/monthly/2026-10?version=0']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error.code).toBe('invalid_input');
    }
    for (const payload of [{ reason: '' }, { reason: '   ' }, {}, { reason: 'x'.repeat(501) }, { reason: 'ok', extra: 1 }]) {
      const res = await reissue('2026-10', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.code).toBe('invalid_input');
    }
    expect((await reissue('2026-00', { reason: 'bad month' })).statusCode).toBe(400);
    expect(await tableCounts(h.db)).toEqual(counts);
  });
});

describe('authentication', () => {
  it('requires the bearer token on every report route when one is configured', async () => {
    const secured = await createHarness({ orgYaml: 'teams: [{ id: eng }]\nservices: [{ id: api, owner: eng }]\n', now, apiToken: 's3cret' });
    try {
      for (const [method, url] of [['GET', '/api/v1/reports/monthly'], ['GET', '/api/v1/reports/monthly/2026-10'], ['POST', '/api/v1/reports/monthly/2026-10/reissue']] as const) {
        const res = await secured.app.inject({ method, url, ...(method === 'POST' ? { payload: { reason: 'x' } } : {}) });
        expect(res.statusCode, url).toBe(401);
      }
      const ok = await secured.app.inject({ url: '/api/v1/reports/monthly/2026-10', headers: { authorization: 'Bearer s3cret' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ status: 'provisional', month: '2026-10' });
      expect(await tableCounts(secured.db)).toMatchObject({ report_snapshots: 0 });
    } finally {
      await secured.close();
    }
  });
});
