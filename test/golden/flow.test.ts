/*
 * GOLDEN FLOW: PR cycle time (merged − opened, anchored on merged_at) and build success rate
 * (default-branch CI runs, success / (success + failure), anchored on finished_at) on a small
 * set of pull requests and CI runs. Every expected value is worked out by hand below from
 * docs/kpis.md, never by the code under test. Times are UTC (Z) unless marked local.
 *
 * Organisation (time zone Europe/Berlin; ci.default_branches [main, trunk]): team product with
 * sub-team checkout {shop}; team platform {infra}; service search owned by platform, then by
 * product from 2026-10-22 local (21 Oct 22:00Z). acme/shared belongs to shop AND infra: its
 * records count once for each (twice in the org and in no team twice: the teams differ).
 * Berlin: CEST (UTC+2) until 25 Oct 01:00Z, CET (UTC+1) after.
 *   W42 12 Oct … 18 Oct 22:00Z.  W43 18 Oct 22:00Z … 25 Oct 23:00Z.  W44 25 Oct 23:00Z … 1 Nov 23:00Z.
 *   W45: nothing.  October 30 Sep 22:00Z … 31 Oct 23:00Z.  November from 31 Oct 23:00Z.
 *
 * percentile_cont(f) over n sorted values: position f × (n − 1), linear between neighbours.
 *
 * ---- PR cycle time (target 24 h, lower is better, min sample 5) ----
 * PR            opened (Z)      merged (Z)                      hours  week  services
 * shop#1        19 Oct 09:00    19 Oct 13:00                     4     W43   shop
 * shop#2        18 Oct 10:00    20 Oct 10:00                    48     W43   shop
 * shop#3        20 Oct 08:00    20 Oct 09:30                     1.5   W43   shop
 * shop#4        21 Oct 00:00    22 Oct 12:00                    36     W43   shop
 * shop#5        22 Oct 06:00    (open)                           –     –     –
 * shared#1      23 Oct 10:00    23 Oct 20:00                    10     W43   shop, infra
 * search#1      21 Oct 11:59    21 Oct 21:59 (Wed 23:59 local)  10     W43   search (platform's)
 * search#2      21 Oct 20:00    21 Oct 22:00 (Thu 00:00 local)   2     W43   search (product's)
 * infra#1       18 Oct 11:59    18 Oct 21:59 (Sun 23:59 CEST)   10     W42   infra
 * infra#2       25 Oct 12:00    25 Oct 22:30 (Sun 23:30 CET)    10.5   W43   infra
 * infra#3       24 Oct 23:00    25 Oct 23:00 (Mon 00:00 CET)    24     W44   infra (October)
 * shop#6        30 Oct 22:59    31 Oct 22:59 (Sat 23:59 CET)    24     W44   shop (October)
 * shop#7        31 Oct 11:00    31 Oct 23:00 (Sun 1 Nov 00:00)  12     W44   shop (November)
 *
 * (a) W43 org: 1.5 2 4 10 10 10 10.5 36 48 → n 9, median 10, p90 pos 7.2: 36 + 0.2 × 12 = 38.4; green.
 *   checkout (= shop): 1.5 4 10 36 48 → n 5, median 10, p90 pos 3.6: 36 + 0.6 × 12 = 43.2; green.
 *   product (checkout ∪ search#2): 1.5 2 4 10 36 48 → n 6, median 7, p90 pos 4.5: 36 + 0.5 × 12 = 42.
 *   platform (infra ∪ search#1): 10 10 10.5 → n 3, median 10, low confidence (grey).
 *   infra: 10 10.5 → n 2, median 10.25, p90 10.45.
 *   W42 org: 10, n 1.  W44 org: 12 24 24 → n 3, median 24, p90 24.  W45: no data.
 *   October org: 1.5 2 4 10 10 10 10 10.5 24 24 36 48 → n 12, median 10, p90 pos 9.9: 24 + 0.9 × 12 = 34.8.
 *   November org: 12, n 1.
 * (b) shop#5 is merged 24 Oct 10:00 (52 h, W43); shop#2's merge is re-dated 27 Oct 10:00 (216 h, W44);
 *   shared#1's opened_at is corrected to 23 Oct 16:00 (4 h, both services); shop#7 is unmerged.
 *   W43 org: 1.5 2 4 4 4 10 10.5 36 52 → n 9, median 4, p90 36 + 0.2 × 16 = 39.2.
 *   checkout: 1.5 4 4 36 52 → median 4, p90 36 + 0.6 × 16 = 45.6.   infra: 4 10.5 → 7.25.
 *   W44 org: 24 24 216 → median 24, p90 pos 1.8: 24 + 0.8 × 192 = 177.6.   November org: no data.
 *   October org: 1.5 2 4 4 4 10 10 10.5 24 24 36 52 216 → n 13, median 10, p90 pos 10.8: 36 + 0.8 × 16 = 48.8.
 *
 * ---- Build success rate (target 95 %, higher is better, min sample 10; amber from 76 %) ----
 * run   repo     branch/event        status       started → finished (Z)        min   counts
 * R1    shop     main push           success      19 Oct 09:00 → 09:10          10    W43 shop
 * R2    shop     main push           success      19 Oct 12:00 → 12:05           5    W43 shop
 * R3    shop     main push           failure      20 Oct 08:00 → 08:20          20    W43 shop
 * R4    shop     main push           success      20 Oct 10:00 → 10:08           8    W43 shop
 * R5    shop     main push           success      20 Oct 14:00 → 14:12          12    W43 shop
 * R6    shop     main push           success      21 Oct 09:00 → 09:06           6    W43 shop
 * R7    shop     main push           failure      21 Oct 11:00 → 11:30          30    W43 shop
 * R8    shop     main push           success      22 Oct 09:00 → 09:09           9    W43 shop
 * R9    shop     main push           success      22 Oct 15:00 → 15:07           7    W43 shop
 * R10   shop     main (no event)     success      (no start) → 23 Oct 09:00      –    W43 shop (rate only)
 * X1    shop     main push           cancelled    23 Oct 10:00 → 10:03                excluded
 * X2    shop     main push           skipped      → 23 Oct 11:00                      excluded
 * X3    shop     feature/x push      failure      → 23 Oct 12:00                      excluded (not a default branch)
 * X4    shop     main pull_request   failure      → 23 Oct 13:00                      excluded (a pull request's run)
 * X5    shop     main push           in_progress  23 Oct 14:00 → (running)           excluded (not finished)
 * X6    shop     master push         failure      → 23 Oct 15:00                      excluded (master is not configured)
 * X7    shop     main push           neutral      → 23 Oct 16:00                      excluded
 * S1    shared   main push           success      24 Oct 10:00 → 10:15          15    W43 shop and infra
 * Q1    search   main push           success      21 Oct 21:49 → 21:59          10    W43 search (platform's)
 * Q2    search   main push           failure      21 Oct 21:45 → 22:00          15    W43 search (product's)
 * I1    infra    trunk push          success      25 Oct 22:00 → 22:30 (Sun CET) 30   W43 infra
 * I2    infra    trunk push          failure      25 Oct 22:40 → 23:00 (Mon CET) 20   W44 infra (October)
 * I3    infra    trunk push          success      18 Oct 21:49 → 21:59 (Sun CEST) 10  W42 infra
 * N0    shop     main push           failure      31 Oct 22:50 → 22:59 (Sat CET)  9   W44 shop (October)
 * N1    shop     main push           success      31 Oct 22:50 → 23:00 (Sun 1 Nov) 10 W44 shop (November)
 *
 * (a) W43 shop = checkout: R1–R10, S1 → n 11, 9 succeeded, 2 failed: 900/11 % (81.8), amber;
 *     durations 5 6 7 8 9 10 12 15 20 30 → median 9.5, p90 pos 8.1: 20 + 0.1 × 10 = 21.
 *   product: checkout ∪ Q2 → n 12, 9 of 12 = 75 %, red (misses 95 by 20 ≥ 19).
 *   platform: I1, S1, Q1 → 3 of 3 = 100 %, low confidence (grey).   infra: I1, S1 → 100 %, n 2.
 *   org: 11 + 2 + 2 = 15 rows, 12 succeeded (9 + 2 + 1), 3 failed → 80 %, amber; durations
 *     5 6 7 8 9 10 10 12 15 15 15 20 30 30 → median (10 + 12) / 2 = 11, p90 pos 11.7: 20 + 0.7 × 10 = 27.
 *   W42 org: I3 → 100 %, n 1.  W44 org: I2, N0, N1 → 1 of 3 = 100/3 %.  W45: no data.
 *   A week whose only run failed is 0 %, not no data: W44 infra (I2) → 0, n 1.
 *   October org: I3 + 15 + I2 + N0 → n 18, 13 succeeded → 1300/18 %.  November org: N1 → 100 %, n 1.
 * (b) R3's outcome is corrected to success; X5 finishes, success, 23 Oct 14:20 (20 min); I1's
 *   finish is re-dated to 25 Oct 23:10 (Mon CET: W44, 70 min).
 *   W43 shop: n 12, 11 succeeded → 1100/12 %.  infra: S1 → 100 %, n 1.  platform: S1, Q1 → n 2.
 *   W43 org: 12 + S1 + Q1 + Q2 = 15, 13 succeeded → 1300/15 %.   W44 org: I2 N0 N1 I1 → 2 of 4 = 50 %.
 *   October org: I3 + 15 + I2 + N0 + I1 = 19, succeeded 1 + 13 + 1 = 15 → 1500/19 %.
 *   Dirty compute = full recompute.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CiRunRecord, PullRequestRecord } from '../../connectors/contract.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import { createHarness, kpiValues, normalized, type Harness } from '../harness.js';
import { entry as cellEntry, explain as explainCell, type Expected, type PeriodType, type Scope } from './cells.js';

const orgYaml = `
organisation:
  name: Golden Flow
  time_zone: Europe/Berlin
ci:
  default_branches: [main, trunk]
teams:
  - { id: product, name: Product }
  - { id: checkout, name: Checkout, parent: product }
  - { id: platform, name: Platform }
services:
  - { id: shop, owner: checkout, repositories: [acme/shop, acme/shared] }
  - id: search
    repositories: [acme/search]
    owners:
      - team: platform
      - team: product
        from: 2026-10-22
  - { id: infra, owner: platform, repositories: [acme/infra, acme/shared] }
`;
const now = new Date('2026-12-02T12:00:00Z');
const W42 = '2026-10-14';
const W43 = '2026-10-21';
const W44 = '2026-10-28';
const W45 = '2026-11-04';
const OCTOBER = '2026-10-15';
const NOVEMBER = '2026-11-15';

const pr = (repository: string, number: number, openedAt: string, mergedAt: string | null): PullRequestRecord => ({
  source: 'github', repository: `acme/${repository}`, number, title: `Change ${repository}#${number}`, author: 'dev',
  opened_at: openedAt, merged_at: mergedAt, url: `https://github.com/acme/${repository}/pull/${number}`,
});
const SHOP_2 = (mergedAt: string) => pr('shop', 2, '2026-10-18T10:00:00Z', mergedAt);
const SHOP_5 = (mergedAt: string | null) => pr('shop', 5, '2026-10-22T06:00:00Z', mergedAt);
const SHARED_1 = (openedAt: string) => pr('shared', 1, openedAt, '2026-10-23T20:00:00Z');
const SHOP_7 = (mergedAt: string | null) => pr('shop', 7, '2026-10-31T11:00:00Z', mergedAt);

const pullRequests: PullRequestRecord[] = [
  pr('shop', 1, '2026-10-19T09:00:00Z', '2026-10-19T13:00:00Z'),
  SHOP_2('2026-10-20T10:00:00Z'),
  pr('shop', 3, '2026-10-20T08:00:00Z', '2026-10-20T09:30:00Z'),
  pr('shop', 4, '2026-10-21T00:00:00Z', '2026-10-22T12:00:00Z'),
  SHOP_5(null),
  SHARED_1('2026-10-23T10:00:00Z'),
  pr('search', 1, '2026-10-21T11:59:00Z', '2026-10-21T21:59:00Z'),
  pr('search', 2, '2026-10-21T20:00:00Z', '2026-10-21T22:00:00Z'),
  pr('infra', 1, '2026-10-18T11:59:00Z', '2026-10-18T21:59:00Z'),
  pr('infra', 2, '2026-10-25T12:00:00Z', '2026-10-25T22:30:00Z'),
  pr('infra', 3, '2026-10-24T23:00:00Z', '2026-10-25T23:00:00Z'),
  pr('shop', 6, '2026-10-30T22:59:00Z', '2026-10-31T22:59:00Z'),
  SHOP_7('2026-10-31T23:00:00Z'),
];

const run = (externalId: string, repository: string, branch: string, status: CiRunRecord['status'], startedAt: string | null, finishedAt: string | null, event: string | null = 'push'): CiRunRecord => ({
  source: 'github-actions', external_id: externalId, repository: `acme/${repository}`, workflow: 'ci', branch, event, status,
  started_at: startedAt, finished_at: finishedAt, url: `https://github.com/acme/${repository}/actions/runs/${externalId}`,
});
const R_3 = (status: 'success' | 'failure') => run('R3', 'shop', 'main', status, '2026-10-20T08:00:00Z', '2026-10-20T08:20:00Z');
const X_5 = (finishedAt: string | null) => run('X5', 'shop', 'main', finishedAt ? 'success' : 'in_progress', '2026-10-23T14:00:00Z', finishedAt);
const I_1 = (finishedAt: string) => run('I1', 'infra', 'trunk', 'success', '2026-10-25T22:00:00Z', finishedAt);

const ciRuns: CiRunRecord[] = [
  run('R1', 'shop', 'main', 'success', '2026-10-19T09:00:00Z', '2026-10-19T09:10:00Z'),
  run('R2', 'shop', 'main', 'success', '2026-10-19T12:00:00Z', '2026-10-19T12:05:00Z'),
  R_3('failure'),
  run('R4', 'shop', 'main', 'success', '2026-10-20T10:00:00Z', '2026-10-20T10:08:00Z'),
  run('R5', 'shop', 'main', 'success', '2026-10-20T14:00:00Z', '2026-10-20T14:12:00Z'),
  run('R6', 'shop', 'main', 'success', '2026-10-21T09:00:00Z', '2026-10-21T09:06:00Z'),
  run('R7', 'shop', 'main', 'failure', '2026-10-21T11:00:00Z', '2026-10-21T11:30:00Z'),
  run('R8', 'shop', 'main', 'success', '2026-10-22T09:00:00Z', '2026-10-22T09:09:00Z'),
  run('R9', 'shop', 'main', 'success', '2026-10-22T15:00:00Z', '2026-10-22T15:07:00Z'),
  run('R10', 'shop', 'main', 'success', null, '2026-10-23T09:00:00Z', null),
  run('X1', 'shop', 'main', 'cancelled', '2026-10-23T10:00:00Z', '2026-10-23T10:03:00Z'),
  run('X2', 'shop', 'main', 'skipped', null, '2026-10-23T11:00:00Z'),
  run('X3', 'shop', 'feature/x', 'failure', null, '2026-10-23T12:00:00Z'),
  run('X4', 'shop', 'main', 'failure', null, '2026-10-23T13:00:00Z', 'pull_request'),
  X_5(null),
  run('X6', 'shop', 'master', 'failure', null, '2026-10-23T15:00:00Z'),
  run('X7', 'shop', 'main', 'neutral', null, '2026-10-23T16:00:00Z'),
  run('S1', 'shared', 'main', 'success', '2026-10-24T10:00:00Z', '2026-10-24T10:15:00Z'),
  run('Q1', 'search', 'main', 'success', '2026-10-21T21:49:00Z', '2026-10-21T21:59:00Z'),
  run('Q2', 'search', 'main', 'failure', '2026-10-21T21:45:00Z', '2026-10-21T22:00:00Z'),
  I_1('2026-10-25T22:30:00Z'),
  run('I2', 'infra', 'trunk', 'failure', '2026-10-25T22:40:00Z', '2026-10-25T23:00:00Z'),
  run('I3', 'infra', 'trunk', 'success', '2026-10-18T21:49:00Z', '2026-10-18T21:59:00Z'),
  run('N0', 'shop', 'main', 'failure', '2026-10-31T22:50:00Z', '2026-10-31T22:59:00Z'),
  run('N1', 'shop', 'main', 'success', '2026-10-31T22:50:00Z', '2026-10-31T23:00:00Z'),
];

let h: Harness;

async function ingest(records: { pullRequests?: PullRequestRecord[]; ciRuns?: CiRunRecord[] }): Promise<void> {
  await ingestRecords(h.db, h.config.org, normalized(h, [
    ...(records.pullRequests ?? []).map((value) => ({ kind: 'pull_request' as const, value: { ...value } })),
    ...(records.ciRuns ?? []).map((value) => ({ kind: 'ci_run' as const, value: { ...value } })),
  ]));
}

type Key = 'pr_cycle_time' | 'build_success_rate';
const entry = (key: Key, scope: Scope, id: string, period: PeriodType, at: string) => cellEntry(h, key, scope, id, period, at);
const explain = (key: Key, scope: Scope, id: string, period: PeriodType, at: string) => explainCell(h, key, scope, id, period, at);

/** The stored value (scorecard) and the explained one both match; the listed records make the value. */
async function check(key: Key, scope: Scope, id: string, period: PeriodType, at: string, expected: Expected): Promise<void> {
  const got = await entry(key, scope, id, period, at);
  const context = `${key} ${scope}:${id} ${period} ${at}: got ${JSON.stringify(got)}`;
  if (expected.value === null) expect(got.value, context).toBeNull();
  else expect(got.value, context).toBeCloseTo(expected.value, 9);
  expect(got.n, context).toBe(expected.n);
  if (expected.status) expect(got.status, context).toBe(expected.status);
  for (const [detail, value] of Object.entries(expected.details ?? {})) {
    if (typeof value === 'number') expect(got.details[detail], `${context} details.${detail}`).toBeCloseTo(value, 9);
    else expect(got.details[detail], `${context} details.${detail}`).toEqual(value);
  }
  const explained = await explain(key, scope, id, period, at);
  expect(explained.total, context).toBe(expected.n);
  expect(explained.value, context).toBe(got.value);
  if (key === 'build_success_rate' && expected.n > 0) {
    const succeeded = explained.records.filter((r) => r.status === 'success').length;
    expect((100 * succeeded) / explained.records.length, context).toBeCloseTo(expected.value!, 9);
  }
}

const names = (records: Record<string, unknown>[]) => records.map((r) => (r.number === undefined ? r.external_id : `${String(r.repository).slice(5)}#${String(r.number)}@${String(r.service_id)}`));

beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
});
afterAll(async () => h?.close());

describe('golden flow: PR cycle time and build success rate', () => {
  it('(a) ingests the set and computes it', async () => {
    await ingest({ pullRequests, ciRuns });
    expect((await h.compute()).mode).toBe('all');
    const keys = new Set((await kpiValues(h.db)).map((v) => v.kpi_key));
    expect(keys.has('pr_cycle_time') && keys.has('build_success_rate')).toBe(true);
  });

  const cells: [Key, Scope, string, PeriodType, string, Expected][] = [
    ['pr_cycle_time', 'org', '', 'week', W43, { value: 10, n: 9, status: 'green', details: { p50: 10, p90: 38.4 } }],
    ['pr_cycle_time', 'team', 'checkout', 'week', W43, { value: 10, n: 5, status: 'green', details: { p90: 43.2 } }],
    ['pr_cycle_time', 'service', 'shop', 'week', W43, { value: 10, n: 5, status: 'green' }],
    ['pr_cycle_time', 'team', 'product', 'week', W43, { value: 7, n: 6, status: 'green', details: { p90: 42 } }],
    ['pr_cycle_time', 'team', 'platform', 'week', W43, { value: 10, n: 3, status: 'grey' }],
    ['pr_cycle_time', 'service', 'infra', 'week', W43, { value: 10.25, n: 2, details: { p90: 10.45 } }],
    ['pr_cycle_time', 'org', '', 'week', W42, { value: 10, n: 1, status: 'grey' }],
    ['pr_cycle_time', 'org', '', 'week', W44, { value: 24, n: 3, details: { p90: 24 } }],
    ['pr_cycle_time', 'org', '', 'week', W45, { value: null, n: 0, status: 'grey' }],
    ['pr_cycle_time', 'org', '', 'month', OCTOBER, { value: 10, n: 12, status: 'green', details: { p90: 34.8 } }],
    ['pr_cycle_time', 'org', '', 'month', NOVEMBER, { value: 12, n: 1 }],
    ['build_success_rate', 'service', 'shop', 'week', W43, {
      value: 900 / 11, n: 11, status: 'amber', details: { success: 9, failure: 2, runs: 11, duration_p50_minutes: 9.5, duration_p90_minutes: 21 },
    }],
    ['build_success_rate', 'team', 'checkout', 'week', W43, { value: 900 / 11, n: 11, status: 'amber' }],
    ['build_success_rate', 'team', 'product', 'week', W43, { value: 75, n: 12, status: 'red', details: { success: 9, failure: 3 } }],
    ['build_success_rate', 'team', 'platform', 'week', W43, { value: 100, n: 3, status: 'grey' }],
    ['build_success_rate', 'service', 'infra', 'week', W43, { value: 100, n: 2 }],
    ['build_success_rate', 'org', '', 'week', W43, {
      value: 80, n: 15, status: 'amber', details: { success: 12, failure: 3, duration_p50_minutes: 11, duration_p90_minutes: 27 },
    }],
    ['build_success_rate', 'org', '', 'week', W42, { value: 100, n: 1, status: 'grey' }],
    ['build_success_rate', 'org', '', 'week', W44, { value: 100 / 3, n: 3 }],
    ['build_success_rate', 'service', 'infra', 'week', W44, { value: 0, n: 1, status: 'grey', details: { success: 0, failure: 1 } }],
    ['build_success_rate', 'org', '', 'week', W45, { value: null, n: 0, status: 'grey' }],
    ['build_success_rate', 'org', '', 'month', OCTOBER, { value: 1300 / 18, n: 18, details: { success: 13, failure: 5 } }],
    ['build_success_rate', 'org', '', 'month', NOVEMBER, { value: 100, n: 1 }],
  ];

  it.each(cells.map(([key, scope, id, period, at, expected]) => ({ name: `${key} ${scope}${id ? `:${id}` : ''} ${period} ${at}`, key, scope, id, period, at, expected })))(
    '$name',
    async ({ key, scope, id, period, at, expected }) => check(key, scope, id, period, at, expected),
  );

  it('no data is null and grey, never 0; a week whose only run failed is 0 %, a value', async () => {
    for (const key of ['pr_cycle_time', 'build_success_rate'] as const) {
      expect(await entry(key, 'org', '', 'week', W45)).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data' });
      expect(await explain(key, 'org', '', 'week', W45)).toMatchObject({ value: null, n: 0, total: 0, records: [] });
    }
    // Search has a merged pull request and runs in W43 only.
    expect(await entry('pr_cycle_time', 'service', 'search', 'week', W44)).toMatchObject({ value: null, n: 0, confidence: 'no_data' });
    expect(await entry('build_success_rate', 'service', 'infra', 'week', W44)).toMatchObject({ value: 0, n: 1, confidence: 'low' });
  });

  it('explains PR cycle time: the merged pull requests, longest first, once per owning service; open ones never', async () => {
    const { records, total } = await explain('pr_cycle_time', 'org', '', 'week', W43);
    expect(total).toBe(9);
    expect(names(records)).toEqual([
      'shop#2@shop', 'shop#4@shop', 'infra#2@infra', 'shared#1@infra', 'shared#1@shop', 'search#1@search', 'shop#1@shop', 'search#2@search', 'shop#3@shop',
    ]);
    expect(records.map((r) => r.cycle_time_hours)).toEqual([48, 36, 10.5, 10, 10, 10, 4, 2, 1.5]);
    expect(records[0]).toMatchObject({ source: 'github', repository: 'acme/shop', number: 2, title: 'Change shop#2', author: 'dev', url: 'https://github.com/acme/shop/pull/2' });
    expect(new Date(records[0]!.opened_at as string).toISOString()).toBe('2026-10-18T10:00:00.000Z');
    expect(new Date(records[0]!.merged_at as string).toISOString()).toBe('2026-10-20T10:00:00.000Z');
    // Ownership at the merge: search#1 (before the change) is platform's, search#2 (at it) product's.
    expect(names((await explain('pr_cycle_time', 'team', 'platform', 'week', W43)).records)).toEqual(['infra#2@infra', 'shared#1@infra', 'search#1@search']);
    expect(names((await explain('pr_cycle_time', 'team', 'product', 'week', W43)).records)).toEqual(['shop#2@shop', 'shop#4@shop', 'shared#1@shop', 'shop#1@shop', 'search#2@search', 'shop#3@shop']);
  });

  it('explains build success rate: default-branch runs that succeeded or failed, failures first, then newest', async () => {
    const { records, total } = await explain('build_success_rate', 'service', 'shop', 'week', W43);
    expect(total).toBe(11);
    expect(names(records)).toEqual(['R7', 'R3', 'S1', 'R10', 'R9', 'R8', 'R6', 'R5', 'R4', 'R2', 'R1']);
    expect(records.find((r) => r.external_id === 'R10')!.duration_minutes).toBeNull();
    expect(records[0]).toMatchObject({
      source: 'github-actions', repository: 'acme/shop', workflow: 'ci', branch: 'main', event: 'push', status: 'failure', duration_minutes: 30,
      url: 'https://github.com/acme/shop/actions/runs/R7',
    });
    // Cancelled, skipped, neutral, running, pull-request, feature-branch and unconfigured-branch runs are never listed.
    const org = names((await explain('build_success_rate', 'org', '', 'week', W43)).records);
    for (const excluded of ['X1', 'X2', 'X3', 'X4', 'X5', 'X6', 'X7']) expect(org).not.toContain(excluded);
    // A run of a shared repository counts for each service owning it.
    expect(org.filter((name) => name === 'S1')).toHaveLength(2);
    expect(names((await explain('build_success_rate', 'team', 'platform', 'week', W43)).records)).toEqual(['I1', 'S1', 'Q1']);
  });

  it('counts a record in the period of its local anchor time: the week and month boundaries', async () => {
    expect(names((await explain('pr_cycle_time', 'service', 'infra', 'week', W42)).records)).toEqual(['infra#1@infra']); // Sun 23:59 CEST
    expect(names((await explain('pr_cycle_time', 'service', 'infra', 'week', W44)).records)).toEqual(['infra#3@infra']); // Mon 00:00 CET
    expect(names((await explain('pr_cycle_time', 'org', '', 'month', NOVEMBER)).records)).toEqual(['shop#7@shop']); // 1 Nov 00:00 CET
    expect(names((await explain('pr_cycle_time', 'org', '', 'month', OCTOBER)).records)).toContain('shop#6@shop'); // 31 Oct 23:59 CET
    expect(names((await explain('build_success_rate', 'service', 'infra', 'week', W42)).records)).toEqual(['I3']);
    expect(names((await explain('build_success_rate', 'service', 'infra', 'week', W43)).records)).toEqual(['I1', 'S1']);
    expect(names((await explain('build_success_rate', 'service', 'infra', 'week', W44)).records)).toEqual(['I2']);
    expect(names((await explain('build_success_rate', 'org', '', 'month', NOVEMBER)).records)).toEqual(['N1']);
    expect(names((await explain('build_success_rate', 'org', '', 'month', OCTOBER)).records)).toContain('N0');
  });

  it('(b) merged, re-dated, re-opened-at and unmerged pull requests and corrected, finished and re-dated runs update their old and new cells; dirty compute = full recompute', async () => {
    await ingest({
      pullRequests: [SHOP_5('2026-10-24T10:00:00Z'), SHOP_2('2026-10-27T10:00:00Z'), SHARED_1('2026-10-23T16:00:00Z'), SHOP_7(null)],
      ciRuns: [R_3('success'), X_5('2026-10-23T14:20:00Z'), I_1('2026-10-25T23:10:00Z')],
    });
    expect((await h.compute()).mode).toBe('dirty');
    const incremental = await kpiValues(h.db);
    await check('pr_cycle_time', 'org', '', 'week', W43, { value: 4, n: 9, details: { p90: 39.2 } });
    await check('pr_cycle_time', 'team', 'checkout', 'week', W43, { value: 4, n: 5, details: { p90: 45.6 } });
    await check('pr_cycle_time', 'service', 'infra', 'week', W43, { value: 7.25, n: 2 });
    await check('pr_cycle_time', 'org', '', 'week', W44, { value: 24, n: 3, details: { p90: 177.6 } });
    await check('pr_cycle_time', 'org', '', 'month', NOVEMBER, { value: null, n: 0, status: 'grey' });
    await check('pr_cycle_time', 'org', '', 'month', OCTOBER, { value: 10, n: 13, details: { p90: 48.8 } });
    await check('build_success_rate', 'service', 'shop', 'week', W43, { value: 1100 / 12, n: 12, details: { success: 11, failure: 1 } });
    await check('build_success_rate', 'service', 'infra', 'week', W43, { value: 100, n: 1 });
    await check('build_success_rate', 'team', 'platform', 'week', W43, { value: 100, n: 2 });
    await check('build_success_rate', 'org', '', 'week', W43, { value: 1300 / 15, n: 15 });
    await check('build_success_rate', 'org', '', 'week', W44, { value: 50, n: 4 });
    await check('build_success_rate', 'org', '', 'month', OCTOBER, { value: 1500 / 19, n: 19, details: { success: 15, failure: 4 } });
    await h.compute({ all: true });
    expect(await kpiValues(h.db)).toEqual(incremental);
  });
});
