// The GitHub connector: for every repository of a service in bellwether.yaml, streams of pull
// requests (with their commits and first review), default-branch commits, Actions workflow
// runs, and — as the repository's deployment rule says — deployments, releases or tags; and
// incident and bug issues when labels are configured. Each stream reads newest first down to its
// high-water mark less an overlap, one batch per page, each with the cursor that is valid
// once it is stored (cursor.ts says what it holds). Unchanged lists answer 304 for free.
import type { Batch, Connector, NormalizedRecord, StreamKey, SyncContext } from '../contract.js';
import { createGitHubClient, PAGE_SIZE, SourceError, type GitHubClient, type GitHubClientOptions, type Query } from './client.js';
import {
  backfillStart, resolveGitHubConfig, type GitHubConfig, type ListedRepository, type OrganisationPlan, type RepositoryPlan, type ResolvedConfig, type ResolvedRule,
  type ServiceRepositories,
} from './config.js';
import { later, parseCursor, requestKey, runStart, type CreatedWindow, type GitHubCursor, type ListingPage, type RunState } from './cursor.js';
import {
  commitRecord, deploymentRecord, instant, isDeployedRelease, issueRecords, pullRequestRecord, releaseDeploymentRecord, runAttempt, runRecords,
  SOURCE, tagDeploymentRecord,
} from './map.js';
import type { Commit, Deployment, DeploymentStatus, Issue, PullRequest, Release, Review, WorkflowRun } from './payloads.js';
import { parseStreamKey, streamKey, streamKinds, type StreamKind } from './stream-keys.js';
import { contains, createdQuery, windowFrom } from './windows.js';

export { GitHubConfig, resolveGitHubConfig, type ResolvedConfig, type ServiceRepositories } from './config.js';
export type { GitHubCursor } from './cursor.js';
export { AuthError, RateLimitedError, SourceError, type GitHubAuth } from './client.js';
export { GITHUB_DELIVERY_HEADER, GITHUB_EVENT_HEADER, GITHUB_SIGNATURE_HEADER, translateGitHubWebhook, verifyGitHubSignature, type GitHubDelivery } from './webhook.js';
export { parseStreamKey, streamKey, type StreamKind } from './stream-keys.js';

const DAY_MS = 86_400_000;
/** GitHub answers at most 1,000 runs to a filtered query: 10 pages of 100. */
const RESULT_CAP = 1_000;
/** GitHub lists at most this many commits of a pull request. */
const PULL_COMMITS_CAP = 250;
/** Pull requests whose commits and reviews are fetched at once (the throttling plugin bounds concurrency overall). */
const DETAIL_CONCURRENCY = 4;

export interface GitHubConnectorOptions extends GitHubClientOptions {
  /** The `github:` section of bellwether.yaml, already validated against GitHubConfig. */
  config: GitHubConfig;
  /** The services of bellwether.yaml: their repositories are the ones read. */
  services: readonly ServiceRepositories[];
}

/**
 * The connector, its client built once for the credential. Throws at once, listing every
 * problem, when the section does not fit the services (a rule without the service a
 * repository backing several needs, a regex that does not compile …).
 */
export function gitHubConnector(options: GitHubConnectorOptions): Connector<GitHubCursor, GitHubConfig> {
  const { resolved, problems } = resolveGitHubConfig(options.config, options.services);
  if (problems.length) throw new Error(`the github section of bellwether.yaml does not fit its services:\n- ${problems.join('\n- ')}`);
  const client = createGitHubClient(options);
  /** Repositories the organisations' listings gave (pulled in this process), by lowercased owner/name. */
  const listed = new Map<string, RepositoryPlan>();
  const planOf = (repository: string): RepositoryPlan | null => {
    const key = repository.toLowerCase();
    const plan = resolved.repositories.find((p) => p.repository.toLowerCase() === key) ?? listed.get(key);
    if (plan) return plan;
    // A repository of a listed organisation not listed yet in this process (a webhook's refresh poll).
    const organisation = resolved.organisations.find((o) => o.name.toLowerCase() === key.split('/')[0]);
    const found = organisation && resolved.planListed(organisation, { full_name: repository, archived: false, fork: false });
    return found && 'plan' in found ? found.plan : null;
  };
  return {
    id: SOURCE,
    // Organisations first: pulling one makes its repositories' streams known, and the runner asks again.
    streams: () => [
      ...resolved.organisations.map((organisation) => streamKey(organisation.name, 'repositories')),
      ...[...resolved.repositories, ...listed.values()].flatMap((plan) => streamKinds(plan, resolved).map((kind) => streamKey(plan.repository, kind))),
    ],
    pull: (stream, cursor, ctx) => {
      const key = parseStreamKey(stream);
      const organisation = key?.kind === 'repositories' && resolved.organisations.find((o) => o.name === key.repository);
      if (organisation) return pullOrganisation(client, resolved, organisation, listed, stream, cursor, ctx);
      return pullStream(client, options.config, resolved, planOf, stream, cursor, ctx);
    },
  };
}

/** What every stream's pull shares. */
interface StreamRun {
  client: GitHubClient;
  plan: RepositoryPlan;
  resolved: ResolvedConfig;
  /** `/repos/{owner}/{name}` */
  repo: string;
  name: string;
  cursor: GitHubCursor;
  ctx: SyncContext;
  /** Where a new run starts reading. */
  since: Date;
}

async function* pullStream(
  client: GitHubClient,
  config: GitHubConfig,
  resolved: ResolvedConfig,
  planOf: (repository: string) => RepositoryPlan | null,
  stream: StreamKey,
  stored: GitHubCursor | undefined,
  ctx: SyncContext,
): AsyncGenerator<Batch<GitHubCursor>> {
  const key = parseStreamKey(stream);
  const plan = key && key.kind !== 'repositories' ? planOf(key.repository) : null;
  if (!key || key.kind === 'repositories' || !plan || !streamKinds(plan, resolved).includes(key.kind)) {
    throw new Error(`the github connector has no stream ${stream.connector}/${stream.stream}`);
  }
  const cursor = parseCursor(stored, stream.stream);
  const [owner, name] = plan.repository.split('/') as [string, string];
  const run: StreamRun = {
    client, plan, resolved, ctx, cursor, name: stream.stream,
    repo: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`,
    since: runStart(cursor, backfillStart(config, ctx.now, ctx.since), resolved.overlapDays * DAY_MS),
  };
  yield* PULLS[key.kind](run);
}

const PULLS: Record<Exclude<StreamKind, 'repositories'>, (run: StreamRun) => AsyncGenerator<Batch<GitHubCursor>>> = {
  pull_requests: (run) =>
    pullNewestFirst<PullRequest>(run, {
      noun: 'pull requests',
      path: `${run.repo}/pulls`,
      query: { state: 'all', sort: 'updated', direction: 'desc' },
      timeOf: (pull) => pull.updated_at,
      records: (pulls) => pullRequestRecords(run, pulls),
    }),
  commits: (run) =>
    pullNewestFirst<Commit>(run, {
      noun: 'commits',
      // The default branch (no `sha`). No `since` either: page 1's URL stays the same from run to run, so it can answer 304.
      path: `${run.repo}/commits`,
      query: {},
      emptyStatus: 409,
      timeOf: (commit) => commit.commit.committer?.date ?? commit.commit.author?.date ?? '',
      records: async (commits) => commits.map((commit) => ({ kind: 'commit', record: commitRecord(run.plan.repository, commit) })),
    }),
  deployments: (run) => pullDeployments(run),
  releases: (run) =>
    pullNewestFirst<Release>(run, {
      noun: 'releases',
      path: `${run.repo}/releases`,
      query: {},
      timeOf: (release) => release.created_at,
      records: (releases) => releaseRecords(run, releases),
    }),
  tags: (run) => pullTags(run),
  issues: (run) =>
    pullNewestFirst<Issue>(run, {
      noun: 'issues',
      path: `${run.repo}/issues`,
      // One label filters on GitHub's side; several are OR-ed here (GitHub's `labels` is AND).
      query: { state: 'all', sort: 'updated', direction: 'desc', labels: onlyLabel(run.resolved) },
      timeOf: (issue) => issue.updated_at,
      records: async (issues) => issues.flatMap((issue) => issueRecords(run.plan.repository, issue, run.plan.service!, run.resolved)),
    }),
  workflow_runs: (run) => pullWorkflowRuns(run),
};

// ---------------------------------------------------------------- organisations

/**
 * An organisation's repositories (`GET /orgs/{org}/repos`, newest created first, so a new
 * repository changes page 1). Every page is asked with the ETag it last had: an unchanged
 * organisation costs only 304s, and a page that changed is read again with those after it.
 * Each repository is planned as the configuration says (its service by name or pattern, its
 * rules); those no service owns are logged and skipped. Yields one batch: no records, the
 * listing as the cursor.
 */
async function* pullOrganisation(
  client: GitHubClient,
  resolved: ResolvedConfig,
  organisation: OrganisationPlan,
  listed: Map<string, RepositoryPlan>,
  stream: StreamKey,
  stored: GitHubCursor | undefined,
  ctx: SyncContext,
): AsyncGenerator<Batch<GitHubCursor>> {
  const cursor = parseCursor(stored, stream.stream);
  const previous = cursor.listing ?? [];
  const path = `/orgs/${encodeURIComponent(organisation.name)}/repos`;
  const pages: ListingPage[] = [];
  for (let page = 1; ; page++) {
    const before = previous[page - 1];
    const answer = await client.page<ListedRepository>(path, { type: 'all', sort: 'created', direction: 'desc', page }, ctx, { etag: before?.etag ?? undefined }).catch((error: unknown) => {
      if (error instanceof SourceError && error.status === 404) {
        throw new SourceError(`GitHub has no organisation ${organisation.name} that this token can see (a user's repositories are listed under services by name)`, `GET ${path}`, 404);
      }
      throw error;
    });
    if (answer.notModified) {
      pages.push(before!);
      if (page >= previous.length) break;
      continue;
    }
    pages.push({ etag: answer.etag, repositories: answer.items.map((item) => ({ full_name: item.full_name, archived: item.archived === true, fork: item.fork === true })) });
    if (!answer.hasNext) break;
  }
  const repositories = pages.flatMap((page) => page.repositories);
  if (!repositories.length && cursor.seen > 0) {
    throw new SourceError(`GitHub lists no repositories of ${organisation.name} where ${cursor.seen} were listed before; check the token's access to the organisation`, `GET ${path}`, 200);
  }
  const prefix = `${organisation.name.toLowerCase()}/`;
  for (const key of listed.keys()) if (key.startsWith(prefix)) listed.delete(key);
  const unowned: string[] = [];
  for (const repository of repositories) {
    const found = resolved.planListed(organisation, repository);
    if ('plan' in found) listed.set(repository.full_name.toLowerCase(), found.plan);
    else if (!found.filtered) unowned.push(`${repository.full_name}: ${found.skipped}`);
  }
  ctx.log.info({ connector: SOURCE, organisation: organisation.name, repositories: repositories.length, read: [...listed.keys()].filter((key) => key.startsWith(prefix)).length }, 'organisation listed');
  if (unowned.length) ctx.log.warn({ connector: SOURCE, organisation: organisation.name, skipped: unowned }, `${unowned.length} repositories of ${organisation.name} are not read`);
  yield { records: [], cursor: { ...cursor, seen: repositories.length, run: null, listing: pages } };
}

/** The one label every issue read carries, when there is one, so GitHub filters on it. */
function onlyLabel(resolved: ResolvedConfig): string | undefined {
  const labels = new Set([...resolved.incidentLabels, ...resolved.bugLabels]);
  return labels.size === 1 ? [...labels][0] : undefined;
}

// ---------------------------------------------------------------- newest-first lists

interface NewestFirstList<T> {
  noun: string;
  path: string;
  query: Query;
  /** A status GitHub answers instead of an empty list (409 for the commits of an empty repository). */
  emptyStatus?: number;
  /** The time the list is sorted by, newest first; also what the high-water mark reads. */
  timeOf(item: T): string;
  /** The records of a page's items within range (fetching what they need). */
  records(items: T[]): Promise<NormalizedRecord[]>;
}

/** What a newest-first listing reports after each page, to the stream that wraps it. */
interface ListedPage {
  records: NormalizedRecord[];
  /** The cursor as of this page: mid-run, or complete (`run: null`). */
  cursor: GitHubCursor;
  complete: boolean;
}

/**
 * Reads a list sorted newest first, page by page, until an item older than the run's start
 * (or the last page). Only page 1 is asked conditionally: any change to the list (a new or
 * updated item, sorted to the top) changes page 1, so a 304 there means nothing changed.
 */
async function* listNewestFirst<T>(run: StreamRun, list: NewestFirstList<T>): AsyncGenerator<ListedPage> {
  let cursor = run.cursor;
  const state: RunState = cursor.run ?? { since: run.since.toISOString(), high_water: cursor.high_water, page: 1, read: 0 };
  const fresh = cursor.run === null;
  const firstPage = requestKey(list.path, { ...list.query, page: 1 });
  const since = Date.parse(state.since);
  for (;;) {
    const page = state.page;
    const answer = await run.client.page<T>(list.path, { ...list.query, page }, run.ctx, { etag: page === 1 ? cursor.etags[firstPage] : undefined }).catch((error: unknown) => {
      if (error instanceof SourceError && list.emptyStatus !== undefined && error.status === list.emptyStatus) return { notModified: false as const, items: [], etag: null, hasNext: false, totalCount: null };
      throw error;
    });
    if (answer.notModified) {
      yield { records: [], cursor: { ...cursor, run: null }, complete: true };
      return;
    }
    if (page === 1 && fresh && !answer.items.length && cursor.seen > 0) refuseEmpty(run, list.noun, cursor.seen);
    const items = answer.items.filter((item) => Date.parse(list.timeOf(item)) >= since);
    const complete = !answer.hasNext || items.length < answer.items.length;
    const records = await list.records(items);
    const highWater = items.reduce<string | null>((mark, item) => later(mark, instant(list.timeOf(item))), state.high_water);
    const etags = page === 1 ? (answer.etag ? { [firstPage]: answer.etag } : {}) : cursor.etags;
    const read = state.read + items.length;
    cursor = complete
      ? { ...cursor, high_water: highWater, seen: cursor.seen + read, run: null, etags }
      : { ...cursor, run: { ...state, page: page + 1, high_water: highWater, read }, etags };
    Object.assign(state, { page: page + 1, high_water: highWater, read });
    yield { records, cursor, complete };
    if (complete) return;
  }
}

async function* pullNewestFirst<T>(run: StreamRun, list: NewestFirstList<T>): AsyncGenerator<Batch<GitHubCursor>> {
  for await (const page of listNewestFirst(run, list)) yield { records: page.records, cursor: page.cursor };
}

/** A list that had items and now has none is a lost permission or a wrong repository far more often than a deletion. */
function refuseEmpty(run: StreamRun, noun: string, seen: number): never {
  throw new SourceError(
    `${run.plan.repository}: GitHub lists no ${noun} where ${seen} were read before; refusing to treat that as a deletion (check the token's access to the repository, or reset the ${run.name} cursor)`,
    `GET ${run.repo}`,
    200,
  );
}

/**
 * Each pull request with its commits and reviews, and those commits as records too: a squash
 * merge leaves them off the default branch, and lead time starts at them. `GET /pulls/{n}/commits`
 * stops at 250; a pull request that reaches it is read again as the comparison of its base and
 * head (`GET /compare/{base}...{head}`, paged), which lists them all.
 */
async function pullRequestRecords(run: StreamRun, pulls: PullRequest[]): Promise<NormalizedRecord[]> {
  const details = await mapLimit(pulls, DETAIL_CONCURRENCY, async (pull) => {
    let commits = await run.client.all<Commit>(`${run.repo}/pulls/${pull.number}/commits`, {}, run.ctx);
    if (commits.length >= PULL_COMMITS_CAP && pull.base?.sha && pull.head?.sha) {
      commits = await run.client.all<Commit>(`${run.repo}/compare/${pull.base.sha}...${pull.head.sha}`, {}, run.ctx, { itemsKey: 'commits' });
    }
    const reviews = await run.client.all<Review>(`${run.repo}/pulls/${pull.number}/reviews`, {}, run.ctx);
    return { pull, commits, reviews };
  });
  return details.flatMap(({ pull, commits, reviews }): NormalizedRecord[] => [
    { kind: 'pull_request', record: pullRequestRecord(run.plan.repository, pull, commits, reviews) },
    ...commits.map((commit) => ({ kind: 'commit' as const, record: commitRecord(run.plan.repository, commit) })),
  ]);
}

/** Releases under a release rule, each with its tag's commit (a release does not carry it). */
async function releaseRecords(run: StreamRun, releases: Release[]): Promise<NormalizedRecord[]> {
  const records: NormalizedRecord[] = [];
  for (const release of releases) {
    const rule = rulesOf(run.plan, 'release').find((r) => r.from === 'releases' && isDeployedRelease(release, r));
    if (!rule) continue;
    const commit = await fetchOrNull<Commit>(run, `${run.repo}/commits/${encodeURIComponent(release.tag_name)}`);
    const record = releaseDeploymentRecord(release, commit?.sha ?? null, rule);
    if (record) records.push({ kind: 'deployment', record });
  }
  return records;
}

// ---------------------------------------------------------------- deployments

/**
 * GitHub deployments, newest first by creation, with their statuses. A deployment changes
 * after creation (statuses arrive), so one still without a final status is kept `open` and,
 * once it falls out of the re-read range, re-checked by its statuses alone, conditionally.
 */
async function* pullDeployments(run: StreamRun): AsyncGenerator<Batch<GitHubCursor>> {
  const rules = rulesOf(run.plan, 'github_deployments');
  const open = new Map(run.cursor.open.map((item) => [item.id, item]));
  const met = new Set<number>();
  const note = (deployment: Deployment, record: NormalizedRecord | null, etag: string | null) => {
    met.add(deployment.id);
    const status = record?.kind === 'deployment' ? record.record.status : null;
    if (status === 'queued' || status === 'in_progress') open.set(deployment.id, { id: deployment.id, created_at: instant(deployment.created_at), etag });
    else open.delete(deployment.id);
  };
  const toRecord = (deployment: Deployment, statuses: DeploymentStatus[]): NormalizedRecord | null => {
    for (const rule of rules) {
      const record = deploymentRecord(deployment, statuses, rule);
      if (record) return { kind: 'deployment', record };
    }
    return null;
  };
  const list: NewestFirstList<Deployment> = {
    noun: 'deployments',
    path: `${run.repo}/deployments`,
    query: {},
    timeOf: (deployment) => deployment.created_at,
    records: async (deployments) => {
      const records: NormalizedRecord[] = [];
      for (const deployment of deployments) {
        // Statuses are fetched only for deployments to an environment a rule names.
        if (!rules.some((rule) => rule.environment.test(deployment.environment))) continue;
        const statuses = await run.client.page<DeploymentStatus>(`${run.repo}/deployments/${deployment.id}/statuses`, { page: 1 }, run.ctx);
        const record = toRecord(deployment, statuses.notModified ? [] : statuses.items);
        note(deployment, record, statuses.notModified ? null : statuses.etag);
        if (record) records.push(record);
      }
      return records;
    },
  };
  for await (const page of listNewestFirst(run, list)) {
    if (!page.complete) yield { records: page.records, cursor: { ...page.cursor, open: [...open.values()] } };
    else {
      // The open ones the listing did not reach: their newest statuses, asked conditionally.
      const records = [...page.records];
      for (const item of [...open.values()].filter((o) => !met.has(o.id))) {
        const statuses = await run.client.page<DeploymentStatus>(`${run.repo}/deployments/${item.id}/statuses`, { page: 1 }, run.ctx, { etag: item.etag ?? undefined });
        if (statuses.notModified) continue;
        const deployment = await fetchOrNull<Deployment>(run, `${run.repo}/deployments/${item.id}`);
        if (!deployment) {
          open.delete(item.id);
          continue;
        }
        const record = toRecord(deployment, statuses.items);
        note(deployment, record, statuses.etag);
        if (record) records.push(record);
      }
      yield { records, cursor: { ...page.cursor, open: [...open.values()] } };
    }
  }
}

// ---------------------------------------------------------------- workflow runs

/**
 * Actions workflow runs, newest first. A run starts with page 1 of the unfiltered list, asked
 * conditionally: its URL never changes, so an unchanged repository answers 304 (free). What
 * that page does not cover of the range — down to the high-water mark less the overlap, or
 * the backfill start — is read in `created` windows. GitHub answers at most 1,000 runs to a
 * filtered query (10 pages): the first page's total_count says whether a window holds more,
 * and if so, after its 10th page the window is cut where the 1,000th run fell (that second is
 * read again, so runs sharing it are not lost) and the older rest is read as a window of its
 * own. That cut is exact where an even split by total_count is a guess needing a probe per
 * part. Every attempt of a re-run is a CI run: earlier attempts are fetched by number. Runs
 * still going are kept `open` and re-checked one by one (conditionally) once out of range.
 */
async function* pullWorkflowRuns(run: StreamRun): AsyncGenerator<Batch<GitHubCursor>> {
  let cursor = run.cursor;
  const state: RunState = cursor.run ?? { since: run.since.toISOString(), high_water: cursor.high_water, page: 1, read: 0 };
  const open = new Map(cursor.open.map((item) => [item.id, item]));
  /** Runs this run listed, with the updated_at they were listed with. */
  const met = new Map<number, string>();
  const path = `${run.repo}/actions/runs`;
  const since = Date.parse(state.since);

  const recordsOf = async (runs: WorkflowRun[]): Promise<NormalizedRecord[]> => {
    const records: NormalizedRecord[] = [];
    for (const item of runs) {
      met.set(item.id, item.updated_at);
      if ((item.status ?? '').toLowerCase() === 'completed') open.delete(item.id);
      else open.set(item.id, { id: item.id, created_at: instant(item.created_at), etag: open.get(item.id)?.etag ?? null });
      for (let attempt = 1; attempt < runAttempt(item); attempt++) {
        const earlier = await fetchOrNull<WorkflowRun>(run, `${path}/${item.id}/attempts/${attempt}`);
        if (earlier) records.push(...runRecords(run.plan.repository, run.plan.rules, earlier));
      }
      records.push(...runRecords(run.plan.repository, run.plan.rules, item));
    }
    state.high_water = runs.reduce<string | null>((mark, item) => later(mark, instant(item.created_at)), state.high_water);
    state.read += runs.length;
    return records;
  };
  const midRun = (windows: CreatedWindow[]): GitHubCursor => ({ ...cursor, run: { ...state, windows: [...windows] }, open: [...open.values()] });

  let windows: CreatedWindow[];
  if (state.windows) windows = [...state.windows];
  else {
    const query = { exclude_pull_requests: 'true', page: 1 };
    const key = requestKey(path, query);
    const first = await run.client.page<WorkflowRun>(path, query, run.ctx, { itemsKey: 'workflow_runs', etag: cursor.etags[key] });
    if (first.notModified) {
      yield* finishRuns([]);
      return;
    }
    if (!first.items.length && cursor.seen > 0) refuseEmpty(run, 'workflow runs', cursor.seen);
    cursor = { ...cursor, etags: first.etag ? { [key]: first.etag } : {} };
    const items = first.items.filter((item) => Date.parse(item.created_at) >= since);
    const records = await recordsOf(items);
    if (!first.hasNext || items.length < first.items.length) {
      yield* finishRuns(records);
      return;
    }
    // The rest: from the start of the range up to (and including) the second of the oldest run read.
    const oldest = Math.min(...items.map((item) => Date.parse(item.created_at)));
    windows = [{ start: windowFrom(new Date(since)).start, end: new Date(Math.floor(oldest / 1000) * 1000 + 1000).toISOString() }];
    state.page = 1;
    yield { records, cursor: midRun(windows) };
  }

  while (windows.length) {
    const window = windows[0]!;
    const page = state.page;
    const answer = await run.client.page<WorkflowRun>(path, { created: createdQuery(window), exclude_pull_requests: 'true', page }, run.ctx, { itemsKey: 'workflow_runs' });
    if (answer.notModified) throw new SourceError(`GET ${path}: 304 to an unconditional request`, `GET ${path}`, 304);
    const items = answer.items.filter((item) => contains(window, item.created_at));
    const records = await recordsOf(items);
    const more = answer.items.length > 0 && (answer.hasNext || (answer.totalCount ?? 0) > page * PAGE_SIZE);
    if (!more) {
      windows.shift();
      state.page = 1;
    } else if ((page + 1) * PAGE_SIZE > RESULT_CAP) {
      // The cap: go on with the window up to (and including) the second of the oldest run read.
      const oldest = Math.min(...answer.items.map((item) => Date.parse(item.created_at)));
      const end = Math.floor(oldest / 1000) * 1000 + 1000;
      if (window.end !== null && end >= Date.parse(window.end)) {
        throw new SourceError(`${run.plan.repository}: more than ${RESULT_CAP} workflow runs created in the second of ${new Date(oldest).toISOString()}; GitHub cannot list them all`, `GET ${path}`, 200);
      }
      windows[0] = { start: window.start, end: new Date(end).toISOString() };
      state.page = 1;
    } else {
      state.page = page + 1;
    }
    if (!windows.length) {
      yield* finishRuns(records);
      return;
    }
    yield { records, cursor: midRun(windows) };
  }
  yield* finishRuns([]);

  /**
   * The run's final cursor, after the open runs: those the listing did not reach are re-checked
   * one by one, conditionally; those it just listed are fetched once for their ETag, so that
   * the next sync's re-check of an unchanged one is a free 304.
   */
  async function* finishRuns(listed: NormalizedRecord[]): AsyncGenerator<Batch<GitHubCursor>> {
    const records = [...listed];
    for (const item of [...open.values()].filter((o) => !met.has(o.id) || o.etag === null)) {
      const answer = await getOrNull<WorkflowRun>(run, `${path}/${item.id}`, item.etag);
      if (answer === null) open.delete(item.id);
      else if (!answer.notModified) {
        // A run just listed is recorded again only if it changed in between.
        if (met.get(item.id) !== answer.data.updated_at) records.push(...runRecords(run.plan.repository, run.plan.rules, answer.data));
        if ((answer.data.status ?? '').toLowerCase() === 'completed') open.delete(item.id);
        else open.set(item.id, { ...item, etag: answer.etag });
      }
    }
    yield { records, cursor: { ...cursor, high_water: state.high_water, seen: cursor.seen + state.read, run: null, open: [...open.values()] } };
  }
}

// ---------------------------------------------------------------- tags

interface TagRef {
  ref: string;
  object: { sha: string; type: string };
}

/**
 * Tags under a tags rule. `GET /git/matching-refs/tags` lists every tag at once (it is not
 * paged), asked conditionally; a tag not read before is looked up by `GET /commits/{tag}`,
 * which gives its commit (an annotated tag dereferenced) and the date it counts from.
 */
async function* pullTags(run: StreamRun): AsyncGenerator<Batch<GitHubCursor>> {
  const rules = rulesOf(run.plan, 'release').filter((rule) => rule.from === 'tags');
  const path = `${run.repo}/git/matching-refs/tags`;
  let cursor = run.cursor;
  const answer = await run.client.get<TagRef[]>(path, {}, run.ctx, { etag: cursor.etags[path] });
  if (answer.notModified) {
    yield { records: [], cursor: { ...cursor, run: null } };
    return;
  }
  if (!answer.data.length && cursor.seen > 0) refuseEmpty(run, 'tags', cursor.seen);
  const known = { ...cursor.tags };
  const fresh = answer.data
    .map((ref) => ({ name: ref.ref.replace(/^refs\/tags\//, ''), sha: ref.object.sha }))
    .filter((tag) => known[tag.name] !== tag.sha);
  let records: NormalizedRecord[] = [];
  for (const [i, tag] of fresh.entries()) {
    const rule = rules.find((r) => r.tagPattern.test(tag.name));
    if (rule) {
      const commit = await fetchOrNull<Commit>(run, `${run.repo}/commits/${encodeURIComponent(tag.name)}`);
      const record = commit && tagDeploymentRecord(run.plan.repository, { name: tag.name, commit: { sha: commit.sha } }, commit, rule);
      if (record) records.push({ kind: 'deployment', record });
    }
    known[tag.name] = tag.sha;
    // A batch per hundred tags, so a stopped first sync of a repository with thousands resumes where it was.
    if ((i + 1) % 100 === 0 && i + 1 < fresh.length) {
      cursor = { ...cursor, tags: { ...known } };
      yield { records, cursor };
      records = [];
    }
  }
  yield { records, cursor: { ...cursor, seen: Math.max(cursor.seen, answer.data.length), run: null, etags: answer.etag ? { [path]: answer.etag } : {}, tags: known } };
}

// ---------------------------------------------------------------- helpers

function rulesOf<K extends ResolvedRule['kind']>(plan: RepositoryPlan, kind: K): Extract<ResolvedRule, { kind: K }>[] {
  return plan.rules.filter((rule): rule is Extract<ResolvedRule, { kind: K }> => rule.kind === kind);
}

/** A resource, or null when GitHub answers 404 or 422 (a tag or run gone since it was listed). */
async function fetchOrNull<T>(run: StreamRun, path: string): Promise<T | null> {
  const answer = await getOrNull<T>(run, path, null);
  return answer && !answer.notModified ? answer.data : null;
}

async function getOrNull<T>(run: StreamRun, path: string, etag: string | null): Promise<{ notModified: true } | { notModified: false; data: T; etag: string | null } | null> {
  try {
    return await run.client.get<T>(path, {}, run.ctx, { etag: etag ?? undefined });
  } catch (error) {
    if (error instanceof SourceError && (error.status === 404 || error.status === 422)) {
      run.ctx.log.warn({ connector: SOURCE, stream: run.name, request: error.request, status: error.status }, 'gone since it was listed; skipped');
      return null;
    }
    throw error;
  }
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
