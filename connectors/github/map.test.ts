// map.ts on the recorded panjf2000/ants payloads (fixtures/README.md gives the figures asserted
// here) and on @octokit/openapi's examples for what the recordings lack (deployments, releases,
// tags). Every record must also pass the published schema the ingest layer validates with.
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { recordSchemas, type RecordKind } from '../contract.js';
import { resolveGitHubConfig, type GitHubConfig, type ResolvedConfig, type ResolvedRule } from './config.js';
import {
  ciRunRecord, ciStatus, commitRecord, deploymentOutcome, deploymentRecord, firstReviewAt, issueBugRecord, issueIncidentRecord, issueRecords, labelNames, pullRequestRecord,
  releaseDeploymentRecord, tagDeploymentRecord, workflowDeploymentRecord,
} from './map.js';
import type { Commit, Deployment, DeploymentStatus, Issue, Release, Review, Tag, WorkflowRun } from './payloads.js';
import { openapiExample, recordedIssues, recordedPullRequestCommits, recordedPullRequests, recordedReviews, recordedRuns, REPOSITORY } from './testing/recorded.js';

const seconds = (from: string, to: string | null | undefined) => (Date.parse(to!) - Date.parse(from)) / 1000;
const expectValid = (kind: RecordKind, record: unknown) => {
  const errors = [...Value.Errors(recordSchemas[kind], record)].map((error) => `${error.instancePath} ${error.message}`);
  expect(errors).toEqual([]);
};

describe('pull requests (recorded)', () => {
  const commits = recordedPullRequestCommits();
  const reviews = recordedReviews();
  const records = recordedPullRequests().map((pull) => pullRequestRecord(REPOSITORY, pull, commits.get(pull.number) ?? [], reviews.get(pull.number) ?? []));
  const byNumber = new Map(records.map((record) => [record.number, record]));

  it('reads the 49 distinct pull requests, #4 to #211, each a valid record', () => {
    expect(records).toHaveLength(49);
    expect(Math.min(...byNumber.keys())).toBe(4);
    expect(Math.max(...byNumber.keys())).toBe(211);
    for (const record of records) expectValid('pull_request', record);
  });

  it('counts 26 merged, by merged_at only, though every one of the 49 has a merge_commit_sha', () => {
    expect(recordedPullRequests().every((pull) => pull.merge_commit_sha)).toBe(true);
    const merged = records.filter((record) => record.merged_at).map((record) => record.number).sort((a, b) => a - b);
    expect(merged).toEqual([4, 13, 14, 15, 19, 23, 30, 39, 40, 41, 48, 51, 53, 79, 89, 100, 107, 114, 172, 174, 184, 185, 186, 189, 206, 210]);
    // The 23 others keep no sha: a sha without a merge is GitHub's test merge, and ingest refuses it.
    expect(records.filter((record) => !record.merged_at).every((record) => record.merge_commit_sha === null)).toBe(true);
    const states = recordedPullRequests().map((pull) => (pull.merged_at ? 'merged' : pull.state));
    expect(states.filter((state) => state === 'closed')).toHaveLength(19);
    expect(states.filter((state) => state === 'open')).toHaveLength(4);
  });

  it('parses #4: created 2018-07-25T08:19:30Z, merged 2018-07-26T02:32:41Z', () => {
    const pr4 = byNumber.get(4)!;
    expect(pr4).toMatchObject({
      repository: 'panjf2000/ants', opened_at: '2018-07-25T08:19:30.000Z', merged_at: '2018-07-26T02:32:41.000Z',
      merge_commit_sha: '3ddd58c390b0f928a5782c235f90ad0c9c21312c', author: 'barryz', url: 'https://github.com/panjf2000/ants/pull/4',
    });
  });

  it('takes the first review by someone other than the author', () => {
    // #41 by choleraehyq: their own comment at 09:05:02 is not a review; panjf2000's at 09:19:55 is.
    expect(byNumber.get(41)!.first_review_at).toBe('2019-08-20T09:19:55.000Z');
    expect(byNumber.get(51)!.first_review_at).toBe('2019-09-11T12:07:36.000Z');
    // #53: a CHANGES_REQUESTED review counts as a review.
    expect(byNumber.get(53)!.first_review_at).toBe('2019-10-07T16:56:26.000Z');
    expect(records.filter((record) => record.first_review_at).map((record) => record.number).sort()).toEqual([41, 51, 53]);
  });

  it('reads the recorded review states: 30 distinct reviews, on #41 (13 rows less the connection-2 copy), #51 (3) and #53 (15)', () => {
    const all = [...reviews.values()].flat();
    expect(all).toHaveLength(30);
    expect(new Set(all.map((review) => review.id)).size).toBe(30);
    const states = Object.fromEntries(['COMMENTED', 'CHANGES_REQUESTED', 'APPROVED'].map((state) => [state, all.filter((review) => review.state === state).length]));
    expect(states).toEqual({ COMMENTED: 27, CHANGES_REQUESTED: 3, APPROVED: 0 });
    expect(new Map([...reviews].map(([number, list]) => [number, list.length]))).toEqual(new Map([[41, 12], [51, 3], [53, 15]]));
  });

  it('lists each pull request’s commits: 90 shas over 43 pull requests', () => {
    const withCommits = records.filter((record) => record.commit_shas!.length);
    expect(withCommits).toHaveLength(43);
    expect(new Set(withCommits.flatMap((record) => record.commit_shas)).size).toBe(90);
  });
});

describe('firstReviewAt (ours: review lists built for the rules the recordings do not exercise)', () => {
  it('counts @octokit/openapi’s APPROVED review example, and not when its reviewer is the author', () => {
    const reviews = openapiExample<Review[]>('pull-request-review-items');
    expect(firstReviewAt('someone', reviews)).toBe('2019-11-17T17:43:43.000Z');
    expect(firstReviewAt('octocat', reviews)).toBeNull();
  });

  const review = (login: string, submitted_at: string | null, state = 'COMMENTED', type = 'User'): Review => ({ id: 1, user: { login, type }, state, submitted_at });
  it.each<[string, Review[], string | null]>([
    ['no reviews', [], null],
    ['only the author’s own', [review('alice', '2024-01-01T10:00:00Z')], null],
    ['a pending review has no submitted_at', [review('bob', null, 'PENDING')], null],
    ['a dismissed review was a review', [review('bob', '2024-01-01T11:00:00Z', 'DISMISSED')], '2024-01-01T11:00:00.000Z'],
    ['a bot does not count', [review('dependabot[bot]', '2024-01-01T09:00:00Z', 'APPROVED', 'Bot'), review('bob', '2024-01-01T12:00:00Z', 'APPROVED')], '2024-01-01T12:00:00.000Z'],
    ['the earliest, whatever the order', [review('carol', '2024-01-02T00:00:00Z'), review('bob', '2024-01-01T12:00:00Z')], '2024-01-01T12:00:00.000Z'],
  ])('%s', (_name, reviews, expected) => {
    expect(firstReviewAt('alice', reviews)).toBe(expected);
  });
});

describe('commits (recorded pull request commits)', () => {
  const all = [...recordedPullRequestCommits().values()].flat();
  const records = all.map((commit) => commitRecord(REPOSITORY, commit));

  it('reads 90 commits, each a valid record with its parents', () => {
    expect(records).toHaveLength(90);
    for (const record of records) expectValid('commit', record);
    expect(records.filter((record) => record.parents.length === 2)).toHaveLength(16);
    expect(records.every((record) => record.parents.length >= 1)).toBe(true);
  });

  it('names the git author when the commit is not linked to a GitHub account (11 of them)', () => {
    const unlinked = all.filter((commit) => !commit.author);
    expect(unlinked).toHaveLength(11);
    const first = commitRecord(REPOSITORY, unlinked[0]!);
    expect(first.author).toBe(unlinked[0]!.commit.author!.name);
    expect(first.authored_at).toBe(new Date(unlinked[0]!.commit.author!.date!).toISOString());
  });

  it('keeps the author and committer dates apart: 5bbc9e1 authored 2019-01-21T10:57:23Z, committed 2019-01-22T05:09:19Z', () => {
    const record = records.find((r) => r.sha === '5bbc9e170bbee27c37bcc30da3da75b4531d1edb')!;
    expect(record).toMatchObject({ authored_at: '2019-01-21T10:57:23.000Z', committed_at: '2019-01-22T05:09:19.000Z', author: 'choleraehyq', parents: ['812dd4e01075be3cf97429a43abaf6837908cdcd'] });
  });

  it('never puts the author date after the committer date (ours: a skewed clock)', () => {
    const skewed: Commit = { sha: 'a'.repeat(40), parents: [], commit: { author: { name: 'x', date: '2024-01-02T00:00:00Z' }, committer: { date: '2024-01-01T00:00:00Z' } } };
    expect(commitRecord('a/b', skewed)).toMatchObject({ authored_at: '2024-01-01T00:00:00.000Z', committed_at: '2024-01-01T00:00:00.000Z', parents: [] });
  });

  it('reads @octokit/openapi’s commit list example', () => {
    const [example] = openapiExample<Commit[]>('commit-items');
    const record = commitRecord('octocat/Hello-World', example!);
    expectValid('commit', record);
    expect(record).toMatchObject({ sha: '6dcb09b5b57875f334f61aebed695e2e4193db5e', author: 'octocat', authored_at: '2011-04-14T16:00:49.000Z', parents: ['6dcb09b5b57875f334f61aebed695e2e4193db5e'] });
  });
});

describe('workflow runs (recorded)', () => {
  const { recorded, synthetic } = recordedRuns();
  const records = recorded.map((run) => ciRunRecord(REPOSITORY, run));
  const byId = new Map(recorded.map((run, i) => [run.id, records[i]!]));

  it('reads the 20 recorded runs, each a valid record keyed by run id and attempt', () => {
    expect(records).toHaveLength(20);
    for (const record of records) expectValid('ci_run', record);
    expect(records[0]!.external_id).toBe('2983238245:1');
    expect(byId.get(2589885628)!.external_id).toBe('2589885628:2');
    expect(new Set(records.map((record) => record.workflow))).toEqual(new Set(['Tests', 'CodeQL', 'Lint']));
  });

  it('reads the status/conclusion pairs as given (four of them hand-edited in the recording)', () => {
    const count = (status: string) => records.filter((record) => record.status === status).length;
    expect({ success: count('success'), failure: count('failure'), in_progress: count('in_progress') }).toEqual({ success: 16, failure: 2, in_progress: 2 });
    expect(byId.get(2589885635)!.status).toBe('failure');
    expect(byId.get(2566218975)).toMatchObject({ status: 'in_progress', finished_at: null });
  });

  it('times a run from run_started_at: 2589885628 ran 13:34:14 → 13:40:47 = 393 s, though created the day before', () => {
    const record = byId.get(2589885628)!;
    expect(record).toMatchObject({ started_at: '2022-07-01T13:34:14.000Z', finished_at: '2022-07-01T13:40:47.000Z', event: 'pull_request', commit_sha: 'fa93833' + record.commit_sha!.slice(7) });
    expect(seconds(record.started_at!, record.finished_at)).toBe(393);
    const durations = records.filter((r) => r.finished_at).map((r) => seconds(r.started_at!, r.finished_at));
    expect(durations).toHaveLength(18);
    expect(Math.min(...durations)).toBe(29);
    expect(Math.max(...durations)).toBe(393);
  });

  it('maps every conclusion of the synthetic copies (uppercase statuses, not real API output)', () => {
    const statuses = Object.fromEntries(synthetic.map((run) => [run.conclusion || run.status, ciStatus(run.status, run.conclusion)]));
    expect(statuses).toEqual({
      success: 'success', failure: 'failure', cancelled: 'cancelled', timed_out: 'failure', startup_failure: 'failure', neutral: 'neutral', skipped: 'skipped',
      stale: 'cancelled', action_required: 'queued', IN_PROGRESS: 'in_progress', QUEUED: 'queued', WAITING: 'queued', PENDING: 'queued', REQUESTED: 'queued',
    });
  });

  it('reads @octokit/openapi’s current-API run (with display_title) as a queued run, not finished', () => {
    const { workflow_runs: [example] } = openapiExample<{ total_count: number; workflow_runs: WorkflowRun[] }>('workflow-run-paginated');
    const record = ciRunRecord('octo-org/octo-repo', example!);
    expectValid('ci_run', record);
    expect(record).toMatchObject({ external_id: '30433642:1', workflow: 'Build', status: 'queued', started_at: '2020-01-22T19:33:08.000Z', finished_at: null, branch: 'master', event: 'push' });
  });

  it.each<[string | null, string | null, string]>([
    ['completed', 'success', 'success'],
    ['completed', 'timed_out', 'failure'],
    ['completed', 'startup_failure', 'failure'],
    ['completed', 'neutral', 'neutral'],
    ['completed', 'skipped', 'skipped'],
    ['completed', 'cancelled', 'cancelled'],
    ['completed', null, 'neutral'],
    ['in_progress', null, 'in_progress'],
    ['queued', null, 'queued'],
    [null, null, 'queued'],
  ])('ciStatus(%s, %s) = %s', (status, conclusion, expected) => {
    expect(ciStatus(status, conclusion)).toBe(expected);
  });

  it('makes a deployment of a run of the rule’s workflow on its branch, per attempt, and not of a pull request’s run', () => {
    const rule: Extract<ResolvedRule, { kind: 'workflow' }> = { kind: 'workflow', service: 'ants', environment: 'production', workflow: 'Tests', branch: 'master' };
    const deployments = recorded.map((run) => workflowDeploymentRecord(run, rule)).filter((record) => record !== null);
    // Tests on master: 2566218975 (push) only; 2589885628 ran on master too, but for a pull request.
    expect(deployments.map((record) => record.external_id)).toEqual(['workflow_run:2566218975:1']);
    expect(deployments[0]).toMatchObject({ service: 'ants', environment: 'production', status: 'in_progress', ref: 'master' });
    const codeql = recorded.map((run) => workflowDeploymentRecord(run, { ...rule, workflow: 'CodeQL' })).filter((record) => record !== null);
    expect(codeql.map((record) => record.status)).toEqual([...Array(10).fill('success'), 'success', 'in_progress']);
    for (const record of codeql) expectValid('deployment', record);
  });
});

describe('deployments (ours: statuses built on @octokit/openapi’s deployment example)', () => {
  const [deployment] = openapiExample<Deployment[]>('deployment-items');
  const [statusExample] = openapiExample<DeploymentStatus[]>('deployment-status-items');
  const status = (id: number, state: string, created_at: string): DeploymentStatus => ({ ...statusExample!, id, state, created_at, updated_at: created_at });
  const rule: Extract<ResolvedRule, { kind: 'github_deployments' }> = { kind: 'github_deployments', service: 'example', environment: /^prod(uction)?$/i };

  it('finishes at the SUCCESS status, not at updated_at nor at the later inactive status', () => {
    const superseded = { ...deployment!, updated_at: '2012-07-25T00:00:00Z' };
    const statuses = [status(3, 'inactive', '2012-07-25T00:00:00Z'), status(2, 'success', '2012-07-20T01:25:00Z'), status(1, 'in_progress', '2012-07-20T01:20:00Z')];
    const record = deploymentRecord(superseded, statuses, rule)!;
    expectValid('deployment', record);
    expect(record).toMatchObject({
      external_id: 'deployment:1', service: 'example', environment: 'production', status: 'success', finished_at: '2012-07-20T01:25:00.000Z',
      started_at: '2012-07-20T01:19:13.000Z', commit_sha: 'a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d', ref: 'topic-branch', url: 'https://example.com/deployment/42/output',
    });
  });

  it.each<[string, DeploymentStatus[], string, string]>([
    ['no status yet', [], 'queued', '2012-07-20T01:19:13.000Z'],
    ['in progress', [status(1, 'in_progress', '2012-07-20T01:20:00Z')], 'in_progress', '2012-07-20T01:20:00.000Z'],
    ['pending', [status(1, 'pending', '2012-07-20T01:20:00Z')], 'queued', '2012-07-20T01:20:00.000Z'],
    ['failed', [status(1, 'in_progress', '2012-07-20T01:20:00Z'), status(2, 'failure', '2012-07-20T01:21:00Z')], 'failure', '2012-07-20T01:21:00.000Z'],
    ['error', [status(1, 'error', '2012-07-20T01:21:00Z')], 'error', '2012-07-20T01:21:00.000Z'],
    ['superseded before any status', [status(1, 'inactive', '2012-07-21T00:00:00Z')], 'cancelled', '2012-07-21T00:00:00.000Z'],
  ])('%s', (_name, statuses, expected, finishedAt) => {
    expect(deploymentOutcome(deployment!, statuses)).toMatchObject({ status: expected, finishedAt });
  });

  it('skips a deployment to an environment the rule does not match', () => {
    expect(deploymentRecord({ ...deployment!, environment: 'staging' }, [], rule)).toBeNull();
  });
});

describe('releases and tags (@octokit/openapi examples)', () => {
  const [release] = openapiExample<Release[]>('release-items');
  const [tag] = openapiExample<Tag[]>('tag-items');
  const [commit] = openapiExample<Commit[]>('commit-items');
  const rule: Extract<ResolvedRule, { kind: 'release' }> = { kind: 'release', service: 'hello', environment: 'production', tagPattern: /^v\d/, from: 'releases' };

  it('makes a published release whose tag matches a deployment at its publish time', () => {
    const record = releaseDeploymentRecord(release!, 'c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc', rule)!;
    expectValid('deployment', record);
    expect(record).toMatchObject({
      external_id: 'release:1', status: 'success', finished_at: '2013-02-27T19:35:32.000Z', ref: 'v1.0.0', commit_sha: 'c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc',
      url: 'https://github.com/octocat/Hello-World/releases/v1.0.0',
    });
  });

  it.each<[string, Partial<Release>]>([
    ['a draft', { draft: true }],
    ['a prerelease', { prerelease: true }],
    ['an unpublished release', { published_at: null }],
    ['a tag outside the pattern', { tag_name: 'nightly-2013-02-27' }],
  ])('skips %s', (_name, change) => {
    expect(releaseDeploymentRecord({ ...release!, ...change }, null, rule)).toBeNull();
  });

  it('makes a matching tag a deployment at its commit’s committer date', () => {
    const record = tagDeploymentRecord('octocat/Hello-World', tag!, commit!, { ...rule, tagPattern: /^v0\./, from: 'tags' })!;
    expectValid('deployment', record);
    expect(record).toMatchObject({ external_id: 'tag:octocat/Hello-World:v0.1', finished_at: '2011-04-14T16:00:49.000Z', commit_sha: 'c5b97d5ae6c19d5c5df71a34c7fbeeda2479ccbc', ref: 'v0.1' });
    expect(tagDeploymentRecord('octocat/Hello-World', tag!, commit!, { ...rule, tagPattern: /^release-/, from: 'tags' })).toBeNull();
  });
});

describe('incident issues (recorded)', () => {
  const config: ResolvedConfig = resolveGitHubConfig({ incident_labels: ['Bug'], severity_labels: { question: 'sev4' } }, [{ id: 'ants', repositories: [REPOSITORY] }]).resolved;
  const issues = recordedIssues();

  it('reads 41 distinct issues, 15 of them pull requests', () => {
    expect(issues).toHaveLength(41);
    expect(issues.filter((issue) => issue.pull_request)).toHaveLength(15);
  });

  it('makes the issues labelled bug incidents, not the pull request #8 labelled bug', () => {
    const records = issues.map((issue) => issueIncidentRecord(REPOSITORY, issue, 'ants', config)).filter((record) => record !== null);
    expect(records.map((record) => record.external_id)).toEqual(['panjf2000/ants#6', 'panjf2000/ants#7']);
    for (const record of records) expectValid('incident', record);
    expect(records[0]).toMatchObject({ service: 'ants', severity: 'sev3', created_at: '2018-08-03T04:32:28.000Z', resolved_at: '2018-08-04T10:18:41.000Z', url: 'https://github.com/panjf2000/ants/issues/6' });
  });

  it('takes the severity from labels: configured, sevN, PN; the most severe wins', () => {
    const issue = issues.find((i) => i.number === 6)!;
    const labelled = (...names: string[]) => issueIncidentRecord(REPOSITORY, { ...issue, labels: [...names, 'bug'].map((name) => ({ name })) }, 'ants', config)!.severity;
    expect(labelled('question')).toBe('sev4');
    expect(labelled('sev-2')).toBe('sev2');
    expect(labelled('P1', 'sev3')).toBe('sev1');
    expect(labelled()).toBe('sev3');
  });

  it('takes no pull request from the issues list for an incident (@octokit/openapi’s example is one)', () => {
    const [example] = openapiExample<Issue[]>('issue-items');
    expect(labelNames(example!)).toEqual(['bug']);
    expect(issueIncidentRecord('octocat/Hello-World', example!, 'hello', config)).toBeNull();
  });

  it('leaves a reopened issue unresolved', () => {
    const issue = { ...issues.find((i) => i.number === 6)!, state: 'open', closed_at: null };
    expect(issueIncidentRecord(REPOSITORY, issue, 'ants', config)!.resolved_at).toBeNull();
  });
});

describe('bug issues (recorded)', () => {
  const owners = [{ id: 'ants', repositories: [REPOSITORY] }];
  const issues = recordedIssues();
  const resolved = (config: GitHubConfig) => resolveGitHubConfig(config, owners).resolved;

  it('makes the issues labelled bug bugs (not the pull request #8), all found in production when no production label is configured', () => {
    const config = resolved({ bug_labels: ['BUG'] });
    const records = issues.map((issue) => issueBugRecord(REPOSITORY, issue, 'ants', config)).filter((record) => record !== null);
    expect(records.map((record) => record.external_id)).toEqual(['panjf2000/ants#6', 'panjf2000/ants#7']);
    for (const record of records) expectValid('bug', record);
    expect(records[0]).toEqual({
      source: 'github', external_id: 'panjf2000/ants#6', service: 'ants', repository: REPOSITORY, severity: 'sev3', title: records[0]!.title,
      created_at: '2018-08-03T04:32:28.000Z', closed_at: '2018-08-04T10:18:41.000Z', found_in_production: true,
      url: 'https://github.com/panjf2000/ants/issues/6', labels: ['bug'],
    });
  });

  it('is found in production only with a production label when those are configured; severity as for incidents', () => {
    const config = resolved({ bug_labels: ['bug'], production_bug_labels: ['Customer-Reported'] });
    const issue = issues.find((i) => i.number === 6)!;
    expect(issueBugRecord(REPOSITORY, issue, 'ants', config)!.found_in_production).toBe(false);
    const reported = { ...issue, labels: [{ name: 'bug' }, { name: 'customer-reported' }, { name: 'P2' }] };
    expect(issueBugRecord(REPOSITORY, reported, 'ants', config)).toMatchObject({ found_in_production: true, severity: 'sev2', labels: ['bug', 'customer-reported', 'P2'] });
  });

  it('an issue with an incident label and a bug label is both', () => {
    const config = resolved({ incident_labels: ['bug'], bug_labels: ['bug'] });
    expect(issueRecords(REPOSITORY, issues.find((i) => i.number === 6)!, 'ants', config).map((r) => r.kind)).toEqual(['incident', 'bug']);
    expect(issueRecords(REPOSITORY, issues.find((i) => i.number === 8)!, 'ants', config)).toEqual([]);
  });
});
