/*
 * GOLDEN BUGS: escaped defects (bugs found in production, severity-weighted, anchored on
 * created_at) on a small bug set. Every expected value is worked out by hand below from
 * docs/kpis.md, never by the code under test. Times are UTC (Z) unless marked local.
 *
 * Weights: sev1 10, sev2 5, sev3 3, sev4 1, sev5 1. Default target 5 (lower is better),
 * minimum sample 1. RAG: green ≤ 5; amber misses by < 1 (20 % of 5); red otherwise; n = 0 is
 * no data (null, grey), never 0.
 *
 * Organisation (time zone Europe/Berlin): team product with sub-team checkout {shop}; team
 * platform {infra}; service search owned by platform, then by product from 2026-10-22 local
 * (21 Oct 22:00Z). Berlin: CEST (UTC+2) until 25 Oct 01:00Z, CET (UTC+1) after.
 *   W42 12 Oct … 18 Oct 22:00Z.  W43 18 Oct 22:00Z … 25 Oct 23:00Z.  W44 25 Oct 23:00Z … 1 Nov 23:00Z.
 *   W45: no bug.  October 30 Sep 22:00Z … 31 Oct 23:00Z.  November from 31 Oct 23:00Z.
 *
 * id    svc     sev       prod  created (Z)       local (Berlin)          period    weight  counts for
 * B-1   shop    sev1      yes   19 Oct 09:00      Mon 11:00               W43 Oct   10      checkout, product
 * B-2   shop    sev3      yes   20 Oct 10:00      Tue 12:00 (open)        W43 Oct    3      checkout, product
 * B-3   shop    P2→sev2   NO    20 Oct 11:00                              –          –      (caught before release)
 * B-4   search  sev2      yes   21 Oct 21:59      Wed 23:59               W43 Oct    5      platform (owner until 22:00Z)
 * B-5   search  sev4      yes   21 Oct 22:00      Thu 00:00               W43 Oct    1      product (owner from 22:00Z)
 * B-6   infra   5→sev5    yes   18 Oct 21:59      Sun 23:59 CEST          W42 Oct    1      platform
 * B-7   infra   sev3      yes   25 Oct 22:30      Sun 23:30 CET           W43 Oct    3      platform
 * B-8   infra   sev1      yes   25 Oct 23:00      Mon 00:00 CET           W44 Oct   10      platform
 * B-9   shop    sev2      yes   31 Oct 22:59      Sat 23:59               W44 Oct    5      checkout, product
 * B-10  shop    sev3      yes   31 Oct 23:00      Sun 1 Nov 00:00         W44 Nov    3      checkout, product
 * B-11  search  sev5      NO    27 Oct 09:00                              –          –      (caught before release)
 * B-12  shop    P4→sev4   yes   28 Oct 12:00      Wed 13:00               W44 Oct    1      checkout, product
 *
 * EXPECTED (a)
 * W42 org   B-6 → 1, n 1, green.
 * W43 org   B-1 10 + B-2 3 + B-4 5 + B-5 1 + B-7 3 = 22, n 5; sev1 1, sev2 1, sev3 2, sev4 1, sev5 0; red.
 *   checkout  B-1 B-2 = 13, n 2, red.   product (union with its sub-team; search from Thu) B-1 B-2 B-5 = 14, n 3.
 *   platform  B-4 B-7 = 8, n 2, red (misses 5 by 3 ≥ 1).   search B-4 B-5 = 6, n 2.   infra B-7 = 3, n 1, green.
 * W44 org   B-8 10 + B-9 5 + B-10 3 + B-12 1 = 19, n 4; sev1 1, sev2 1, sev3 1, sev4 1, sev5 0; red.
 *   checkout B-9 B-10 B-12 = 9, n 3.   product = checkout's 9 (B-11 is not production), n 3.   platform B-8 = 10, n 1.
 *   search: only B-11, not found in production → no data (null, n 0), never 0.
 * W45 org: no bug → no data.
 * October org  B-1 B-2 B-4 B-5 B-6 B-7 B-8 B-9 B-12 = 10+3+5+1+1+3+10+5+1 = 39, n 9; sev1 2, sev2 2, sev3 2, sev4 2, sev5 1.
 * November org B-10 = 3, n 1.   Q4 org 39 + 3 = 42, n 10.
 *
 * (b) Changes arrive: B-2 is re-rated sev1 (3 → 10); B-4 was not found in production after all;
 *  B-6's creation date is corrected to 19 Oct 10:00Z (W43); B-12 moves from shop to infra.
 *  W42 org: no data (B-6 left it).  W43 org: B-1 10 + B-2 10 + B-5 1 + B-6 1 + B-7 3 = 25, n 5.
 *  W43 platform: B-6 1 + B-7 3 = 4, n 2, green.  W43 checkout: 10 + 10 = 20, n 2.  W43 search: B-5 1, n 1.
 *  W44 checkout: B-9 B-10 = 8, n 2.  W44 platform: B-8 B-12 = 11, n 2.  W44 org unchanged 19, n 4.
 *  October org: 39 − 5 (B-4) + 7 (B-2) = 41, n 8.  Dirty compute = full recompute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BugRecord } from '../../connectors/contract.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import { createHarness, kpiValues, normalized, type Harness } from '../harness.js';
import { entry as cellEntry, explain as explainCell, type Expected, type PeriodType, type Scope } from './cells.js';

const orgYaml = `
organisation:
  name: Golden Bugs
  time_zone: Europe/Berlin
teams:
  - { id: product, name: Product }
  - { id: checkout, name: Checkout, parent: product }
  - { id: platform, name: Platform }
services:
  - { id: shop, owner: checkout, repositories: [acme/shop] }
  - id: search
    owners:
      - team: platform
      - team: product
        from: 2026-10-22
  - { id: infra, owner: platform }
`;
const now = new Date('2026-12-02T12:00:00Z');
const W42 = '2026-10-14';
const W43 = '2026-10-21';
const W44 = '2026-10-28';
const W45 = '2026-11-04';
const OCTOBER = '2026-10-15';
const NOVEMBER = '2026-11-15';
const Q4 = '2026-11-01';

const bug = (externalId: string, service: string, severity: string, foundInProduction: boolean, createdAt: string, extra: Partial<BugRecord> = {}): BugRecord => ({
  source: 'github', external_id: externalId, service, title: `Bug ${externalId}`, severity, created_at: createdAt,
  found_in_production: foundInProduction, url: `https://github.com/acme/${service}/issues/${externalId.slice(2)}`, labels: ['bug'], ...extra,
});

const B_2 = (severity: string) => bug('B-2', 'shop', severity, true, '2026-10-20T10:00:00Z');
const B_4 = (foundInProduction: boolean) => bug('B-4', 'search', 'sev2', foundInProduction, '2026-10-21T21:59:00Z');
const B_6 = (createdAt: string) => bug('B-6', 'infra', '5', true, createdAt);
const B_12 = (service: string) => bug('B-12', service, 'P4', true, '2026-10-28T12:00:00Z', { closed_at: '2026-10-29T08:00:00Z' });

const bugs: BugRecord[] = [
  bug('B-1', 'shop', 'sev1', true, '2026-10-19T09:00:00Z', { closed_at: '2026-10-19T15:00:00Z', repository: 'acme/shop' }),
  B_2('sev3'),
  bug('B-3', 'shop', 'P2', false, '2026-10-20T11:00:00Z'),
  B_4(true),
  bug('B-5', 'search', 'sev4', true, '2026-10-21T22:00:00Z'),
  B_6('2026-10-18T21:59:00Z'),
  bug('B-7', 'infra', 'sev3', true, '2026-10-25T22:30:00Z'),
  bug('B-8', 'infra', 'sev1', true, '2026-10-25T23:00:00Z'),
  bug('B-9', 'shop', 'sev2', true, '2026-10-31T22:59:00Z'),
  bug('B-10', 'shop', 'sev3', true, '2026-10-31T23:00:00Z'),
  bug('B-11', 'search', 'sev5', false, '2026-10-27T09:00:00Z'),
  B_12('shop'),
];

let h: Harness;

async function ingest(records: BugRecord[]): Promise<void> {
  await ingestRecords(h.db, h.config.org, normalized(h, records.map((value) => ({ kind: 'bug' as const, value: { ...value } }))));
}

const entry = (scope: Scope, id: string, period: PeriodType, at: string) => cellEntry(h, 'escaped_defects', scope, id, period, at);
const explain = (scope: Scope, id: string, period: PeriodType, at: string) => explainCell(h, 'escaped_defects', scope, id, period, at);

/** The stored value (scorecard) and the explained one (computed from the listed bugs) both match. */
async function check(scope: Scope, id: string, period: PeriodType, at: string, expected: Expected): Promise<void> {
  const got = await entry(scope, id, period, at);
  const context = `${scope}:${id} ${period} ${at}: got ${JSON.stringify(got)}`;
  expect(got.value, context).toBe(expected.value);
  expect(got.n, context).toBe(expected.n);
  if (expected.status) expect(got.status, context).toBe(expected.status);
  for (const [key, value] of Object.entries(expected.details ?? {})) expect(got.details[key], `${context} details.${key}`).toEqual(value);
  const explained = await explain(scope, id, period, at);
  expect(explained.total, context).toBe(expected.n);
  expect(explained.value, context).toBe(expected.value);
  expect(explained.records.reduce((sum, r) => sum + (r.weight as number), 0), context).toBe(expected.value ?? 0);
}

const ids = (records: Record<string, unknown>[]) => records.map((r) => r.external_id);

beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
});
afterAll(async () => h?.close());

describe('golden bugs: escaped defects', () => {
  it('(a) ingests the set and computes it', async () => {
    await ingest(bugs);
    expect((await h.compute()).mode).toBe('all');
    expect((await kpiValues(h.db)).some((v) => v.kpi_key === 'escaped_defects')).toBe(true);
  });

  const cells: [Scope, string, PeriodType, string, Expected][] = [
    ['org', '', 'week', W42, { value: 1, n: 1, status: 'green', details: { bugs: 1, by_severity: { sev1: 0, sev2: 0, sev3: 0, sev4: 0, sev5: 1 } } }],
    ['org', '', 'week', W43, { value: 22, n: 5, status: 'red', details: { bugs: 5, by_severity: { sev1: 1, sev2: 1, sev3: 2, sev4: 1, sev5: 0 } } }],
    ['team', 'checkout', 'week', W43, { value: 13, n: 2, status: 'red' }],
    ['team', 'product', 'week', W43, { value: 14, n: 3, details: { by_severity: { sev1: 1, sev2: 0, sev3: 1, sev4: 1, sev5: 0 } } }],
    ['team', 'platform', 'week', W43, { value: 8, n: 2, status: 'red' }],
    ['service', 'search', 'week', W43, { value: 6, n: 2 }],
    ['service', 'infra', 'week', W43, { value: 3, n: 1, status: 'green' }],
    ['org', '', 'week', W44, { value: 19, n: 4, status: 'red', details: { by_severity: { sev1: 1, sev2: 1, sev3: 1, sev4: 1, sev5: 0 } } }],
    ['team', 'checkout', 'week', W44, { value: 9, n: 3 }],
    ['team', 'product', 'week', W44, { value: 9, n: 3 }],
    ['team', 'platform', 'week', W44, { value: 10, n: 1 }],
    ['service', 'search', 'week', W44, { value: null, n: 0, status: 'grey' }],
    ['org', '', 'month', OCTOBER, { value: 39, n: 9, details: { by_severity: { sev1: 2, sev2: 2, sev3: 2, sev4: 2, sev5: 1 } } }],
    ['org', '', 'month', NOVEMBER, { value: 3, n: 1, status: 'green' }],
    ['org', '', 'quarter', Q4, { value: 42, n: 10 }],
  ];

  it.each(cells.map(([scope, id, period, at, expected]) => ({ name: `${scope}${id ? `:${id}` : ''} ${period} ${at}`, scope, id, period, at, expected })))(
    '$name',
    async ({ scope, id, period, at, expected }) => check(scope, id, period, at, expected),
  );

  it('no data is null and grey, never 0: W45 has no bug, and a service with only bugs caught before release has none', async () => {
    expect(await entry('org', '', 'week', W45)).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data' });
    expect(await entry('service', 'search', 'week', W44)).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data' });
    expect(await explain('org', '', 'week', W45)).toMatchObject({ value: null, n: 0, total: 0, records: [] });
  });

  it('explains a value: the production bugs of the cell with their weights, heaviest first, then newest', async () => {
    const { records, total } = await explain('org', '', 'week', W43);
    expect(total).toBe(5);
    expect(ids(records)).toEqual(['B-1', 'B-4', 'B-7', 'B-2', 'B-5']);
    expect(records.map((r) => [r.severity, r.weight])).toEqual([['sev1', 10], ['sev2', 5], ['sev3', 3], ['sev3', 3], ['sev4', 1]]);
    expect(records[0]).toMatchObject({
      source: 'github', external_id: 'B-1', service_id: 'shop', repository: 'acme/shop', title: 'Bug B-1',
      url: 'https://github.com/acme/shop/issues/1', labels: ['bug'],
    });
    expect(new Date(records[0]!.created_at as string).toISOString()).toBe('2026-10-19T09:00:00.000Z');
    expect(new Date(records[0]!.closed_at as string).toISOString()).toBe('2026-10-19T15:00:00.000Z');
    expect(records.find((r) => r.external_id === 'B-2')!.closed_at).toBeNull();
    // Bugs caught before release are never listed.
    expect(ids((await explain('team', 'checkout', 'week', W43)).records)).toEqual(['B-1', 'B-2']);
    // Ownership at creation: search's B-4 (before the change) is platform's, B-5 (at it) product's.
    expect(ids((await explain('team', 'platform', 'week', W43)).records)).toEqual(['B-4', 'B-7']);
    expect(ids((await explain('team', 'product', 'week', W43)).records)).toEqual(['B-1', 'B-2', 'B-5']);
  });

  it('counts a bug in the period of its local creation time: the week and month boundaries', async () => {
    expect(ids((await explain('org', '', 'week', W42)).records)).toEqual(['B-6']); // Sun 23:59 CEST
    expect(ids((await explain('service', 'infra', 'week', W43)).records)).toEqual(['B-7']); // Sun 23:30 CET
    expect(ids((await explain('service', 'infra', 'week', W44)).records)).toEqual(['B-8']); // Mon 00:00 CET
    expect(ids((await explain('org', '', 'month', NOVEMBER)).records)).toEqual(['B-10']); // 1 Nov 00:00 CET
    expect(ids((await explain('org', '', 'month', OCTOBER)).records)).toContain('B-9'); // 31 Oct 23:59 CET
  });

  it('(b) a re-rated, re-flagged, re-dated and moved bug updates the cells of its old and new version; dirty compute = full recompute', async () => {
    await ingest([B_2('sev1'), B_4(false), B_6('2026-10-19T10:00:00Z'), B_12('infra')]);
    expect((await h.compute()).mode).toBe('dirty');
    const incremental = await kpiValues(h.db);
    await check('org', '', 'week', W42, { value: null, n: 0, status: 'grey' });
    await check('org', '', 'week', W43, { value: 25, n: 5, details: { by_severity: { sev1: 2, sev2: 0, sev3: 1, sev4: 1, sev5: 1 } } });
    await check('team', 'platform', 'week', W43, { value: 4, n: 2, status: 'green' });
    await check('team', 'checkout', 'week', W43, { value: 20, n: 2 });
    await check('service', 'search', 'week', W43, { value: 1, n: 1 });
    await check('team', 'checkout', 'week', W44, { value: 8, n: 2 });
    await check('team', 'platform', 'week', W44, { value: 11, n: 2 });
    await check('org', '', 'week', W44, { value: 19, n: 4 });
    await check('org', '', 'month', OCTOBER, { value: 41, n: 8 });
    await h.compute({ all: true });
    expect(await kpiValues(h.db)).toEqual(incremental);
  });
});
