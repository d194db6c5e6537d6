// The golden organisation: a small org whose every KPI value is worked out by hand in
// golden.test.ts's header comment (from docs/kpis.md, never from the code under test).
//
// eng (parent, no services of its own)
// ├── checkout: web (acme/web), payments (acme/payments)
// └── search:   search-api (acme/search-api), indexer (acme/indexer), ranker (acme/ranker)
//
// Time zone Europe/Berlin. Summer time ends Sun 2026-10-25 at 03:00 CEST (01:00Z): the ISO
// week W43 (Mon 2026-10-19 00:00 CEST = 2026-10-18T22:00Z … Mon 2026-10-26 00:00 CET =
// 2026-10-25T23:00Z) has 169 hours. Weeks used: W43 (DST), W44, W45 (empty), W46 (low confidence).
import type { CommitRecord, DeploymentRecord, IncidentRecord, PullRequestRecord } from '../../connectors/contract.js';

export const goldenOrgYaml = `
organisation:
  name: Golden Org
  time_zone: Europe/Berlin
teams:
  - { id: eng, name: Engineering }
  - { id: checkout, name: Checkout, parent: eng }
  - { id: search, name: Search, parent: eng }
services:
  - { id: web, owner: checkout, repositories: [acme/web] }
  - { id: payments, owner: checkout, repositories: [acme/payments] }
  - { id: search-api, owner: search, repositories: [acme/search-api] }
  - { id: indexer, owner: search, repositories: [acme/indexer] }
  - { id: ranker, owner: search, repositories: [acme/ranker] }
targets:
  org:
    deployment_frequency: 1
    lead_time_for_changes: 72
    change_failure_rate: 15
    time_to_restore: 60
    failed_deployment_recovery_time: 60
    rework_rate: 10
  teams:
    eng: { change_failure_rate: 35 }
    search: { lead_time_for_changes: 16 }
  services:
    web: { rework_rate: 30 }
`;

/** After the last period used (November is complete; Q4 and December are partial). */
export const goldenNow = new Date('2026-12-02T12:00:00Z');

/** 40 hex characters from a 4-character hex tag: every tag below has exactly 4 characters. */
export const sha = (tag: string): string => {
  if (!/^[0-9a-f]{4}$/.test(tag)) throw new Error(`bad sha tag ${tag}`);
  return tag.padEnd(40, '0');
};

const commit = (repository: string, tag: string, parents: string[], authoredAt: string, message: string): CommitRecord => ({
  repository,
  sha: sha(tag),
  parents: parents.map(sha),
  authored_at: authoredAt,
  committed_at: authoredAt,
  author: 'golden',
  message,
});

const commits: CommitRecord[] = [
  // acme/web: a linear history, except a003 which merges PR #1 (a002) into a001.
  commit('acme/web', 'a001', [], '2026-10-12T09:00:00Z', 'initial web (never shipped as a change: before the first deployment)'),
  commit('acme/web', 'a002', ['a001'], '2026-10-18T10:00:00Z', 'PR #1 work'),
  commit('acme/web', 'a003', ['a001', 'a002'], '2026-10-18T20:00:00Z', 'Merge PR #1'),
  commit('acme/web', 'a004', ['a003'], '2026-10-20T06:00:00Z', 'feature part 1'),
  commit('acme/web', 'a005', ['a004'], '2026-10-20T09:00:00Z', 'feature part 2'),
  commit('acme/web', 'a006', ['a005'], '2026-10-21T08:00:00Z', 'risky change (rolled back by web-4, redeployed by web-5)'),
  commit('acme/web', 'a007', ['a006'], '2026-10-21T14:00:00Z', 'fix the risky change'),
  commit('acme/web', 'a008', ['a007'], '2026-10-22T09:00:00Z', 'fix for INC-W1'),
  commit('acme/web', 'a009', ['a008'], '2026-10-23T07:00:00Z', 'change that causes INC-W2'),
  commit('acme/web', 'a00a', ['a009'], '2026-10-23T11:30:00Z', 'fix for INC-W2'),
  commit('acme/web', 'a00b', ['a00a'], '2026-10-25T00:10:00Z', 'night change (02:10 CEST, first pass through 02:xx)'),
  commit('acme/web', 'a00c', ['a00b'], '2026-10-25T21:30:00Z', 'Sunday evening change'),
  commit('acme/web', 'a00d', ['a00c'], '2026-10-25T22:00:00Z', 'shipped Monday 00:30 local'),
  commit('acme/web', 'a00e', ['a00d'], '2026-10-31T20:00:00Z', 'hotfix shipped Sunday 1 November 00:30 local'),
  // acme/payments
  commit('acme/payments', 'b001', [], '2026-10-15T10:00:00Z', 'initial payments'),
  commit('acme/payments', 'b002', ['b001'], '2026-10-22T06:00:00Z', 'first shipped payments change'),
  commit('acme/payments', 'b003', ['b002'], '2026-10-24T09:00:00Z', 'authored before the DST change, shipped after it'),
  // acme/search-api: c004 merges PR #1 (c002, c003) into c001.
  commit('acme/search-api', 'c001', [], '2026-10-10T10:00:00Z', 'initial search-api'),
  commit('acme/search-api', 'c002', ['c001'], '2026-10-16T10:00:00Z', 'PR #1 first commit'),
  commit('acme/search-api', 'c003', ['c002'], '2026-10-19T10:00:00Z', 'PR #1 second commit'),
  commit('acme/search-api', 'c004', ['c001', 'c003'], '2026-10-20T10:00:00Z', 'Merge PR #1'),
  commit('acme/search-api', 'c005', ['c004'], '2026-10-26T08:00:00Z', 'change that precedes INC-S1'),
  commit('acme/search-api', 'c006', ['c005'], '2026-11-09T10:00:00Z', 'W46 change'),
  // acme/indexer
  commit('acme/indexer', 'd001', [], '2026-10-21T10:00:00Z', 'initial indexer'),
  commit('acme/indexer', 'd002', ['d001'], '2026-10-29T09:00:00Z', 'change that precedes INC-I3'),
  // acme/ranker: e002 squash-merges PR #1 (e001).
  commit('acme/ranker', 'e001', [], '2026-11-10T08:00:00Z', 'PR #1 work'),
  commit('acme/ranker', 'e002', ['e001'], '2026-11-11T09:00:00Z', 'Merge PR #1'),
];

const pullRequests: PullRequestRecord[] = [
  {
    repository: 'acme/web', number: 1, title: 'First web feature',
    opened_at: '2026-10-18T12:00:00Z', first_review_at: '2026-10-18T15:00:00Z', merged_at: '2026-10-18T20:00:00Z',
    merge_commit_sha: sha('a003'), commit_shas: [sha('a002')],
  },
  {
    repository: 'acme/search-api', number: 1, title: 'First search feature',
    opened_at: '2026-10-19T12:00:00Z', first_review_at: '2026-10-19T16:00:00Z', merged_at: '2026-10-20T10:00:00Z',
    merge_commit_sha: sha('c004'), commit_shas: [sha('c002'), sha('c003')],
  },
  {
    repository: 'acme/ranker', number: 1, title: 'First ranker feature',
    opened_at: '2026-11-10T09:00:00Z', merged_at: '2026-11-11T09:00:00Z',
    merge_commit_sha: sha('e002'), commit_shas: [sha('e001')],
  },
  // Still open: no merge commit, ships nothing.
  { repository: 'acme/payments', number: 1, title: 'Still open', opened_at: '2026-10-30T09:00:00Z', merged_at: null },
];

const deploy = (
  service: string, externalId: string, finishedAt: string, commitTag: string,
  extra: Record<string, unknown> = {},
): DeploymentRecord => ({
  source: service === 'web' || service === 'payments' ? 'github' : 'argo',
  external_id: externalId,
  service,
  environment: 'production',
  status: 'success',
  finished_at: finishedAt,
  commit_sha: sha(commitTag),
  ref: 'main',
  ...extra,
}) as DeploymentRecord; // `extra` adds optional fields (labels, status overrides) per deployment

const deployments: DeploymentRecord[] = [
  // web. Local (Berlin) time in the comments.
  deploy('web', 'web-1', '2026-10-18T22:30:00Z', 'a003', { started_at: '2026-10-18T22:20:00Z' }), // Mon 19 Oct 00:30 CEST: W43, though its UTC date is in W42
  deploy('web', 'web-2', '2026-10-20T15:00:00Z', 'a005'),
  deploy('web', 'web-3', '2026-10-21T10:00:00Z', 'a006'), // rolled back by web-4
  deploy('web', 'web-4', '2026-10-21T11:00:00Z', 'a005', { labels: ['hotfix'] }), // the rollback; hotfix label
  deploy('web', 'web-5', '2026-10-21T16:00:00Z', 'a007'), // redeploys past a006; failed implicitly by INC-W1
  deploy('web', 'web-s1', '2026-10-22T09:20:00Z', 'a008', { environment: 'staging' }), // not production
  deploy('web', 'web-6', '2026-10-22T09:30:00Z', 'a008'), // INC-W1 open, resolved 10 min later: rework
  deploy('web', 'web-7', '2026-10-23T10:00:00Z', 'a009'), // INC-W2 names it: explicit failure
  deploy('web', 'web-8', '2026-10-23T12:30:00Z', 'a00a'), // INC-W2 names it as its fix: rework
  deploy('web', 'web-f1', '2026-10-24T10:00:00Z', 'a00a', { status: 'failure' }), // not a production deployment
  deploy('web', 'web-9', '2026-10-25T00:40:00Z', 'a00b'), // Sun 25 Oct 02:40 CEST (before the switch)
  deploy('web', 'web-10', '2026-10-25T22:30:00Z', 'a00c'), // Sun 25 Oct 23:30 CET: still W43
  deploy('web', 'web-11', '2026-10-25T23:30:00Z', 'a00d'), // Mon 26 Oct 00:30 CET: W44, though its UTC date is Sunday
  deploy('web', 'web-12', '2026-10-31T23:30:00Z', 'a00e', { ref: 'hotfix/checkout-timeout' }), // Sun 1 Nov 00:30 CET: W44, November; hotfix ref
  // payments
  deploy('payments', 'payments-1', '2026-10-22T14:00:00Z', 'b002'), // first deployment, no PR: basis deploy_commit
  deploy('payments', 'payments-2', '2026-10-27T13:00:00Z', 'b003'), // INC-P3 names it: explicit failure
  // search team
  deploy('search-api', 'search-api-1', '2026-10-20T12:00:00Z', 'c004', { environment: 'prod' }), // first deployment: basis pull_request
  deploy('search-api', 'search-api-2', '2026-10-28T08:00:00Z', 'c005', { environment: 'prod' }), // failed implicitly by INC-S1
  deploy('search-api', 'search-api-3', '2026-11-10T10:00:00Z', 'c006', { environment: 'prod' }),
  deploy('indexer', 'indexer-1', '2026-10-21T20:00:00Z', 'd001', { environment: 'Production' }), // first: deploy_commit; failed implicitly by INC-I1 and INC-I2
  deploy('indexer', 'indexer-2', '2026-10-29T10:00:00Z', 'd002', { environment: 'Production' }), // failed implicitly by INC-I3 (resolved in W46)
  deploy('ranker', 'ranker-1', '2026-11-11T10:00:00Z', 'e002'), // first: basis pull_request; failed implicitly by INC-R1 (never resolved)
];

const incident = (service: string, externalId: string, severity: string, createdAt: string, resolvedAt: string | null, extra: Partial<IncidentRecord> = {}): IncidentRecord => ({
  source: 'pagerduty',
  external_id: externalId,
  service,
  severity,
  title: `${externalId} on ${service}`,
  created_at: createdAt,
  resolved_at: resolvedAt,
  ...extra,
});

const incidents: IncidentRecord[] = [
  incident('web', 'INC-W1', 'sev2', '2026-10-22T09:00:00Z', '2026-10-22T09:40:00Z', { acknowledged_at: '2026-10-22T09:05:00Z' }),
  incident('web', 'INC-W2', 'P1', '2026-10-23T11:00:00Z', '2026-10-23T13:00:00Z', {
    deployment_external_id: 'web-7', resolved_by_deployment_external_id: 'web-8',
  }),
  incident('payments', 'INC-P1', 'sev2', '2026-10-20T10:00:00Z', '2026-10-20T10:30:00Z'), // before payments' first deployment
  incident('payments', 'INC-P2', 'sev3', '2026-10-21T07:15:00Z', '2026-10-21T08:45:00Z', { started_at: '2026-10-21T07:00:00Z' }),
  incident('indexer', 'INC-I1', 'sev2', '2026-10-22T02:00:00Z', '2026-10-22T03:00:00Z'),
  incident('indexer', 'INC-I2', 'sev2', '2026-10-23T05:00:00Z', '2026-10-23T05:20:00Z'),
  incident('payments', 'INC-P3', 'sev1', '2026-10-27T14:00:00Z', '2026-10-27T15:30:00Z', { deployment_external_id: 'payments-2' }),
  incident('search-api', 'INC-S1', 'sev2', '2026-10-28T09:00:00Z', '2026-10-28T09:45:00Z'),
  incident('indexer', 'INC-I3', 'sev3', '2026-10-30T10:00:00Z', '2026-11-10T12:00:00Z'),
  incident('ranker', 'INC-R1', 'sev3', '2026-11-12T08:00:00Z', null),
];

export const goldenRecords: {
  commits: CommitRecord[];
  pullRequests: PullRequestRecord[];
  deployments: DeploymentRecord[];
  incidents: IncidentRecord[];
} = { commits, pullRequests, deployments, incidents };

// ---------------------------------------------------------------- expected values
export interface ExpectedCell {
  key: string;
  scope: 'org' | 'team' | 'service';
  id: string; // '' for org
  period: 'week' | 'month' | 'quarter';
  at: string; // a YYYY-MM-DD inside the period
  value: number | null;
  n: number;
  status?: 'green' | 'amber' | 'red' | 'grey';
  band?: string | null;
  target?: number;
  details?: Record<string, unknown>;
  /** The sev1–sev2 median of time to restore and its n (docs/kpis.md names no key for it). */
  sev12?: { median: number | null; n: number };
  previous?: number | null;
  trend?: 'improving' | 'worsening' | 'flat' | null;
}

// A date inside each period used.
export const W43 = '2026-10-21'; // Mon 19 Oct – Sun 25 Oct (169 h)
export const W44 = '2026-10-28'; // Mon 26 Oct – Sun 1 Nov (168 h)
export const W45 = '2026-11-04'; // Mon 2 Nov – Sun 8 Nov: no records at all
export const W46 = '2026-11-11'; // Mon 9 Nov – Sun 15 Nov: low confidence
export const OCT = '2026-10-15'; // October: 745 h (31 days + the repeated hour)
export const NOV = '2026-11-15'; // November: 720 h

/** Local start of each period above (the period containing `at`). */
export const periodStart: Record<string, Record<string, string>> = {
  week: { [W43]: '2026-10-19', [W44]: '2026-10-26', [W45]: '2026-11-02', [W46]: '2026-11-09' },
  month: { [OCT]: '2026-10-01', [NOV]: '2026-11-01' },
  quarter: { [NOV]: '2026-10-01' },
};

type Scope = ExpectedCell['scope'];
type Period = ExpectedCell['period'];
type Status = NonNullable<ExpectedCell['status']>;
const ORG: [Scope, string] = ['org', ''];
const ENG: [Scope, string] = ['team', 'eng'];
const CHECKOUT: [Scope, string] = ['team', 'checkout'];
const SEARCH: [Scope, string] = ['team', 'search'];
const WEB: [Scope, string] = ['service', 'web'];
const svc = (id: string): [Scope, string] => ['service', id];

// One row per cell; the arithmetic is the hand-worked table of golden.test.ts.
const cell = (
  key: string, [scope, id]: [Scope, string], period: Period, at: string,
  value: number | null, n: number, status: Status, band: string | null, target: number,
  extra: Partial<ExpectedCell> = {},
): ExpectedCell => ({ key, scope, id, period, at, value, n, status, band, target, ...extra });

const DF = 'deployment_frequency';
const LT = 'lead_time_for_changes';
const CFR = 'change_failure_rate';
const TTR = 'time_to_restore';
const FDRT = 'failed_deployment_recovery_time';
const RW = 'rework_rate';

const noData = (key: string, scope: [Scope, string], period: Period, at: string, target: number): ExpectedCell =>
  cell(key, scope, period, at, null, 0, 'grey', null, target);

export const expected: ExpectedCell[] = [
  // ---------------------------------------------------------------- W43 (169 h = 169/24 days)
  cell(DF, ORG, 'week', W43, 13 / (169 / 24), 13, 'green', 'elite', 1, { details: { count: 13, deploy_days: 6, mean_interval_hours: 169 / 13 }, previous: null, trend: null }),
  cell(DF, ENG, 'week', W43, 13 / (169 / 24), 13, 'green', 'elite', 1, { details: { count: 13, deploy_days: 6, mean_interval_hours: 169 / 13 } }),
  cell(DF, CHECKOUT, 'week', W43, 11 / (169 / 24), 11, 'green', 'elite', 1, { details: { count: 11, deploy_days: 6, mean_interval_hours: 169 / 11 } }),
  cell(DF, SEARCH, 'week', W43, 2 / (169 / 24), 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 169 / 2 } }),
  cell(DF, WEB, 'week', W43, 10 / (169 / 24), 10, 'green', 'elite', 1, { details: { count: 10, deploy_days: 6, mean_interval_hours: 169 / 10 } }),

  cell(LT, ORG, 'week', W43, 2.75, 16, 'green', 'elite', 72, { details: { p75: 9.25, p90: 19.25 } }),
  cell(LT, ENG, 'week', W43, 2.75, 16, 'green', 'elite', 72, { details: { p75: 9.25, p90: 19.25 } }),
  cell(LT, CHECKOUT, 'week', W43, 2.25, 12, 'green', 'elite', 72, { details: { p75: 6.5, p90: 8.9 } }),
  cell(LT, SEARCH, 'week', W43, 18, 4, 'grey', null, 16, { details: { p75: 44, p90: 76.4 } }),
  cell(LT, WEB, 'week', W43, 2, 11, 'green', 'elite', 72, { details: { p75: 4.5, p90: 9 } }),
  cell(LT, svc('payments'), 'week', W43, 8, 1, 'grey', null, 72),
  cell(LT, svc('search-api'), 'week', W43, 26, 3, 'grey', null, 16, { details: { p75: 62, p90: 83.6 } }),

  cell(CFR, ORG, 'week', W43, (100 * 4) / 13, 13, 'red', 'low', 15),
  cell(CFR, ENG, 'week', W43, (100 * 4) / 13, 13, 'green', 'low', 35),
  cell(CFR, CHECKOUT, 'week', W43, (100 * 3) / 11, 11, 'green', 'low', 35),
  cell(CFR, SEARCH, 'week', W43, 50, 2, 'grey', null, 35),
  cell(CFR, WEB, 'week', W43, 30, 10, 'green', 'low', 35),

  cell(TTR, ORG, 'week', W43, 50, 6, 'green', null, 60, { details: { p90: 112.5 }, sev12: { median: 40, n: 5 } }),
  cell(TTR, ENG, 'week', W43, 50, 6, 'green', null, 60, { details: { p90: 112.5 }, sev12: { median: 40, n: 5 } }),
  cell(TTR, CHECKOUT, 'week', W43, 72.5, 4, 'grey', null, 60, { details: { p90: 115.5 }, sev12: { median: 40, n: 3 } }),
  cell(TTR, SEARCH, 'week', W43, 40, 2, 'grey', null, 60, { details: { p90: 56 }, sev12: { median: 40, n: 2 } }),
  cell(TTR, WEB, 'week', W43, 80, 2, 'grey', null, 60, { details: { p90: 112 }, sev12: { median: 80, n: 2 } }),

  cell(FDRT, ORG, 'week', W43, 1060, 3, 'grey', null, 60, { details: { p90: 1812 } }),
  cell(FDRT, ENG, 'week', W43, 1060, 3, 'grey', null, 60, { details: { p90: 1812 } }),
  cell(FDRT, CHECKOUT, 'week', W43, 620, 2, 'grey', null, 60, { details: { p90: 972 } }),
  cell(FDRT, SEARCH, 'week', W43, 2000, 1, 'grey', null, 60, { details: { p90: 2000 } }),
  cell(FDRT, WEB, 'week', W43, 620, 2, 'grey', null, 60, { details: { p90: 972 } }),
  cell(FDRT, svc('indexer'), 'week', W43, 2000, 1, 'grey', null, 60),

  cell(RW, ORG, 'week', W43, (100 * 3) / 13, 13, 'red', null, 10),
  cell(RW, ENG, 'week', W43, (100 * 3) / 13, 13, 'red', null, 10),
  cell(RW, CHECKOUT, 'week', W43, (100 * 3) / 11, 11, 'red', null, 10),
  cell(RW, SEARCH, 'week', W43, 0, 2, 'grey', null, 10),
  cell(RW, WEB, 'week', W43, 30, 10, 'green', null, 30),

  // ---------------------------------------------------------------- W44 (168 h = 7 days)
  cell(DF, ORG, 'week', W44, 5 / 7, 5, 'red', 'high', 1, { details: { count: 5, deploy_days: 5, mean_interval_hours: 168 / 5 }, previous: 13 / (169 / 24), trend: 'worsening' }),
  cell(DF, ENG, 'week', W44, 5 / 7, 5, 'red', 'high', 1, { details: { count: 5, deploy_days: 5, mean_interval_hours: 168 / 5 } }),
  cell(DF, CHECKOUT, 'week', W44, 3 / 7, 3, 'red', 'high', 1, { details: { count: 3, deploy_days: 3, mean_interval_hours: 168 / 3 } }),
  cell(DF, SEARCH, 'week', W44, 2 / 7, 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 168 / 2 } }),
  cell(DF, WEB, 'week', W44, 2 / 7, 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 168 / 2 } }),

  cell(LT, ORG, 'week', W44, 3.5, 5, 'green', 'elite', 72, { details: { p75: 48, p90: 64.8 }, previous: 2.75, trend: 'worsening' }),
  cell(LT, ENG, 'week', W44, 3.5, 5, 'green', 'elite', 72, { details: { p75: 48, p90: 64.8 } }),
  cell(LT, CHECKOUT, 'week', W44, 3.5, 3, 'grey', null, 72, { details: { p75: 39.75, p90: 61.5 } }),
  cell(LT, SEARCH, 'week', W44, 24.5, 2, 'grey', null, 16, { details: { p75: 36.25, p90: 43.3 } }),
  cell(LT, WEB, 'week', W44, 2.5, 2, 'grey', null, 72, { details: { p75: 3, p90: 3.3 } }),
  cell(LT, svc('payments'), 'week', W44, 76, 1, 'grey', null, 72),

  cell(CFR, ORG, 'week', W44, 60, 5, 'grey', null, 15),
  cell(CFR, ENG, 'week', W44, 60, 5, 'grey', null, 35),
  cell(CFR, CHECKOUT, 'week', W44, 100 / 3, 3, 'grey', null, 35),
  cell(CFR, SEARCH, 'week', W44, 100, 2, 'grey', null, 35),
  cell(CFR, WEB, 'week', W44, 0, 2, 'grey', null, 35),
  cell(CFR, svc('indexer'), 'week', W44, 100, 1, 'grey', null, 35),

  cell(TTR, ORG, 'week', W44, 67.5, 2, 'grey', null, 60, { details: { p90: 85.5 }, sev12: { median: 67.5, n: 2 } }),
  cell(TTR, ENG, 'week', W44, 67.5, 2, 'grey', null, 60, { details: { p90: 85.5 } }),
  cell(TTR, CHECKOUT, 'week', W44, 90, 1, 'grey', null, 60, { details: { p90: 90 } }),
  cell(TTR, SEARCH, 'week', W44, 45, 1, 'grey', null, 60, { details: { p90: 45 } }),
  noData(TTR, WEB, 'week', W44, 60),

  cell(FDRT, ORG, 'week', W44, 127.5, 2, 'grey', null, 60, { details: { p90: 145.5 } }),
  cell(FDRT, ENG, 'week', W44, 127.5, 2, 'grey', null, 60, { details: { p90: 145.5 } }),
  cell(FDRT, CHECKOUT, 'week', W44, 150, 1, 'grey', null, 60),
  cell(FDRT, SEARCH, 'week', W44, 105, 1, 'grey', null, 60),
  noData(FDRT, WEB, 'week', W44, 60),

  cell(RW, ORG, 'week', W44, 20, 5, 'grey', null, 10),
  cell(RW, ENG, 'week', W44, 20, 5, 'grey', null, 10),
  cell(RW, CHECKOUT, 'week', W44, 100 / 3, 3, 'grey', null, 10),
  cell(RW, SEARCH, 'week', W44, 0, 2, 'grey', null, 10),
  cell(RW, WEB, 'week', W44, 50, 2, 'grey', null, 30),

  // ---------------------------------------------------------------- W45: no records at all
  ...[DF, LT, CFR, TTR, FDRT, RW].flatMap((key) => {
    const target = (scope: [Scope, string]) =>
      key === DF ? 1 : key === LT ? (scope === SEARCH ? 16 : 72) : key === CFR ? (scope === ORG ? 15 : 35) : key === RW ? (scope === WEB ? 30 : 10) : 60;
    return [ORG, ENG, CHECKOUT, SEARCH, WEB].map((scope) => noData(key, scope, 'week', W45, target(scope)));
  }),

  // ---------------------------------------------------------------- W46: low confidence
  cell(DF, ORG, 'week', W46, 2 / 7, 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 84 }, previous: null, trend: null }),
  cell(DF, ENG, 'week', W46, 2 / 7, 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 84 } }),
  noData(DF, CHECKOUT, 'week', W46, 1),
  cell(DF, SEARCH, 'week', W46, 2 / 7, 2, 'red', 'high', 1, { details: { count: 2, deploy_days: 2, mean_interval_hours: 84 } }),
  noData(DF, WEB, 'week', W46, 1),

  cell(LT, ORG, 'week', W46, 24, 3, 'grey', null, 72, { details: { p75: 25, p90: 25.6 } }),
  cell(LT, ENG, 'week', W46, 24, 3, 'grey', null, 72, { details: { p75: 25, p90: 25.6 } }),
  noData(LT, CHECKOUT, 'week', W46, 72),
  cell(LT, SEARCH, 'week', W46, 24, 3, 'grey', null, 16, { details: { p75: 25, p90: 25.6 } }),
  noData(LT, WEB, 'week', W46, 72),
  cell(LT, svc('ranker'), 'week', W46, 13.5, 2, 'grey', null, 16),

  cell(CFR, ORG, 'week', W46, 50, 2, 'grey', null, 15),
  cell(CFR, ENG, 'week', W46, 50, 2, 'grey', null, 35),
  noData(CFR, CHECKOUT, 'week', W46, 35),
  cell(CFR, SEARCH, 'week', W46, 50, 2, 'grey', null, 35),
  noData(CFR, WEB, 'week', W46, 35),
  cell(CFR, svc('ranker'), 'week', W46, 100, 1, 'grey', null, 35),

  cell(TTR, ORG, 'week', W46, 15960, 1, 'grey', null, 60, { sev12: { median: null, n: 0 } }),
  cell(TTR, ENG, 'week', W46, 15960, 1, 'grey', null, 60),
  noData(TTR, CHECKOUT, 'week', W46, 60),
  cell(TTR, SEARCH, 'week', W46, 15960, 1, 'grey', null, 60),
  noData(TTR, WEB, 'week', W46, 60),

  cell(FDRT, ORG, 'week', W46, 17400, 1, 'grey', null, 60),
  cell(FDRT, ENG, 'week', W46, 17400, 1, 'grey', null, 60),
  noData(FDRT, CHECKOUT, 'week', W46, 60),
  cell(FDRT, SEARCH, 'week', W46, 17400, 1, 'grey', null, 60),
  noData(FDRT, WEB, 'week', W46, 60),
  noData(FDRT, svc('ranker'), 'week', W46, 60),

  cell(RW, ORG, 'week', W46, 0, 2, 'grey', null, 10),
  cell(RW, ENG, 'week', W46, 0, 2, 'grey', null, 10),
  noData(RW, CHECKOUT, 'week', W46, 10),
  cell(RW, SEARCH, 'week', W46, 0, 2, 'grey', null, 10),
  noData(RW, WEB, 'week', W46, 30),

  // ---------------------------------------------------------------- October (745 h)
  cell(DF, ORG, 'month', OCT, 17 / (745 / 24), 17, 'red', 'high', 1, { details: { count: 17, deploy_days: 10, mean_interval_hours: 745 / 17 }, previous: null, trend: null }),
  cell(LT, ORG, 'month', OCT, 2.75, 20, 'green', 'elite', 72, { details: { p75: 10.625, p90: 50.8 } }),
  cell(CFR, ORG, 'month', OCT, (100 * 7) / 17, 17, 'red', 'low', 15),
  cell(TTR, ORG, 'month', OCT, 52.5, 8, 'green', null, 60, { details: { p90: 109.5 }, sev12: { median: 45, n: 7 } }),
  cell(FDRT, ORG, 'month', OCT, 180, 5, 'red', 'high', 60, { details: { p90: 1624 } }),
  cell(RW, ORG, 'month', OCT, (100 * 3) / 17, 17, 'red', null, 10),

  cell(DF, ENG, 'month', OCT, 17 / (745 / 24), 17, 'red', 'high', 1, { details: { count: 17, deploy_days: 10, mean_interval_hours: 745 / 17 } }),
  cell(LT, ENG, 'month', OCT, 2.75, 20, 'green', 'elite', 72),
  cell(CFR, ENG, 'month', OCT, (100 * 7) / 17, 17, 'amber', 'low', 35),
  cell(TTR, ENG, 'month', OCT, 52.5, 8, 'green', null, 60),
  cell(FDRT, ENG, 'month', OCT, 180, 5, 'red', 'high', 60),
  cell(RW, ENG, 'month', OCT, (100 * 3) / 17, 17, 'red', null, 10),

  cell(DF, CHECKOUT, 'month', OCT, 13 / (745 / 24), 13, 'red', 'high', 1, { details: { count: 13, deploy_days: 8, mean_interval_hours: 745 / 13 } }),
  cell(LT, CHECKOUT, 'month', OCT, 2.25, 14, 'green', 'elite', 72, { details: { p75: 7.5, p90: 11.45 } }),
  cell(CFR, CHECKOUT, 'month', OCT, (100 * 4) / 13, 13, 'green', 'low', 35),
  cell(TTR, CHECKOUT, 'month', OCT, 90, 5, 'red', null, 60, { details: { p90: 114 }, sev12: { median: 65, n: 4 } }),
  cell(FDRT, CHECKOUT, 'month', OCT, 180, 3, 'grey', null, 60, { details: { p90: 884 } }),
  cell(RW, CHECKOUT, 'month', OCT, (100 * 3) / 13, 13, 'red', null, 10),

  cell(DF, SEARCH, 'month', OCT, 4 / (745 / 24), 4, 'red', 'medium', 1, { details: { count: 4, deploy_days: 4, mean_interval_hours: 745 / 4 } }),
  cell(LT, SEARCH, 'month', OCT, 18, 6, 'amber', 'elite', 16, { details: { p75: 42.5, p90: 73 } }),
  cell(CFR, SEARCH, 'month', OCT, 75, 4, 'grey', null, 35),
  cell(TTR, SEARCH, 'month', OCT, 45, 3, 'grey', null, 60, { details: { p90: 57 } }),
  cell(FDRT, SEARCH, 'month', OCT, 1052.5, 2, 'grey', null, 60, { details: { p90: 1810.5 } }),
  cell(RW, SEARCH, 'month', OCT, 0, 4, 'grey', null, 10),

  // ---------------------------------------------------------------- November (720 h)
  cell(DF, ORG, 'month', NOV, 3 / 30, 3, 'red', 'medium', 1, { details: { count: 3, deploy_days: 3, mean_interval_hours: 240 }, previous: 17 / (745 / 24), trend: 'worsening' }),
  cell(LT, ORG, 'month', NOV, 13.75, 4, 'grey', null, 72, { details: { p75: 24.5, p90: 25.4 } }),
  cell(CFR, ORG, 'month', NOV, 100 / 3, 3, 'grey', null, 15),
  cell(TTR, ORG, 'month', NOV, 15960, 1, 'grey', null, 60),
  cell(FDRT, ORG, 'month', NOV, 17400, 1, 'grey', null, 60),
  cell(RW, ORG, 'month', NOV, 100 / 3, 3, 'grey', null, 10),

  // ---------------------------------------------------------------- Q4 (partial: now is 2 December)
  cell(LT, ORG, 'quarter', NOV, 3.25, 24, 'green', 'elite', 72, { details: { p75: 15.375, p90: 41.4 } }),
];

/** After INC-W1's resolved_at moves from 09:40Z to 10:10Z (test c). */
export const changedIncident: IncidentRecord = { ...incidents[0]!, resolved_at: '2026-10-22T10:10:00Z' };

export const expectedAfterChange: ExpectedCell[] = [
  cell(TTR, ORG, 'week', W43, 65, 6, 'amber', null, 60, { details: { p90: 112.5 } }),
  cell(TTR, CHECKOUT, 'week', W43, 87.5, 4, 'grey', null, 60),
  cell(TTR, WEB, 'week', W43, 95, 2, 'grey', null, 60),
  cell(FDRT, ORG, 'week', W43, 1090, 3, 'grey', null, 60, { details: { p90: 1818 } }),
  cell(FDRT, WEB, 'week', W43, 635, 2, 'grey', null, 60),
  cell(TTR, ORG, 'month', OCT, 65, 8, 'amber', null, 60, { details: { p90: 109.5 } }),
  cell(FDRT, ORG, 'month', OCT, 180, 5, 'red', 'high', 60, { details: { p90: 1636 } }),
  cell(RW, ORG, 'week', W43, (100 * 3) / 13, 13, 'red', null, 10), // web-6 is still rework (resolved 40 min after it)
  cell(CFR, ORG, 'week', W43, (100 * 4) / 13, 13, 'red', 'low', 15), // unchanged
];
