// Request counts of the GitHub connector (issue #5, Performance): a backfill must use no more
// than 1.1x the minimum number of list pages its data needs, and an incremental pass over
// unchanged repositories must be all 304s (0 requests charged against the rate limit). Half the
// repositories are found by listing their organisation, whose pages count too.
// Runs `bellwether sync github`'s runner against a local server answering like GitHub (paging,
// ETags, the 1,000-result cap) from the recorded panjf2000/ants responses, cloned for volume.
// Counts, not timings: `npm run bench:github [-- --repos N]`; prints the ratios and writes
// bench/github-requests.json. Needs DATABASE_URL or runs on PGlite.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '../connectors/contract.js';
import { gitHubConnector } from '../connectors/github/index.js';
import { FAKE_TOKEN, startFakeGitHub, type ReceivedRequest } from '../connectors/github/testing/fake-github.js';
import { clonePullRequests, cloneRuns, seedAnts } from '../connectors/github/testing/recorded.js';
import { parseOrgConfig } from '../server/config.js';
import { syncOrg } from '../server/org/sync-org.js';
import { runSync } from '../server/sync/run-sync.js';
import { createBenchDatabase } from './database.js';

const PAGE = 100;
const { values } = parseArgs({ options: { repos: { type: 'string', default: '5' } } });
const repos = Number(values.repos);
const now = new Date('2022-09-10T00:00:00Z');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };

const api = await startFakeGitHub();
const names = Array.from({ length: repos }, (_, i) => `bench-org/service-${i}`);
// Each repository: the recorded pull requests, commits, runs and issues, plus clones so that
// lists take several pages (and runs cross the 1,000-result cap of a filtered query).
for (const [i, name] of names.entries()) {
  const repo = api.repository(name);
  seedAnts(repo);
  clonePullRequests(repo, 150 + 50 * i, 1000, new Date('2021-06-01T00:00:00Z'), 6 * 3_600_000);
  cloneRuns(repo, 1_200 + 100 * i, 40_000_000, new Date('2021-06-01T00:00:00Z'), 3 * 3_600_000);
}
// Half the repositories are listed by name under a service each; the organisation's listing
// finds the rest, which a catch-all pattern owns.
const named = names.slice(0, Math.ceil(repos / 2));
const orgYaml = `organisation: { name: Bench, time_zone: UTC }
teams: [{ id: eng }]
services:
${named.map((name, i) => `  - { id: service-${i}, owner: eng, repositories: [${name}] }`).join('\n')}
  - { id: the-rest, owner: eng, repositories: ['bench-org/*'] }
github:
  organizations: [{ name: bench-org }]
  incident_labels: [bug]
  since: 2018-01-01
`;
const org = parseOrgConfig(orgYaml);
const database = await createBenchDatabase(process.env.DATABASE_URL || undefined, 'github');
await syncOrg(database.db, org);
const services = org.services;
const connector = gitHubConnector({ auth: { token: FAKE_TOKEN }, baseUrl: api.url, waitUnitMs: 1, config: org.github!, services });
const sync = () => runSync(database.db, org, connector as never, org.github, { now, log: quiet });

/** The repository's list endpoints (a pull request's own commits and reviews are per-item requests, not list pages). */
const LISTS = ['pulls', 'commits', 'actions/runs', 'issues'] as const;

const before = api.requests.length;
const backfill = await sync();
const backfillRequests = api.requests.slice(before);
const incremental = await sync();
await database.close();
await api.close();

// The minimum: every item of every list on pages of 100 (what the data needs, read once).
let minimumPages = 0;
let listPages = 0;
const perList: Record<string, { pages: number; minimum: number }> = {};
for (const name of names) {
  const repo = api.repository(name);
  const items: Record<(typeof LISTS)[number], number> = {
    pulls: repo.pulls.length,
    commits: new Set(repo.commits.map((c: { sha: string }) => c.sha)).size,
    'actions/runs': repo.runs.length,
    issues: repo.issues.length,
  };
  for (const list of LISTS) {
    const minimum = Math.max(1, Math.ceil(items[list] / PAGE));
    const pages = backfillRequests.filter((r: ReceivedRequest) => r.path === `/repos/${name}/${list}`).length;
    minimumPages += minimum;
    listPages += pages;
    const entry = (perList[list] ??= { pages: 0, minimum: 0 });
    entry.pages += pages;
    entry.minimum += minimum;
  }
}
// The organisation's listing: its repositories on pages of 100.
const organisationPages = backfillRequests.filter((r: ReceivedRequest) => r.path === '/orgs/bench-org/repos').length;
perList['orgs/repos'] = { pages: organisationPages, minimum: Math.ceil(repos / PAGE) };
listPages += organisationPages;
minimumPages += Math.ceil(repos / PAGE);

const result = {
  repositories: repos,
  backfill: { status: backfill.status, records: backfill.records, requests: backfill.requests, list_pages: listPages, minimum_list_pages: minimumPages, per_list: perList },
  incremental: { status: incremental.status, records: incremental.records, requests: incremental.requests, not_modified: incremental.notModified, charged: incremental.requests - incremental.notModified },
  ratios: { backfill_pages_vs_minimum: listPages / minimumPages, incremental_charged_requests: incremental.requests - incremental.notModified },
  targets: [
    { name: 'backfill list pages', target: '<= 1.1 x minimum', value: listPages / minimumPages, pass: listPages / minimumPages <= 1.1 },
    { name: 'incremental pass over unchanged repositories', target: 'all 304 (0 charged)', value: incremental.requests - incremental.notModified, pass: incremental.requests > 0 && incremental.notModified === incremental.requests },
  ],
};
writeFileSync(new URL('github-requests.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
console.log(`GitHub connector request counts, ${repos} repositories (${backfill.records} records)`);
console.log(`  backfill: ${listPages} list pages for a minimum of ${minimumPages} (${(listPages / minimumPages).toFixed(3)}x), ${backfill.requests} requests in all`);
for (const [list, { pages, minimum }] of Object.entries(perList)) console.log(`    ${list.padEnd(14)} ${pages} pages, minimum ${minimum}`);
console.log(`  incremental, unchanged: ${incremental.requests} requests, ${incremental.notModified} answered 304, ${incremental.requests - incremental.notModified} charged`);
for (const target of result.targets) console.log(`   ${target.pass ? 'pass' : 'MISS'}  ${target.name} (${target.target}): ${target.value}`);
process.exitCode = result.targets.every((t) => t.pass) && backfill.status === 'succeeded' && incremental.status === 'succeeded' ? 0 : 1;
