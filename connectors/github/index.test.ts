// The connector's pull against a local server answering like GitHub from the recorded
// panjf2000/ants payloads and copies of them (testing/): first syncs, incremental syncs that
// cost nothing when nothing changed, exact resume after a crash, the 1,000-run cap, the
// refusal of a list that suddenly comes back empty, and request counts against the minimum.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, NormalizedRecord } from '../contract.js';
import type { GitHubConfig } from './config.js';
import { gitHubConnector, SourceError, streamKey, type GitHubCursor, type StreamKind } from './index.js';
import { FAKE_TOKEN, startFakeGitHub, type FakeGitHub, type FakeRepository } from './testing/fake-github.js';
import {
  addDeployment, addRelease, addStatuses, addTag, clonePullRequests, cloneRuns, openapiExample, recordedIssues, recordedPullRequestCommits, recordedPullRequests, REPOSITORY, seedAnts,
} from './testing/recorded.js';
import { testContext, type TestContext } from './testing/context.js';
import type { DeploymentStatus } from './payloads.js';
import { labelNames } from './map.js';

const now = new Date('2022-09-10T00:00:00Z');
const services = [{ id: 'ants', repositories: [REPOSITORY] }];
const config: GitHubConfig = {
  since: '2018-01-01',
  incident_labels: ['bug'],
  repositories: { [REPOSITORY]: { deployments: { workflow: { name: 'Tests', branch: 'master' } } } },
};

let api: FakeGitHub;
let repo: FakeRepository;
beforeEach(async () => {
  api = await startFakeGitHub();
  repo = api.repository(REPOSITORY);
});
afterEach(() => api.close());

const connector = (settings: GitHubConfig = config) => gitHubConnector({ auth: { token: FAKE_TOKEN }, baseUrl: api.url, waitUnitMs: 1, config: settings, services });

async function pull(kind: StreamKind, cursor: GitHubCursor | undefined, ctx: TestContext = testContext(now), options: { stopAfter?: number; settings?: GitHubConfig } = {}) {
  const batches: Batch<GitHubCursor>[] = [];
  for await (const batch of connector(options.settings).pull(streamKey(REPOSITORY, kind), cursor, ctx)) {
    batches.push(batch);
    if (batches.length >= (options.stopAfter ?? Infinity)) break; // the generator is abandoned here, as a crash would
  }
  return { batches, records: batches.flatMap((b) => b.records), cursor: batches.at(-1)!.cursor, ctx };
}

const of = <K extends NormalizedRecord['kind']>(records: NormalizedRecord[], kind: K) =>
  records.filter((r) => r.kind === kind).map((r) => r.record) as Extract<NormalizedRecord, { kind: K }>['record'][];
/** A record's identity, as ingest upserts it. */
const identity = (r: NormalizedRecord) =>
  r.kind === 'pull_request' ? `pr:${r.record.number}` : r.kind === 'commit' ? `commit:${r.record.sha}` : `${r.kind}:${(r.record as { external_id: string }).external_id}`;
/** The records by identity, the last one winning, as in ingest. */
const byIdentity = (records: NormalizedRecord[]) => new Map(records.map((r) => [identity(r), r.record]));
const listPages = (path: string) => api.requests.filter((r) => r.method === 'GET' && r.path === `/repos/${REPOSITORY}/${path}`);
const charged = (ctx: TestContext) => ctx.metrics.requests - ctx.metrics.notModified;

describe('streams', () => {
  it('has pull requests, commits, workflow runs, and issues when incident labels are set', () => {
    expect(connector().streams(config).map((key) => key.stream)).toEqual(['panjf2000/ants:pull_requests', 'panjf2000/ants:commits', 'panjf2000/ants:workflow_runs', 'panjf2000/ants:issues']);
  });

  it('adds deployments, releases or tags as the rules say', () => {
    const rules: GitHubConfig = { repositories: { [REPOSITORY]: { deployments: [{ github_deployments: { environment: '^prod' } }, { release: { tag_pattern: '^v' } }] } } };
    expect(connector(rules).streams(rules).map((key) => key.stream.split(':')[1])).toEqual(['pull_requests', 'commits', 'workflow_runs', 'deployments', 'releases']);
  });

  it('refuses a section that does not fit the services, listing every problem', () => {
    expect(() => connector({ repositories: { 'someone/else': {} } })).toThrow('someone/else: no service lists it');
  });

  it('refuses a stream it does not have', async () => {
    const iterator = connector().pull({ connector: 'github', stream: `${REPOSITORY}:deployments` }, undefined, testContext(now))[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('has no stream github/panjf2000/ants:deployments');
  });
});

describe('pull requests', () => {
  it('reads the recorded pull requests with their commits and first reviews, in one page', async () => {
    seedAnts(repo);
    const { records, cursor, ctx } = await pull('pull_requests', undefined);
    const pulls = of(records, 'pull_request');
    expect(pulls).toHaveLength(49);
    expect(pulls.filter((p) => p.merged_at)).toHaveLength(26);
    expect(pulls.find((p) => p.number === 41)!.first_review_at).toBe('2019-08-20T09:19:55.000Z');
    expect(pulls.find((p) => p.number === 4)).toMatchObject({ opened_at: '2018-07-25T08:19:30.000Z', merged_at: '2018-07-26T02:32:41.000Z' });
    expect(new Set(of(records, 'commit').map((c) => c.sha)).size).toBe(90);
    expect(listPages('pulls').map((r) => r.query.toString())).toEqual(['per_page=100&state=all&sort=updated&direction=desc&page=1']);
    // One list page, and each pull request's commits and reviews.
    expect(ctx.metrics).toMatchObject({ requests: 1 + 49 * 2, notModified: 0 });
    expect(cursor).toMatchObject({ version: 1, seen: 49, run: null, open: [] });
    expect(cursor.high_water).toBe(new Date(Math.max(...repo.pulls.map((p) => Date.parse(p.updated_at)))).toISOString());
    expect(Object.keys(cursor.etags)).toEqual([`/repos/${REPOSITORY}/pulls?direction=desc&page=1&sort=updated&state=all`]);
  });

  it('reads again only what changed since the high-water mark less the overlap', async () => {
    seedAnts(repo);
    const first = await pull('pull_requests', undefined);
    clonePullRequests(repo, 1, 500, new Date('2022-09-09T00:00:00Z'), 0);
    const { records, cursor, ctx } = await pull('pull_requests', first.cursor);
    // The new one, and the recorded ones updated within 7 days of the previous mark.
    const mark = Date.parse(first.cursor.high_water!);
    const recent = repo.pulls.filter((p) => Date.parse(p.updated_at) >= mark - 7 * 86_400_000).map((p) => p.number);
    expect(of(records, 'pull_request').map((p) => p.number).sort((a, b) => a - b)).toEqual(recent.sort((a, b) => a - b));
    expect(recent).toContain(500);
    expect(cursor.high_water).toBe('2022-09-09T02:00:00.000Z');
    expect(cursor.seen).toBe(49 + recent.length);
    expect(ctx.metrics.notModified).toBe(0);
  });

  it('refuses a list that suddenly comes back empty, instead of reading it as a deletion', async () => {
    seedAnts(repo);
    const { cursor } = await pull('pull_requests', undefined);
    repo.pulls.length = 0;
    await expect(pull('pull_requests', cursor)).rejects.toThrow(/lists no pull requests where 49 were read before; refusing/);
    await expect(pull('pull_requests', cursor)).rejects.toBeInstanceOf(SourceError);
  });

  it('resumes a stopped first sync exactly: the union is an uninterrupted run, and no page is fetched twice', async () => {
    clonePullRequests(repo, 250, 1000, new Date('2022-01-01T00:00:00Z'), 3_600_000);
    const whole = await pull('pull_requests', undefined);
    const pagesWhole = listPages('pulls').length;
    api.requests.length = 0;

    const stopped = await pull('pull_requests', undefined, testContext(now), { stopAfter: 1 });
    expect(stopped.cursor.run).toMatchObject({ page: 2, read: 100 });
    const resumed = await pull('pull_requests', stopped.cursor);
    expect(byIdentity([...stopped.records, ...resumed.records])).toEqual(byIdentity(whole.records));
    expect(resumed.cursor).toEqual(whole.cursor);
    const fetched = api.requests.map((r) => `${r.path}?${r.query}`);
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(listPages('pulls')).toHaveLength(pagesWhole);
    expect(pagesWhole).toBe(3);
  });

  it('follows a renamed repository (301) and counts both requests', async () => {
    seedAnts(repo);
    api.rename(REPOSITORY, 'panjf2000/ants-renamed');
    const { records, ctx } = await pull('pull_requests', undefined);
    expect(of(records, 'pull_request')).toHaveLength(49);
    expect(api.requests.filter((r) => r.status === 301)).toHaveLength(1 + 49 * 2);
    expect(ctx.metrics.requests).toBe(2 * (1 + 49 * 2));
  });

  it('waits out a secondary rate limit in the middle of a sync, and goes on', async () => {
    seedAnts(repo);
    api.respondNext({ status: 429, headers: { 'retry-after': '2' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } });
    const { records, ctx } = await pull('pull_requests', undefined);
    expect(of(records, 'pull_request')).toHaveLength(49);
    expect(ctx.metrics.requests).toBe(2 + 49 * 2);
    expect(ctx.logged).toEqual([expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ limit: 'secondary', retryAfterSeconds: 2, retrying: true }) })]);
  });
});

describe('a pull request of more than 250 commits', () => {
  it('is read again as the comparison of its base and head, which lists every commit', async () => {
    const [pullRequest] = recordedPullRequests().filter((p) => p.number === 4);
    const [template] = recordedPullRequestCommits().get(4)!;
    repo.pulls.push(pullRequest!);
    // 300 copies of its recorded commit, one a minute, each with its own sha and its predecessor as parent.
    const commits = Array.from({ length: 300 }, (_, i) => ({
      ...template!, sha: (i + 1).toString(16).padStart(40, '0'), parents: i ? [{ sha: i.toString(16).padStart(40, '0'), url: '' }] : template!.parents,
      commit: { ...template!.commit, author: { ...template!.commit.author!, date: new Date(Date.UTC(2018, 6, 25) + i * 60_000).toISOString() } },
    }));
    repo.pullCommits.set(4, commits);
    const { records } = await pull('pull_requests', undefined);
    const [record] = of(records, 'pull_request');
    expect(record!.commit_shas).toHaveLength(300);
    expect(new Set(of(records, 'commit').map((c) => c.sha)).size).toBe(300);
    // The capped list (3 pages up to 250), then the comparison (3 pages of 100).
    expect(listPages('pulls/4/commits')).toHaveLength(3);
    const compared = api.requests.filter((r) => r.path === `/repos/${REPOSITORY}/compare/${pullRequest!.base!.sha}...${pullRequest!.head!.sha}`);
    expect(compared.map((r) => r.query.get('page') ?? '1')).toEqual(['1', '2', '3']);
  });
});

describe('commits of the default branch', () => {
  it('reads them newest first down to the start, with parents', async () => {
    seedAnts(repo);
    const ctx = testContext(now, { since: new Date('2021-01-01T00:00:00Z') });
    const { records, cursor } = await pull('commits', undefined, ctx);
    const commits = of(records, 'commit');
    const expected = repo.commits.filter((c) => Date.parse(c.commit.committer!.date!) >= Date.parse('2021-01-01T00:00:00Z'));
    expect(commits.map((c) => c.sha).sort()).toEqual(expected.map((c) => c.sha).sort());
    expect(commits.every((c) => c.parents.length >= 1)).toBe(true);
    expect(cursor.high_water).toBe(new Date(Math.max(...expected.map((c) => Date.parse(c.commit.committer!.date!)))).toISOString());
    // `--since` bounds the first sync; the list itself is asked without it, so its first page can answer 304 later.
    expect(listPages('commits').map((r) => r.query.toString())).toEqual(['per_page=100&page=1']);
  });

  it('takes an empty repository (409) for no commits yet, and refuses it once commits were read', async () => {
    const empty = await pull('commits', undefined);
    expect(empty.records).toEqual([]);
    expect(empty.cursor).toMatchObject({ seen: 0, high_water: null, run: null });
    seedAnts(repo);
    const { cursor } = await pull('commits', empty.cursor);
    expect(cursor.seen).toBe(90);
    repo.commits.length = 0;
    await expect(pull('commits', cursor)).rejects.toThrow(/lists no commits where 90 were read before/);
  });
});

describe('workflow runs', () => {
  it('reads the recorded runs, each attempt of a re-run, and the deployments of the workflow rule', async () => {
    seedAnts(repo);
    const { records, cursor } = await pull('workflow_runs', undefined);
    const runs = of(records, 'ci_run');
    const ids = new Set(runs.map((r) => r.external_id));
    expect(ids.size).toBe(26);
    expect(ids).toContain('2589885628:1');
    expect(ids).toContain('2589885628:2');
    const rerun = runs.find((r) => r.external_id === '2589885628:2')!;
    expect((Date.parse(rerun.finished_at!) - Date.parse(rerun.started_at!)) / 1000).toBe(393);
    expect(runs.find((r) => r.external_id === '2589885628:1')!.status).toBe('failure');
    // Tests on master, pushed: 2566218975 (its status hand-edited to in_progress). 2589885628 is a pull request's run.
    expect(of(records, 'deployment').map((d) => [d.external_id, d.status])).toEqual([['workflow_run:2566218975:1', 'in_progress']]);
    expect(cursor).toMatchObject({ high_water: '2022-09-03T05:15:09.000Z', seen: 20, run: null });
    // The two runs still going are re-checked by id from now on.
    expect(cursor.open.map((o) => o.id).sort()).toEqual([2559507315, 2566218975]);
    expect(cursor.open.every((o) => o.etag !== null)).toBe(true);
  });

  it('picks up the completion of a run still going when it was read, on a later sync', async () => {
    seedAnts(repo);
    const first = await pull('workflow_runs', undefined);
    const going = repo.runs.find((r) => r.id === 2566218975)!;
    Object.assign(going, { status: 'completed', conclusion: 'success', updated_at: '2022-06-27T01:40:00Z' });
    const { records, cursor, ctx } = await pull('workflow_runs', first.cursor);
    // Its change shows on the list's first page, which is read again down to the mark less 7 days (2983238245);
    // the run itself was created before that, so it is re-checked by id.
    expect(of(records, 'ci_run').map((r) => [r.external_id, r.status, r.finished_at])).toEqual([
      ['2983238245:1', 'success', '2022-09-03T05:16:16.000Z'],
      ['2566218975:1', 'success', '2022-06-27T01:40:00.000Z'],
    ]);
    expect(of(records, 'deployment')).toEqual([expect.objectContaining({ external_id: 'workflow_run:2566218975:1', status: 'success' })]);
    expect(cursor.open.map((o) => o.id)).toEqual([2559507315]);
    // The list page and the completed run; the other open run is unchanged: a free 304.
    expect(ctx.metrics).toMatchObject({ requests: 3, notModified: 1 });
  });

  it('reads more than 1,000 runs in created windows cut at the cap, no page beyond it, using about the minimum of pages', async () => {
    // 2,600 runs over 2022, several per second at times (ours: copies of a recorded run).
    cloneRuns(repo, 1_300, 10_000_000, new Date('2022-01-01T00:00:00Z'), 600);
    cloneRuns(repo, 1_300, 20_000_000, new Date('2022-03-01T00:00:00Z'), 6 * 3_600_000);
    const { records, cursor, ctx } = await pull('workflow_runs', undefined, testContext(now, { since: new Date('2021-12-01T00:00:00Z') }));
    expect(new Set(of(records, 'ci_run').map((r) => r.external_id)).size).toBe(2_600);
    const pages = listPages('actions/runs');
    expect(pages.every((r) => r.status === 200)).toBe(true);
    expect(pages.every((r) => !r.query.has('created') || Number(r.query.get('page')) <= 10)).toBe(true);
    expect(pages.length / Math.ceil(2_600 / 100)).toBeLessThanOrEqual(1.1);
    expect(ctx.metrics.requests).toBe(pages.length);
    expect(cursor).toMatchObject({ run: null, seen: expect.any(Number), high_water: repo.runs.map((r) => r.created_at).sort().at(-1)!.replace('Z', '.000Z') });
  });

  it('resumes a stopped first sync inside its windows exactly, fetching no list page twice', async () => {
    cloneRuns(repo, 2_400, 30_000_000, new Date('2022-01-01T00:00:00Z'), 3 * 3_600_000);
    const ctx = () => testContext(now, { since: new Date('2021-12-01T00:00:00Z') });
    const whole = await pull('workflow_runs', undefined, ctx());
    api.requests.length = 0;
    let cursor: GitHubCursor | undefined;
    const parts: NormalizedRecord[] = [];
    // Stopped after every fourth batch, resumed each time from the last cursor yielded.
    for (let resumes = 0; resumes < 50; resumes++) {
      const part = await pull('workflow_runs', cursor, ctx(), { stopAfter: 4 });
      parts.push(...part.records);
      cursor = part.cursor;
      if (cursor.run === null) break;
    }
    expect(cursor!.run).toBeNull();
    expect(byIdentity(parts)).toEqual(byIdentity(whole.records));
    const fetched = listPages('actions/runs').map((r) => r.query.toString());
    expect(new Set(fetched).size).toBe(fetched.length);
    expect(cursor).toEqual(whole.cursor);
  });
});

describe('issues', () => {
  it('reads the issues labelled as incidents, asking GitHub to filter by the one label', async () => {
    seedAnts(repo);
    const { records } = await pull('issues', undefined);
    expect(of(records, 'incident').map((i) => i.external_id)).toEqual(['panjf2000/ants#7', 'panjf2000/ants#6']);
    expect(listPages('issues')[0]!.query.get('labels')).toBe('bug');
  });

  it('reads incidents and bugs in one listing, filtering here when their labels differ', async () => {
    seedAnts(repo);
    const settings: GitHubConfig = { ...config, bug_labels: ['bug', 'enhancement'] };
    const { records } = await pull('issues', undefined, undefined, { settings });
    expect(of(records, 'incident')).toHaveLength(2);
    // 3 issues labelled bug (one a pull request) and 8 labelled enhancement, as fixtures/README.md counts them, pull requests left out.
    const bugs = of(records, 'bug');
    expect(bugs.every((bug) => bug.labels!.some((label) => ['bug', 'enhancement'].includes(label)))).toBe(true);
    expect(bugs.length).toBe(recordedIssues().filter((i) => !i.pull_request && labelNames(i).some((l) => ['bug', 'enhancement'].includes(l))).length);
    expect(listPages('issues')[0]!.query.get('labels')).toBeNull();
  });
});

describe('GitHub deployments', () => {
  const settings: GitHubConfig = { since: '2022-01-01', repositories: { [REPOSITORY]: { deployments: { github_deployments: { environment: '^production$' } } } } };
  const [statusExample] = openapiExample<(DeploymentStatus & Record<string, unknown>)[]>('deployment-status-items');

  it('finishes a deployment at its success status, re-checks an unfinished one later, and fetches no statuses of other environments', async () => {
    addDeployment(repo, 1, 'production', '2022-08-01T10:00:00Z', [['in_progress', '2022-08-01T10:01:00Z'], ['success', '2022-08-01T10:05:00Z'], ['inactive', '2022-08-02T09:00:00Z']]);
    addDeployment(repo, 2, 'production', '2022-08-02T08:59:00Z', [['in_progress', '2022-08-02T09:00:00Z']]);
    addDeployment(repo, 3, 'staging', '2022-08-03T00:00:00Z', [['success', '2022-08-03T00:01:00Z']]);
    const first = await pull('deployments', undefined, testContext(now), { settings });
    expect(of(first.records, 'deployment').map((d) => [d.external_id, d.status, d.finished_at])).toEqual([
      ['deployment:2', 'in_progress', '2022-08-02T09:00:00.000Z'],
      ['deployment:1', 'success', '2022-08-01T10:05:00.000Z'],
    ]);
    expect(api.requests.some((r) => r.path.endsWith('/deployments/3/statuses'))).toBe(false);
    expect(first.cursor.open.map((o) => o.id)).toEqual([2]);

    // Deployment 2 succeeds: its list entry is unchanged (304), its statuses are not.
    addStatuses(repo, 2, [{ ...statusExample!, id: 299, state: 'success', created_at: '2022-08-02T09:10:00Z', updated_at: '2022-08-02T09:10:00Z' }]);
    const second = await pull('deployments', first.cursor, testContext(now), { settings });
    expect(of(second.records, 'deployment')).toEqual([expect.objectContaining({ external_id: 'deployment:2', status: 'success', finished_at: '2022-08-02T09:10:00.000Z' })]);
    expect(second.cursor.open).toEqual([]);
    expect(second.ctx.metrics).toMatchObject({ requests: 3, notModified: 1 });

    const third = await pull('deployments', second.cursor, testContext(now), { settings });
    expect(third.records).toEqual([]);
    expect(charged(third.ctx)).toBe(0);
  });
});

describe('releases and tags', () => {
  it('makes the published releases matching the pattern deployments, each with its tag’s commit', async () => {
    const settings: GitHubConfig = { since: '2022-01-01', repositories: { [REPOSITORY]: { deployments: { release: { tag_pattern: '^v\\d+\\.\\d+\\.\\d+$' } } } } };
    addRelease(repo, 1, 'v2.5.0', '2022-03-01T12:00:00Z');
    addRelease(repo, 2, 'v2.6.0-rc.1', '2022-04-01T12:00:00Z', { prerelease: true });
    addRelease(repo, 3, 'v2.6.0', '2022-05-01T12:00:00Z', { draft: true, published_at: null });
    addRelease(repo, 4, 'nightly', '2022-05-02T12:00:00Z');
    const { records } = await pull('releases', undefined, testContext(now), { settings });
    expect(of(records, 'deployment')).toEqual([
      expect.objectContaining({ external_id: 'release:1', status: 'success', finished_at: '2022-03-01T12:00:00.000Z', ref: 'v2.5.0', commit_sha: repo.tags.get('v2.5.0')!.sha }),
    ]);
    // Only the matching release's commit was looked up.
    expect(api.requests.filter((r) => r.path.includes('/commits/')).map((r) => r.path)).toEqual([`/repos/${REPOSITORY}/commits/v2.5.0`]);
  });

  it('makes matching tags deployments at their commit’s date, looking up only tags not read before', async () => {
    const settings: GitHubConfig = { repositories: { [REPOSITORY]: { deployments: { release: { tag_pattern: '^v', from: 'tags' } } } } };
    addTag(repo, 'v1.0.0', '2022-01-01T00:00:00Z');
    addTag(repo, 'experiment', '2022-01-02T00:00:00Z');
    const first = await pull('tags', undefined, testContext(now), { settings });
    expect(of(first.records, 'deployment').map((d) => [d.external_id, d.finished_at])).toEqual([['tag:panjf2000/ants:v1.0.0', '2022-01-01T00:00:00.000Z']]);
    const unchanged = await pull('tags', first.cursor, testContext(now), { settings });
    expect(unchanged.ctx.metrics).toMatchObject({ requests: 1, notModified: 1 });
    addTag(repo, 'v1.1.0', '2022-02-01T00:00:00Z');
    api.requests.length = 0;
    const next = await pull('tags', unchanged.cursor, testContext(now), { settings });
    expect(of(next.records, 'deployment').map((d) => d.ref)).toEqual(['v1.1.0']);
    expect(api.requests.map((r) => r.path)).toEqual([`/repos/${REPOSITORY}/git/matching-refs/tags`, `/repos/${REPOSITORY}/commits/v1.1.0`]);
  });
});

describe('request counts', () => {
  const kinds: StreamKind[] = ['pull_requests', 'commits', 'workflow_runs', 'issues'];

  it('a backfill uses no more list pages than its data needs, and an incremental pass over an unchanged repository is all 304s', async () => {
    seedAnts(repo);
    clonePullRequests(repo, 300, 1000, new Date('2021-06-01T00:00:00Z'), 6 * 3_600_000);
    cloneRuns(repo, 1_500, 40_000_000, new Date('2021-06-01T00:00:00Z'), 3 * 3_600_000);
    const cursors = new Map<StreamKind, GitHubCursor>();
    for (const kind of kinds) cursors.set(kind, (await pull(kind, undefined)).cursor);
    const minimum = { pulls: Math.ceil(349 / 100), commits: Math.ceil(90 / 100), 'actions/runs': Math.ceil(1_520 / 100), issues: 1 };
    for (const [path, pages] of Object.entries(minimum)) {
      expect(listPages(path).length / pages, path).toBeLessThanOrEqual(1.1);
    }

    const ctx = testContext(now);
    for (const kind of kinds) {
      const { records, cursor } = await pull(kind, cursors.get(kind), ctx);
      expect(records, kind).toEqual([]);
      expect(cursor.high_water, kind).toBe(cursors.get(kind)!.high_water);
    }
    expect(ctx.metrics.requests).toBeGreaterThanOrEqual(kinds.length);
    expect(charged(ctx)).toBe(0);
  });
});
