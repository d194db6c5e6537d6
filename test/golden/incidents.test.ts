/*
 * GOLDEN INCIDENTS: the reliability KPIs (time to restore overall and sev1–2, time to
 * acknowledge, recurrence, on-call load, incident count) on a small incident set. Every
 * expected value is worked out by hand below from docs/kpis.md, never by the code under test.
 * Times are UTC (Z) unless marked local.
 *
 * Organisation (time zone Europe/Berlin): team ops {api, edge} (no zone of its own: Berlin),
 * team apac {db} with time_zone Asia/Tokyo (UTC+9, no DST; set in bellwether.yaml). No parent team.
 * Berlin: CEST (UTC+2) until Sun 25 Oct 2026 01:00Z, CET (UTC+1) after.
 *   W43 18 Oct 22:00Z … 25 Oct 23:00Z = 169 h.  W44 25 Oct 23:00Z … 1 Nov 23:00Z = 168 h.  W45: no record.
 *   October 30 Sep 22:00Z … 31 Oct 23:00Z = 745 h.  now = 2 Dec 2026 12:00Z: all complete.
 * Default targets (no overrides): TTR 60 min, TTR sev1–2 60 min, MTTA 5 min, recurrence 10 %,
 * on-call 2 pages/week, incidents 5. Minimum samples 5, 5, 5, 10, 1, 1. RAG: green meets; amber
 * misses by < 20 % of the target; red otherwise; grey below the minimum sample.
 * Recurrence window 90 days of 24 h (then 120, test e). Fingerprint: root-cause key, else
 * source + dedup key, else service + title lower-cased, digit runs → '#', spaces collapsed.
 *
 * ext id   svc   sev   urgency created (Z)        local (owner's zone)       ack (Z)      resolved (Z)   other
 * OLD-1    db    sev4  –       1 Jul 00:00         –                          –            1 Jul 02:00    "Disk full on replica 3"
 * OLD-2    edge  sev3  –       10 Aug 10:00        –                          10:10        11:00          root rc-cache
 * INC-1    api   sev2  –       19 Oct 06:59        Mon 08:59 Berlin  OFF      07:04 (5)    07:49 (50)     root rc-cache
 * INC-2    api   sev3  high    19 Oct 07:00        Mon 09:00 Berlin  on       07:10 (10)   08:00 (60)     root rc-search
 * INC-3    db    sev1  –       20 Oct 00:30        Tue 09:30 Tokyo   on       00:32 (2)    01:10 (40)     "DB latency 500ms"  (Berlin 02:30 would be off)
 * INC-4    db    sev2  –       21 Oct 12:00        Wed 21:00 Tokyo   OFF      12:20 (20)   12:45 (45)     "db  latency 730ms" (Berlin 14:00 would be on)
 * INC-5    edge  sev3  low     22 Oct 10:00        not a page                 10:30 (30)   11:10 (70)     dedup edge-cert "Certificate expiring"
 * INC-6    edge  sev4  low     23 Oct 08:00        not a page                 –            09:25 (85)     dedup edge-cert "Cert renewal failed"
 * INC-7    db    sev4  –       24 Oct 03:00        not a page                 03:15 (15)   04:40 (100)    "Disk full on replica 7"
 * INC-8    edge  sev2  –       24 Oct 10:00        Sat 12:00 Berlin  OFF      10:03 (3)    10:33 (33)     weekend
 * INC-9    api   sev1  –       25 Oct 00:30        Sun 02:30 CEST    OFF      00:31 (1)    02:30 (120)    DST: wall clock 02:30 CEST → 03:30 CET
 *                                                                                                          reads 60 min; real elapsed time is 120
 * INC-10   edge  sev2  –       25 Oct 22:00 (W43)  Sun 23:00 CET     OFF      23:20 (80)   26 Oct 00:30 (150)  ack and resolution Mon 00:20 / 01:30 CET: W44
 * INC-11   api   sev2  low     27 Oct 09:00        Tue 10:00 CET     on       09:05 (5)    09:30, reopened (null), finally 11:00 (120)
 * INC-12   db    sev3  –       29 Oct 02:00        not a page                 10 Nov 08:00 still open    acknowledged 12 days 6 h later (W46),
 *                                                                                                          which arrives with INC-11's reopening
 * INC-13   edge  sev5  –       29 Oct 12:00        not a page                 –            12:30 (30)     "Health check flapping"
 * INC-14   edge  sev5  –       29 Oct 12:00        not a page                 –            12:30 (30)     same title, same instant
 * NEW-1    edge  sev3  –       1 Oct 08:00         not a page                 08:20 (20)   09:00 (60)     root rc-search (arrives last, test d)
 *
 * Recurrence (90 days back from created = 2160 h):
 *  INC-1 ← OLD-2 by root key rc-cache (70 days, another service: a root key is org-wide) — YES
 *  INC-4 ← INC-3 by title "db latency #ms" — YES.  INC-6 ← INC-5 by dedup key pagerduty:edge-cert (titles differ) — YES
 *  INC-7 vs OLD-1 "disk full on replica #": 115 days 3 h back — NO at 90 days (YES at 120, test e)
 *  INC-13/INC-14: same fingerprint and created_at; the one with the higher id recurs the other — exactly one YES
 *  INC-2 (rc-search): none earlier — NO, until NEW-1 (1 Oct, 18 days before) arrives — YES (test d)
 *  all others: no earlier incident of their fingerprint.
 *
 * EXPECTED (before NEW-1; INC-11 resolved at 11:00)
 * W43
 *  TTR     resolved in W43: 33 (8) 40 (3) 45 (4) 50 (1) 60 (2) 70 (5) 85 (6) 100 (7) 120 (9) → org median 60, n 9,
 *          p90 pos 7.2 → 100 + .2·20 = 104; 60 ≤ 60 green. INC-10 (resolved Monday) is not in it.
 *          ops: 33 50 60 70 85 120 → 65 (p90 pos 4.5 → 102.5).  apac: 40 45 100 → 45.
 *  TTR sev1–2  33 (8) 40 (3) 45 (4) 50 (1) 120 (9) → 45, n 5, p90 pos 3.6 → 50 + .6·70 = 92; green. Same as TTR's details sev1_2.
 *          ops 33 50 120 → 50 (n 3, grey).  apac 40 45 → 42.5 (n 2).
 *  MTTA    acknowledged in W43: 1 2 3 5 10 15 20 30 → (5 + 10)/2 = 7.5, n 8; p90 pos 6.3 → 20 + .3·10 = 23;
 *          misses 5 by 2.5 ≥ 1 → red. INC-10's ack is Monday (W44). ops 1 3 5 10 30 → 5, n 5 → green.
 *  Recurrence  created in W43: INC-1…INC-10 = 10, recurrent INC-1, INC-4, INC-6 = 3 → 30 %, n 10 → red.
 *          ops (INC-1 2 5 6 8 9 10) 2/7 = 28.571429 %.  apac (INC-3 4 7) 1/3 = 33.333333 %.  edge 1/4 = 25 %.
 *  On-call pages INC-1 2 3 4 8 9 10 = 7, off-hours INC-1 (08:59) 4 (Tokyo 21:00) 8 (Saturday) 9 10 (night) = 5;
 *          7 · 168/169 = 6.958580 pages/week; off_hours_share 5/7 = 71.428571 %; teams 2; red.
 *          ops 5 pages → 4.970414, off 4 → 80 %.  apac INC-3 (on) 4 (off) → 2 · 168/169 = 1.988166, 50 %; ≤ 2 green.
 *          api INC-1 (off) 2 (on) 9 (off) → 2.982249, 66.666667 %.
 *  Incidents 10 (INC-10 counts here, where it was created): sev1 2 (3, 9), sev2 4 (1, 4, 8, 10), sev3 2 (2, 5),
 *          sev4 2 (6, 7), sev5 0; red.
 * W44
 *  TTR     30 (13) 30 (14) 120 (11) 150 (10) → 75, n 4, grey; p90 pos 2.7 → 141. INC-12 is open: not in it.
 *          (With INC-11 reopened, test b: 30 30 150 → 30, n 3.)
 *  TTR sev1–2  120 (11) 150 (10) → 135, n 2.   MTTA  5 (11) 80 (10) → 42.5, n 2.
 *  Recurrence  INC-11 12 13 14: 1/4 = 25 %, grey.   On-call INC-11 (sev2 though low urgency; on hours) → 1 page/week, 0 %, green.
 *  Incidents 4 (with the open INC-12): sev2 1, sev3 1, sev5 2; green.   apac on-call: INC-12 is no page → null, n 0.
 * W45: no incident → every incident KPI null, n 0, grey (never 0).
 * W46 / November: only INC-12's acknowledgement: MTTA 294 h = 17640 min, n 1 (its creation counts in W44).
 * October (745 h)
 *  TTR     30 30 33 40 45 50 60 70 85 100 120 120 150 → 60, n 13; p90 pos 10.8 → 120.
 *  TTR sev1–2  33 40 45 50 120 120 150 → 50, n 7; p90 pos 5.4 → 132.
 *  MTTA    1 2 3 5 5 10 15 20 30 80 → 7.5, n 10; p90 pos 8.1 → 35.
 *  Recurrence  4/14 = 28.571429 %.  On-call 8 pages · 168/745 = 1.804027, off 5/8 = 62.5 %.
 *  Incidents 14: sev1 2, sev2 5, sev3 3, sev4 2, sev5 2.
 *
 * (d) NEW-1 arrives (edge, 1 Oct): INC-2 (api, W43) becomes a recurrence although NEW-1 touches
 *  only edge's W40 and October: W43 org 4/10 = 40 %, ops 3/7 = 42.857143 %, api 2/3 = 66.666667 %;
 *  October recurrence 5/15 = 33.333333 %, incidents 15, MTTA 1 2 3 5 5 10 15 20 20 30 80 → 10,
 *  TTR 30 30 33 40 45 50 60 60 70 85 100 120 120 150 → 60. Dirty compute = full recompute.
 * (e) recurrence window 90 → 120: INC-7 recurs OLD-1: W43 org 5/10 = 50 %, apac 2/3 = 66.666667 %;
 *  October 6/15 = 40 %.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentRecord } from '../../connectors/contract.js';
import { parseOrgConfig } from '../../server/config.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import { computeKpis } from '../../server/kpi/engine.js';
import { loadExplain } from '../../server/kpi/explain.js';
import { kpiDefinition } from '../../server/kpi/registry.js';
import { syncOrg } from '../../server/org/sync-org.js';
import { createHarness, kpiValues, normalized, type Harness } from '../harness.js';
import { entry as cellEntry, explain as explainCell, scorecard, type Entry, type Expected, type Scope } from './cells.js';

const orgYaml = (windowDays: number) => `
organisation:
  name: Golden Incidents
  time_zone: Europe/Berlin
incidents:
  recurrence_window_days: ${windowDays}
teams:
  - { id: ops, name: Operations }
  - { id: apac, name: APAC, time_zone: Asia/Tokyo }
services:
  - { id: api, owner: ops }
  - { id: edge, owner: ops }
  - { id: db, owner: apac }
`;
const now = new Date('2026-12-02T12:00:00Z');
const W43 = '2026-10-21';
const W44 = '2026-10-28';
const W45 = '2026-11-04';
const OCTOBER = '2026-10-15';

const incident = (
  externalId: string, service: string, severity: string, title: string, createdAt: string, acknowledgedAt: string | null, resolvedAt: string | null,
  extra: Partial<IncidentRecord> = {},
): IncidentRecord => ({
  source: 'pagerduty', external_id: externalId, service, severity, title, created_at: createdAt, acknowledged_at: acknowledgedAt, resolved_at: resolvedAt, ...extra,
});

const INC_11 = (resolvedAt: string | null) =>
  incident('INC-11', 'api', 'sev2', 'Login failures', '2026-10-27T09:00:00Z', '2026-10-27T09:05:00Z', resolvedAt, { urgency: 'low' });

const INC_12 = (acknowledgedAt: string | null) => incident('INC-12', 'db', 'sev3', 'Backup job stuck', '2026-10-29T02:00:00Z', acknowledgedAt, null);

const incidents: IncidentRecord[] = [
  incident('OLD-1', 'db', 'sev4', 'Disk full on replica 3', '2026-07-01T00:00:00Z', null, '2026-07-01T02:00:00Z'),
  incident('OLD-2', 'edge', 'sev3', 'Cache stampede', '2026-08-10T10:00:00Z', '2026-08-10T10:10:00Z', '2026-08-10T11:00:00Z', { root_cause_key: 'rc-cache' }),
  incident('INC-1', 'api', 'sev2', 'API 5xx spike', '2026-10-19T06:59:00Z', '2026-10-19T07:04:00Z', '2026-10-19T07:49:00Z', { root_cause_key: 'rc-cache' }),
  incident('INC-2', 'api', 'sev3', 'Slow search', '2026-10-19T07:00:00Z', '2026-10-19T07:10:00Z', '2026-10-19T08:00:00Z', { urgency: 'high', root_cause_key: 'rc-search' }),
  incident('INC-3', 'db', 'sev1', 'DB latency 500ms', '2026-10-20T00:30:00Z', '2026-10-20T00:32:00Z', '2026-10-20T01:10:00Z'),
  incident('INC-4', 'db', 'P2', 'db  latency 730ms', '2026-10-21T12:00:00Z', '2026-10-21T12:20:00Z', '2026-10-21T12:45:00Z'),
  incident('INC-5', 'edge', 'sev3', 'Certificate expiring', '2026-10-22T10:00:00Z', '2026-10-22T10:30:00Z', '2026-10-22T11:10:00Z', { urgency: 'low', dedup_key: 'edge-cert' }),
  incident('INC-6', 'edge', 'sev4', 'Cert renewal failed', '2026-10-23T08:00:00Z', null, '2026-10-23T09:25:00Z', { urgency: 'low', dedup_key: 'edge-cert' }),
  incident('INC-7', 'db', 'sev4', 'Disk full on replica 7', '2026-10-24T03:00:00Z', '2026-10-24T03:15:00Z', '2026-10-24T04:40:00Z'),
  incident('INC-8', 'edge', 'sev2', 'TLS handshake errors', '2026-10-24T10:00:00Z', '2026-10-24T10:03:00Z', '2026-10-24T10:33:00Z'),
  incident('INC-9', 'api', 'sev1', 'Payment outage', '2026-10-25T00:30:00Z', '2026-10-25T00:31:00Z', '2026-10-25T02:30:00Z'),
  incident('INC-10', 'edge', 'sev2', 'Edge 502s', '2026-10-25T22:00:00Z', '2026-10-25T23:20:00Z', '2026-10-26T00:30:00Z'),
  INC_11('2026-10-27T09:30:00Z'),
  INC_12(null),
  incident('INC-13', 'edge', 'sev5', 'Health check flapping', '2026-10-29T12:00:00Z', null, '2026-10-29T12:30:00Z'),
  incident('INC-14', 'edge', 'sev5', 'Health check flapping', '2026-10-29T12:00:00Z', null, '2026-10-29T12:30:00Z'),
];
const NEW_1 = incident('NEW-1', 'edge', 'sev3', 'Search index stale', '2026-10-01T08:00:00Z', '2026-10-01T08:20:00Z', '2026-10-01T09:00:00Z', { root_cause_key: 'rc-search' });

let h: Harness;

async function ingest(records: IncidentRecord[]): Promise<void> {
  await ingestRecords(h.db, h.config.org, normalized(h, records.map((value) => ({ kind: 'incident' as const, value: { ...value } }))));
}

const entry = (key: string, scope: Scope, id: string, period: 'week' | 'month', at: string) => cellEntry(h, key, scope, id, period, at);

function check(got: Entry, expected: Expected, where: string): void {
  const context = `${where}: got ${JSON.stringify(got)}`;
  if (expected.value === null) expect(got.value, context).toBeNull();
  else expect(got.value!, context).toBeCloseTo(expected.value, 6);
  expect(got.n, context).toBe(expected.n);
  if (expected.status) expect(got.status, context).toBe(expected.status);
  for (const [key, value] of Object.entries(expected.details ?? {})) {
    if (typeof value === 'number') expect(got.details[key] as number, `${context} details.${key}`).toBeCloseTo(value, 6);
    else expect(got.details[key], `${context} details.${key}`).toEqual(value);
  }
}

const explain = (key: string, scope: Scope, id: string, period: 'week' | 'month', at: string) => explainCell(h, key, scope, id, period, at);

const byExternalId = (records: Record<string, unknown>[]) => new Map(records.map((r) => [r.external_id as string, r]));

beforeAll(async () => {
  h = await createHarness({ orgYaml: orgYaml(90), now });
});
afterAll(async () => h?.close());

describe('golden incidents', () => {
  it('(a) ingests the set and computes it (the first run after the organisation sync recomputes everything)', async () => {
    await ingest(incidents);
    expect((await h.compute()).mode).toBe('all');
    expect((await kpiValues(h.db)).length).toBeGreaterThan(0);
  });

  it('(b) a reopened incident leaves time to restore until it is resolved again, then counts its final resolution; dirty compute = full recompute', async () => {
    // INC-12's late acknowledgement arrives too: only its acknowledged anchor reaches W46 and November.
    await ingest([INC_11(null), INC_12('2026-11-10T08:00:00Z')]);
    await h.compute();
    check(await entry('time_to_restore', 'org', '', 'week', W44), { value: 30, n: 3 }, 'reopened: TTR W44');
    check(await entry('time_to_restore_sev1_2', 'org', '', 'week', W44), { value: 150, n: 1 }, 'reopened: TTR sev1–2 W44');
    await ingest([INC_11('2026-10-27T11:00:00Z')]);
    expect((await h.compute()).mode).toBe('dirty');
    const incremental = await kpiValues(h.db);
    await h.compute({ all: true });
    expect(await kpiValues(h.db)).toEqual(incremental);
  });

  const cells: [string, Scope, string, 'week' | 'month', string, Expected][] = [
    // time to restore (overall) and its sev1–2 view
    ['time_to_restore', 'org', '', 'week', W43, { value: 60, n: 9, status: 'green', details: { p90: 104, sev1_2: { n: 5, p50: 45 } } }],
    ['time_to_restore', 'team', 'ops', 'week', W43, { value: 65, n: 6, details: { p90: 102.5 } }],
    ['time_to_restore', 'team', 'apac', 'week', W43, { value: 45, n: 3, status: 'grey' }],
    ['time_to_restore', 'org', '', 'week', W44, { value: 75, n: 4, status: 'grey', details: { p90: 141, sev1_2: { n: 2, p50: 135 } } }],
    ['time_to_restore', 'org', '', 'month', OCTOBER, { value: 60, n: 13, details: { p90: 120, sev1_2: { n: 7, p50: 50 } } }],
    ['time_to_restore_sev1_2', 'org', '', 'week', W43, { value: 45, n: 5, status: 'green', details: { p50: 45, p90: 92 } }],
    ['time_to_restore_sev1_2', 'team', 'ops', 'week', W43, { value: 50, n: 3, status: 'grey' }],
    ['time_to_restore_sev1_2', 'team', 'apac', 'week', W43, { value: 42.5, n: 2 }],
    ['time_to_restore_sev1_2', 'org', '', 'week', W44, { value: 135, n: 2, status: 'grey' }],
    ['time_to_restore_sev1_2', 'org', '', 'month', OCTOBER, { value: 50, n: 7, status: 'green', details: { p90: 132 } }],
    // time to acknowledge
    ['time_to_acknowledge', 'org', '', 'week', W43, { value: 7.5, n: 8, status: 'red', details: { p50: 7.5, p90: 23 } }],
    ['time_to_acknowledge', 'team', 'ops', 'week', W43, { value: 5, n: 5, status: 'green' }],
    ['time_to_acknowledge', 'team', 'apac', 'week', W43, { value: 15, n: 3, status: 'grey' }],
    ['time_to_acknowledge', 'org', '', 'week', W44, { value: 42.5, n: 2, status: 'grey' }],
    ['time_to_acknowledge', 'org', '', 'month', OCTOBER, { value: 7.5, n: 10, details: { p90: 35 } }],
    ['time_to_acknowledge', 'team', 'apac', 'month', '2026-11-15', { value: 17640, n: 1, status: 'grey' }],
    // recurrence
    ['incident_recurrence_rate', 'org', '', 'week', W43, { value: 30, n: 10, status: 'red', details: { recurrent: 3, incidents: 10 } }],
    ['incident_recurrence_rate', 'team', 'ops', 'week', W43, { value: 200 / 7, n: 7, status: 'grey' }],
    ['incident_recurrence_rate', 'team', 'apac', 'week', W43, { value: 100 / 3, n: 3 }],
    ['incident_recurrence_rate', 'service', 'edge', 'week', W43, { value: 25, n: 4 }],
    ['incident_recurrence_rate', 'org', '', 'week', W44, { value: 25, n: 4, status: 'grey', details: { recurrent: 1 } }],
    ['incident_recurrence_rate', 'org', '', 'month', OCTOBER, { value: 400 / 14, n: 14 }],
    // on-call load
    ['on_call_pages', 'org', '', 'week', W43, { value: (7 * 168) / 169, n: 7, status: 'red', details: { pages: 7, off_hours: 5, off_hours_share: 500 / 7, teams: 2, period_hours: 169 } }],
    ['on_call_pages', 'team', 'ops', 'week', W43, { value: (5 * 168) / 169, n: 5, status: 'red', details: { off_hours: 4, off_hours_share: 80, teams: 1 } }],
    ['on_call_pages', 'team', 'apac', 'week', W43, { value: (2 * 168) / 169, n: 2, status: 'green', details: { off_hours: 1, off_hours_share: 50 } }],
    ['on_call_pages', 'service', 'api', 'week', W43, { value: (3 * 168) / 169, n: 3, details: { off_hours_share: 200 / 3 } }],
    ['on_call_pages', 'org', '', 'week', W44, { value: 1, n: 1, status: 'green', details: { off_hours: 0, off_hours_share: 0 } }],
    ['on_call_pages', 'team', 'apac', 'week', W44, { value: null, n: 0, status: 'grey' }],
    ['on_call_pages', 'org', '', 'month', OCTOBER, { value: (8 * 168) / 745, n: 8, details: { off_hours_share: 62.5 } }],
    // incident count
    ['incident_count', 'org', '', 'week', W43, { value: 10, n: 10, status: 'red', details: { by_severity: { sev1: 2, sev2: 4, sev3: 2, sev4: 2, sev5: 0 } } }],
    ['incident_count', 'org', '', 'week', W44, { value: 4, n: 4, status: 'green', details: { by_severity: { sev1: 0, sev2: 1, sev3: 1, sev4: 0, sev5: 2 } } }],
    ['incident_count', 'org', '', 'month', OCTOBER, { value: 14, n: 14, details: { by_severity: { sev1: 2, sev2: 5, sev3: 3, sev4: 2, sev5: 2 } } }],
  ];

  it.each(cells.map(([key, scope, id, period, at, expected]) => ({ name: `${key} ${scope}${id ? `:${id}` : ''} ${period} ${at}`, key, scope, id, period, at, expected })))(
    '$name',
    async ({ key, scope, id, period, at, expected }) => {
      check(await entry(key, scope, id, period, at), expected, `${key} ${scope}:${id} ${period} ${at}`);
      // The explained value is computed from the listed records, and equals the stored one.
      const explained = await explain(key, scope, id, period, at);
      expect(explained.total).toBe(expected.n);
      if (expected.value === null) expect(explained.value).toBeNull();
      else expect(explained.value!).toBeCloseTo(expected.value, 6);
    },
  );

  it('no data is null and grey, never 0: W45 has no incident', async () => {
    const card = await scorecard(h, 'org', '', 'week', W45);
    for (const key of ['time_to_restore', 'time_to_restore_sev1_2', 'time_to_acknowledge', 'incident_recurrence_rate', 'on_call_pages', 'incident_count']) {
      expect(card.get(key), key).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data' });
    }
    const explained = await explain('incident_count', 'org', '', 'week', W45);
    expect(explained).toMatchObject({ value: null, n: 0, total: 0, records: [] });
  });

  it('explains recurrence: each incident with its flag and the earlier incident it recurs', async () => {
    const { records } = await explain('incident_recurrence_rate', 'org', '', 'week', W43);
    const flags = Object.fromEntries(records.map((r) => [r.external_id, r.is_recurrence]));
    expect(flags).toEqual({
      'INC-1': true, 'INC-2': false, 'INC-3': false, 'INC-4': true, 'INC-5': false,
      'INC-6': true, 'INC-7': false, 'INC-8': false, 'INC-9': false, 'INC-10': false,
    });
    const found = byExternalId(records);
    const recurs = (id: string) => found.get(id)!.recurs as Record<string, unknown> | null;
    expect(recurs('INC-1')).toMatchObject({ external_id: 'OLD-2', title: 'Cache stampede' }); // root key, across services
    expect(recurs('INC-4')).toMatchObject({ external_id: 'INC-3', title: 'DB latency 500ms' }); // normalised title
    expect(recurs('INC-6')).toMatchObject({ external_id: 'INC-5', title: 'Certificate expiring' }); // dedup key
    expect(new Date(recurs('INC-4')!.created_at as string).toISOString()).toBe('2026-10-20T00:30:00.000Z');
    expect(typeof recurs('INC-4')!.id).toBe('number');
    expect(recurs('INC-7')).toBeNull(); // OLD-1 is 115 days back
    // Recurrences first.
    expect(records.slice(0, 3).every((r) => r.is_recurrence === true)).toBe(true);

    // Two incidents of one fingerprint at the same instant: exactly one is first.
    const w44 = byExternalId((await explain('incident_recurrence_rate', 'org', '', 'week', W44)).records);
    const twins = [w44.get('INC-13')!, w44.get('INC-14')!];
    expect(twins.filter((r) => r.is_recurrence === true)).toHaveLength(1);
    const [first, second] = twins.sort((a, b) => (a.incident_id as number) - (b.incident_id as number));
    expect(first!.is_recurrence).toBe(false);
    expect((second!.recurs as Record<string, unknown>).id).toBe(first!.incident_id);
  });

  it('explains on-call load: each page with its off-hours flag in the owning team\'s zone', async () => {
    const { records, total } = await explain('on_call_pages', 'org', '', 'week', W43);
    expect(total).toBe(7);
    const off = Object.fromEntries(records.map((r) => [r.external_id, [r.off_hours, r.local_time_zone, r.local_created_at]]));
    expect(off).toEqual({
      'INC-1': [true, 'Europe/Berlin', '2026-10-19 08:59'],
      'INC-2': [false, 'Europe/Berlin', '2026-10-19 09:00'],
      'INC-3': [false, 'Asia/Tokyo', '2026-10-20 09:30'],
      'INC-4': [true, 'Asia/Tokyo', '2026-10-21 21:00'],
      'INC-8': [true, 'Europe/Berlin', '2026-10-24 12:00'],
      'INC-9': [true, 'Europe/Berlin', '2026-10-25 02:30'],
      'INC-10': [true, 'Europe/Berlin', '2026-10-25 23:00'],
    });
  });

  it('counts an incident spanning a week boundary where each KPI anchors it, and real elapsed time across DST', async () => {
    const w43Count = byExternalId((await explain('incident_count', 'org', '', 'week', W43)).records);
    const w44Restore = byExternalId((await explain('time_to_restore', 'org', '', 'week', W44)).records);
    const w44Acknowledge = byExternalId((await explain('time_to_acknowledge', 'org', '', 'week', W44)).records);
    expect(w43Count.has('INC-10')).toBe(true);
    expect(w44Restore.get('INC-10')?.duration_minutes).toBe(150);
    expect(w44Acknowledge.get('INC-10')?.acknowledge_minutes).toBe(80);
    const w43Restore = byExternalId((await explain('time_to_restore', 'org', '', 'week', W43)).records);
    expect(w43Restore.has('INC-10')).toBe(false);
    expect(w43Restore.get('INC-9')?.duration_minutes).toBe(120);
    // The still-open INC-12 is counted, but has no time to restore.
    expect(byExternalId((await explain('incident_count', 'org', '', 'week', W44)).records).has('INC-12')).toBe(true);
    expect(w44Restore.has('INC-12')).toBe(false);
    expect(w44Restore.get('INC-11')?.duration_minutes).toBe(120);
  });

  it('(d) an earlier incident arriving late makes a later one, of another service, a recurrence; dirty compute = full recompute', async () => {
    await ingest([NEW_1]);
    expect((await h.compute()).mode).toBe('dirty');
    const incremental = await kpiValues(h.db);
    check(await entry('incident_recurrence_rate', 'org', '', 'week', W43), { value: 40, n: 10, details: { recurrent: 4 } }, 'W43 org');
    check(await entry('incident_recurrence_rate', 'team', 'ops', 'week', W43), { value: 300 / 7, n: 7 }, 'W43 ops');
    check(await entry('incident_recurrence_rate', 'service', 'api', 'week', W43), { value: 200 / 3, n: 3 }, 'W43 api');
    check(await entry('incident_recurrence_rate', 'org', '', 'month', OCTOBER), { value: 100 / 3, n: 15 }, 'October');
    check(await entry('incident_count', 'org', '', 'month', OCTOBER), { value: 15, n: 15 }, 'October count');
    check(await entry('time_to_acknowledge', 'org', '', 'month', OCTOBER), { value: 10, n: 11 }, 'October MTTA');
    check(await entry('time_to_restore', 'org', '', 'month', OCTOBER), { value: 60, n: 14 }, 'October TTR');
    const w43 = byExternalId((await explain('incident_recurrence_rate', 'org', '', 'week', W43)).records);
    expect(w43.get('INC-2')!.recurs).toMatchObject({ external_id: 'NEW-1' });
    await h.compute({ all: true });
    expect(await kpiValues(h.db)).toEqual(incremental);
  });

  it('(e) a longer recurrence window, from the organisation file, recomputes every cell', async () => {
    const org = parseOrgConfig(orgYaml(120));
    await syncOrg(h.db, org);
    const result = await computeKpis(h.db, org, { now });
    expect(result.mode).toBe('all');
    const stored = async (scopeType: Scope, scopeId: string, periodType: 'week' | 'month', periodStart: string) =>
      h.db.selectFrom('kpi_values').select(['value', 'n']).where('kpi_key', '=', 'incident_recurrence_rate')
        .where('scope_type', '=', scopeType).where('scope_id', '=', scopeId).where('period_type', '=', periodType)
        .where('period_start', '=', periodStart).executeTakeFirstOrThrow();
    const w43 = await stored('org', '', 'week', '2026-10-19');
    expect(w43.n).toBe(10);
    expect(w43.value).toBeCloseTo(50, 6);
    const apac = await stored('team', 'apac', 'week', '2026-10-19');
    expect(apac.value).toBeCloseTo(200 / 3, 6);
    expect((await stored('org', '', 'month', '2026-10-01')).value).toBeCloseTo(40, 6);
    // Explain reads the window from the same configuration.
    const kpi = kpiDefinition('incident_recurrence_rate')!;
    const explained = await loadExplain(h.db, org, kpi, { type: 'org', id: '' }, 'week', W43, { limit: 100, offset: 0 });
    expect(explained.aggregate).toMatchObject({ n: 10, recurrent: 5 });
    expect(byExternalId(explained.records).get('INC-7')!.recurs).toMatchObject({ external_id: 'OLD-1' });
  });
});
