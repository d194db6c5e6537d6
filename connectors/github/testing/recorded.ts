// Test helper: the recorded GitHub payloads in ../fixtures/ (see its README). DevLake rows
// recorded under another connection are copies and are left out, as the README says; the
// synthetic workflow runs (uppercase statuses) are kept apart from the recorded ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Commit, Deployment, DeploymentStatus, Issue, PullRequest, Release, Review, WorkflowRun } from '../payloads.js';
import type { FakeRepository } from './fake-github.js';

export const FIXTURES = new URL('../fixtures/', import.meta.url);

export interface WebhookExampleEvent {
  name: string;
  examples: Record<string, unknown>[];
}
let exampleEvents: WebhookExampleEvent[] | undefined;
/** Every event of @octokit/webhooks-examples (api.github.com) with its example payloads, read once. */
export function webhookExampleEvents(): WebhookExampleEvent[] {
  exampleEvents ??= JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@octokit/webhooks-examples/api.github.com/index.json'), 'utf8')) as WebhookExampleEvent[];
  return exampleEvents;
}
/** The example payloads of one event. */
export const webhookExamples = (name: string): Record<string, unknown>[] => webhookExampleEvents().find((event) => event.name === name)!.examples;
export const REPOSITORY = 'panjf2000/ants';

interface Row<T> {
  request: { url: string; params: string; input: string };
  body: T;
  source_row: { id: string; created_at: string };
}

/** The rows of connection 1 only. One `params` cell is invalid JSON (events.json): such rows are dropped too. */
function rows<T>(name: string): Row<T>[] {
  const all = JSON.parse(readFileSync(new URL(`ants/${name}.json`, FIXTURES), 'utf8')) as Row<T>[];
  return all.filter((row) => {
    try {
      return (JSON.parse(row.request.params) as { ConnectionId?: number }).ConnectionId === 1;
    } catch {
      return false;
    }
  });
}
const inputNumber = (row: Row<unknown>) => (JSON.parse(row.request.input) as { Number: number }).Number;

/** The 49 distinct pull requests, in file order. */
export const recordedPullRequests = () => rows<PullRequest & Record<string, unknown>>('pull_requests').map((row) => row.body);

/** Each pull request's commits (GET /pulls/{n}/commits), in file order. */
export function recordedPullRequestCommits(): Map<number, (Commit & Record<string, unknown>)[]> {
  const byNumber = new Map<number, (Commit & Record<string, unknown>)[]>();
  for (const row of rows<Commit & Record<string, unknown>>('pull_request_commits')) byNumber.set(inputNumber(row), [...(byNumber.get(inputNumber(row)) ?? []), row.body]);
  return byNumber;
}

/** Each pull request's reviews (only #41, #51 and #53 have any). */
export function recordedReviews(): Map<number, (Review & Record<string, unknown>)[]> {
  const byNumber = new Map<number, (Review & Record<string, unknown>)[]>();
  for (const row of rows<Review & Record<string, unknown>>('pull_request_reviews')) byNumber.set(inputNumber(row), [...(byNumber.get(inputNumber(row)) ?? []), row.body]);
  return byNumber;
}

/**
 * Workflow runs. `recorded`: the 20 rows of the recorded shape (source rows 1–20; four have
 * hand-edited status/conclusion and one an edited head_branch, which the README lists: they
 * are read as given). `synthetic`: the 15 copies of run 2559400712 with made-up uppercase
 * statuses, which are not real API output.
 */
export function recordedRuns(): { recorded: (WorkflowRun & Record<string, unknown>)[]; synthetic: (WorkflowRun & Record<string, unknown>)[] } {
  const all = rows<WorkflowRun & Record<string, unknown>>('runs');
  const synthetic = all.filter((row) => row.body.id >= 2559400722 && row.body.id <= 2559400736);
  return { recorded: all.filter((row) => !synthetic.includes(row)).map((row) => row.body), synthetic: synthetic.map((row) => row.body) };
}

/** The 41 distinct issues (15 are pull requests). */
export const recordedIssues = () => rows<Issue & Record<string, unknown>>('issues').map((row) => row.body);

/** An example body copied from @octokit/openapi (fixtures/openapi/, MIT). */
export const openapiExample = <T>(name: string): T => JSON.parse(readFileSync(new URL(`openapi/${name}.json`, FIXTURES), 'utf8')) as T;

// ---------------------------------------------------------------- seeding the fake server

/**
 * panjf2000/ants as recorded: pull requests with their commits and reviews, workflow runs
 * (the 20 recorded ones), issues. Two things are ours, since nothing was recorded for them:
 * the default branch is the recorded pull-request commits (there is no commits file), and each
 * run re-run once (run_attempt 2) gets a first attempt, a failure an hour after creation.
 */
export function seedAnts(repo: FakeRepository): FakeRepository {
  repo.pulls.push(...recordedPullRequests());
  for (const [number, commits] of recordedPullRequestCommits()) repo.pullCommits.set(number, commits);
  for (const [number, reviews] of recordedReviews()) repo.reviews.set(number, reviews);
  const distinct = new Map([...recordedPullRequestCommits().values()].flat().map((commit) => [commit.sha, commit]));
  repo.commits.push(...distinct.values());
  const { recorded } = recordedRuns();
  repo.runs.push(...recorded);
  for (const run of recorded.filter((r) => r.run_attempt === 2)) {
    const failedAt = new Date(Date.parse(run.created_at) + 3_600_000).toISOString().replace('.000Z', 'Z');
    repo.attempts.set(run.id, [{ ...run, run_attempt: 1, status: 'completed', conclusion: 'failure', run_started_at: run.created_at, updated_at: failedAt }]);
  }
  repo.issues.push(...recordedIssues());
  return repo;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** `count` copies of the recorded pull requests (ours, for volume): numbers from `firstNumber`, created and updated one every `spacingMs` from `start`, with their source's commits and reviews. */
export function clonePullRequests(repo: FakeRepository, count: number, firstNumber: number, start: Date, spacingMs: number): void {
  const pulls = recordedPullRequests();
  const commits = recordedPullRequestCommits();
  const reviews = recordedReviews();
  for (let i = 0; i < count; i++) {
    const source = pulls[i % pulls.length]!;
    const at = start.getTime() + i * spacingMs;
    const merged = source.merged_at ? isoSeconds(at + 3_600_000) : null;
    repo.pulls.push({ ...source, number: firstNumber + i, created_at: isoSeconds(at), updated_at: isoSeconds(at + 7_200_000), merged_at: merged, closed_at: merged ?? source.closed_at ?? null });
    repo.pullCommits.set(firstNumber + i, commits.get(source.number) ?? []);
    repo.reviews.set(firstNumber + i, (reviews.get(source.number) ?? []).map((review) => ({ ...review, submitted_at: isoSeconds(at + 1_800_000) })));
  }
}

/**
 * `count` copies of recorded run 2589885628 (ours, for volume), slimmed to the fields a list
 * item needs; ids from `firstId`, created one every `spacingMs` from `start` (several may share
 * a second when spacingMs < 1000), each completed 393 s after it started.
 */
export function cloneRuns(repo: FakeRepository, count: number, firstId: number, start: Date, spacingMs: number): void {
  const source = recordedRuns().recorded.find((run) => run.id === 2589885628)!;
  const { repository: _r, head_repository: _h, head_commit: _c, actor: _a, triggering_actor: _t, ...slim } = source;
  for (let i = 0; i < count; i++) {
    const at = Math.floor((start.getTime() + i * spacingMs) / 1000) * 1000;
    repo.runs.push({ ...slim, id: firstId + i, run_attempt: 1, event: 'push', created_at: isoSeconds(at), run_started_at: isoSeconds(at), updated_at: isoSeconds(at + 393_000) });
  }
}

/** A deployment built on @octokit/openapi's example (ours), with statuses built on its status example: [state, at] oldest first. */
export function addDeployment(repo: FakeRepository, id: number, environment: string, createdAt: string, statuses: [string, string][]): void {
  const [deployment] = openapiExample<(Deployment & Record<string, unknown>)[]>('deployment-items');
  const [status] = openapiExample<(DeploymentStatus & Record<string, unknown>)[]>('deployment-status-items');
  repo.deployments.push({ ...deployment!, id, environment, created_at: createdAt, updated_at: statuses.at(-1)?.[1] ?? createdAt });
  addStatuses(repo, id, statuses.map(([state, at], i) => ({ ...status!, id: id * 100 + i, state, environment, created_at: at, updated_at: at })));
}
export function addStatuses(repo: FakeRepository, id: number, statuses: (DeploymentStatus & Record<string, unknown>)[]): void {
  repo.statuses.set(id, [...(repo.statuses.get(id) ?? []), ...statuses]);
}

/** A release built on @octokit/openapi's example (ours), its tag pointing at the example commit. */
export function addRelease(repo: FakeRepository, id: number, tag: string, createdAt: string, change: Partial<Release> = {}): void {
  const [release] = openapiExample<(Release & Record<string, unknown>)[]>('release-items');
  repo.releases.push({ ...release!, id, tag_name: tag, name: tag, created_at: createdAt, published_at: createdAt, html_url: `https://github.com/${repo.fullName}/releases/${tag}`, ...change });
  addTag(repo, tag, createdAt);
}

/** A tag on a copy of @octokit/openapi's example commit (ours), committed at `committedAt`. */
export function addTag(repo: FakeRepository, tag: string, committedAt: string): void {
  const [commit] = openapiExample<(Commit & Record<string, unknown>)[]>('commit-items');
  const sha = createHash('sha1').update(tag).digest('hex');
  repo.tags.set(tag, { ...commit!, sha, commit: { ...commit!.commit, author: { ...commit!.commit.author, date: committedAt }, committer: { ...commit!.commit.committer, date: committedAt } } });
}
