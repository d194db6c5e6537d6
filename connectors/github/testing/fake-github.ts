// Test helper: a local HTTP server that answers like GitHub's REST API from recorded bodies
// (testing/recorded.ts, fixtures/) and copies of them. It keeps GitHub's rules the connector
// must live with: page/per_page paging with `Link` headers, ETags and 304 to If-None-Match,
// newest-first orders, the 1,000-result cap of filtered workflow-run queries (422 beyond it,
// total_count always), organisations listing their repositories, 301 for a renamed repository, `token` and App installation auth, and
// canned answers (rate limits, 5xx) when told. Bodies are the stored objects, sliced.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Commit, Deployment, DeploymentStatus, Issue, PullRequest, Release, Review, WorkflowRun } from '../payloads.js';

export const FAKE_TOKEN = 'ghp_fake000000000000000000000000000000';
export const INSTALLATION_TOKEN = 'ghs_installation00000000000000000000000';
const RESULT_CAP = 1_000;

type Stored<T> = T & Record<string, unknown>;

export interface FakeRepository {
  id: number;
  fullName: string;
  defaultBranch: string;
  pulls: Stored<PullRequest>[];
  pullCommits: Map<number, Stored<Commit>[]>;
  reviews: Map<number, Stored<Review>[]>;
  /** The default branch, in any order (served newest first by committer date). */
  commits: Stored<Commit>[];
  deployments: Stored<Deployment>[];
  statuses: Map<number, Stored<DeploymentStatus>[]>;
  /** Latest attempt of each run. */
  runs: Stored<WorkflowRun>[];
  /** Earlier attempts by run id, attempt 1 first. */
  attempts: Map<number, Stored<WorkflowRun>[]>;
  releases: Stored<Release>[];
  /** Tag name → the commit it points at (which must also be served by GET /commits/{ref}). */
  tags: Map<string, Stored<Commit>>;
  issues: Stored<Issue>[];
  /** How GET /orgs/{owner}/repos lists it. */
  archived: boolean;
  fork: boolean;
  createdAt: string;
}

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  ifNoneMatch: string | null;
  authorization: string | null;
  status: number;
}

export interface FakeGitHub {
  url: string;
  requests: ReceivedRequest[];
  repository(fullName: string): FakeRepository;
  /** The next requests get these answers instead, one each (token exchanges excepted). */
  respondNext(...responses: CannedResponse[]): void;
  /** The repository answers under a new name; the old one redirects (301) to /repositories/{id}. */
  rename(from: string, to: string): void;
  close(): Promise<void>;
}

export async function startFakeGitHub(): Promise<FakeGitHub> {
  const repositories = new Map<string, FakeRepository>();
  const renamed = new Map<string, number>();
  const canned: CannedResponse[] = [];
  const requests: ReceivedRequest[] = [];
  let nextId = 1000;
  let base = '';

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // GitHub Enterprise Server serves the API under /api/v3.
      const url = new URL((request.url ?? '/').replace(/^\/api\/v3(?=\/)/, ''), base);
      const tokenExchange = request.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(url.pathname);
      const answer = (!tokenExchange && canned.shift()) || route(request, url);
      const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
      const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '4999', 'x-ratelimit-resource': 'core', ...answer.headers };
      let status = answer.status;
      if (status === 200 && request.method === 'GET') {
        const etag = `W/"${createHash('sha1').update(body).digest('hex')}"`;
        headers.etag = etag;
        if (request.headers['if-none-match'] === etag) status = 304;
      }
      requests.push({
        method: request.method ?? 'GET', path: url.pathname, query: url.searchParams, status,
        ifNoneMatch: (request.headers['if-none-match'] as string | undefined) ?? null, authorization: request.headers.authorization ?? null,
      });
      response.writeHead(status, headers);
      response.end(status === 304 || status === 204 ? '' : body);
    });
  });

  function route(request: IncomingMessage, url: URL): CannedResponse {
    if (request.method === 'POST') {
      const installation = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(url.pathname);
      if (installation && /^bearer [\w-]+\.[\w-]+\.[\w-]+$/i.test(request.headers.authorization ?? '')) {
        return { status: 201, body: { token: INSTALLATION_TOKEN, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { metadata: 'read' }, repository_selection: 'all' } };
      }
      return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
    }
    if (request.headers.authorization !== `token ${FAKE_TOKEN}` && request.headers.authorization !== `token ${INSTALLATION_TOKEN}`) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let repository: FakeRepository | undefined;
    let rest: string[];
    if (parts[0] === 'repositories') {
      repository = [...repositories.values()].find((r) => r.id === Number(parts[1]));
      rest = parts.slice(2);
    } else if (parts[0] === 'orgs' && parts[2] === 'repos' && parts.length === 3) {
      return organisationRepositories(parts[1]!, url);
    } else if (parts[0] === 'repos' && parts.length >= 3) {
      const name = `${parts[1]}/${parts[2]}`.toLowerCase();
      const movedId = renamed.get(name);
      if (movedId !== undefined) {
        const location = `${base}/repositories/${movedId}${url.pathname.split('/').slice(4).map((p) => `/${p}`).join('')}${url.search}`;
        return { status: 301, headers: { location }, body: { message: 'Moved Permanently', url: location, documentation_url: 'https://docs.github.com/v3/#http-redirects' } };
      }
      repository = repositories.get(name);
      rest = parts.slice(3);
    } else return notFound();
    if (!repository) return notFound();
    return repositoryRoute(repository, rest, url);
  }

  function repositoryRoute(repo: FakeRepository, rest: string[], url: URL): CannedResponse {
    const query = url.searchParams;
    const [resource, id, sub, subId] = rest;
    switch (resource) {
      case undefined:
        return ok({ id: repo.id, full_name: repo.fullName, default_branch: repo.defaultBranch });
      case 'pulls': {
        if (id === undefined) {
          const state = query.get('state') ?? 'open';
          const sortKey = query.get('sort') === 'updated' ? 'updated_at' : 'created_at';
          const pulls = repo.pulls.filter((p) => state === 'all' || p.state === state);
          return paged(url, sorted(pulls, (p) => p[sortKey], query.get('direction') ?? 'desc'));
        }
        if (sub === 'commits') return paged(url, repo.pullCommits.get(Number(id)) ?? [], 250);
        if (sub === 'reviews') return paged(url, repo.reviews.get(Number(id)) ?? []);
        return notFound();
      }
      case 'commits': {
        if (id === undefined) {
          if (!repo.commits.length) return { status: 409, body: { message: 'Git Repository is empty.', documentation_url: 'https://docs.github.com/rest/commits/commits#list-commits' } };
          return paged(url, sorted(repo.commits, (c) => c.commit.committer?.date ?? '', 'desc'));
        }
        const commit = repo.tags.get(id) ?? [...repo.commits, ...[...repo.pullCommits.values()].flat()].find((c) => c.sha === id);
        return commit ? ok(commit) : { status: 422, body: { message: `No commit found for SHA: ${id}`, documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit' } };
      }
      case 'deployments': {
        if (id === undefined) return paged(url, sorted(repo.deployments, (d) => d.created_at, 'desc'));
        const deployment = repo.deployments.find((d) => d.id === Number(id));
        if (!deployment) return notFound();
        if (sub === 'statuses') return paged(url, sorted(repo.statuses.get(deployment.id) ?? [], (s) => s.created_at, 'desc'));
        return ok(deployment);
      }
      case 'actions': {
        if (id !== 'runs') return notFound();
        if (sub === undefined) return listRuns(repo, url);
        const found = repo.runs.find((r) => r.id === Number(sub));
        if (!found) return notFound();
        if (subId === undefined) return ok(found);
        if (subId === 'attempts') {
          const attempt = Number(rest[4]);
          const earlier = repo.attempts.get(found.id) ?? [];
          const match = attempt === found.run_attempt ? found : earlier.find((r) => r.run_attempt === attempt);
          return match ? ok(match) : notFound();
        }
        return notFound();
      }
      case 'compare': {
        // `{base}...{head}` of a pull request: all its commits (no 250 cap), oldest first, paged, in @octokit/openapi's commit-comparison.
        const [baseSha, headSha] = rest.slice(1).join('/').split('...');
        const pull = repo.pulls.find((p) => p.head?.sha === headSha && p.base?.sha === baseSha);
        if (!pull) return notFound();
        const commits = repo.pullCommits.get(pull.number) ?? [];
        const page = paged(url, commits);
        const example = JSON.parse(readFileSync(new URL('../fixtures/openapi/commit-comparison.json', import.meta.url), 'utf8')) as Record<string, unknown>;
        return { ...page, body: { ...example, status: 'ahead', ahead_by: commits.length, behind_by: 0, total_commits: commits.length, commits: page.body, files: [] } };
      }
      case 'releases':
        return paged(url, sorted(repo.releases, (r) => r.created_at, 'desc'));
      case 'git':
        if (id === 'matching-refs' && sub === 'tags') {
          return ok([...repo.tags.entries()].map(([name, commit]) => ({ ref: `refs/tags/${name}`, object: { sha: commit.sha, type: 'commit' } })));
        }
        return notFound();
      case 'issues': {
        const labels = (query.get('labels') ?? '').split(',').filter(Boolean).map((l) => l.toLowerCase());
        const state = query.get('state') ?? 'open';
        const issues = repo.issues.filter(
          (i) => (state === 'all' || i.state === state) && labels.every((label) => i.labels.some((l) => (typeof l === 'string' ? l : l.name).toLowerCase() === label)),
        );
        const sortKey = query.get('sort') === 'updated' ? 'updated_at' : 'created_at';
        return paged(url, sorted(issues, (i) => i[sortKey], query.get('direction') ?? 'desc'));
      }
      default:
        return notFound();
    }
  }

  /**
   * `GET /orgs/{org}/repos`: @octokit/openapi's example repository (minimal-repository-items),
   * once per repository of the organisation, with its name, id, dates and flags; sorted as asked.
   */
  function organisationRepositories(organisation: string, url: URL): CannedResponse {
    const owned = [...repositories.values()].filter((r) => r.fullName.split('/')[0]!.toLowerCase() === organisation.toLowerCase());
    if (!owned.length) return notFound();
    const [example] = JSON.parse(readFileSync(new URL('../fixtures/openapi/minimal-repository-items.json', import.meta.url), 'utf8')) as Record<string, unknown>[];
    const items = owned.map((r) => ({
      ...example, id: r.id, name: r.fullName.split('/')[1], full_name: r.fullName, owner: { ...(example!.owner as object), login: r.fullName.split('/')[0] },
      html_url: `https://github.com/${r.fullName}`, url: `${base}/repos/${r.fullName}`, default_branch: r.defaultBranch, archived: r.archived, fork: r.fork,
      created_at: r.createdAt, updated_at: r.createdAt, pushed_at: r.createdAt,
    }));
    const sort = url.searchParams.get('sort') ?? 'created';
    const direction = url.searchParams.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
    const ordered = sort === 'full_name'
      ? [...items].sort((a, b) => (direction === 'asc' ? 1 : -1) * a.full_name.localeCompare(b.full_name))
      : sorted(items, (item) => item.created_at, direction);
    return paged(url, ordered);
  }

  /** `GET /actions/runs`: newest first; `created` filters (and caps paging at 1,000 results, as GitHub does). */
  function listRuns(repo: FakeRepository, url: URL): CannedResponse {
    const created = url.searchParams.get('created');
    let runs = repo.runs;
    if (created) {
      const range = createdRange(created);
      if (!range) return { status: 422, body: { message: `Invalid created: ${created}` } };
      runs = runs.filter((r) => Date.parse(r.created_at) >= range.from && Date.parse(r.created_at) <= range.to);
    }
    const ordered = [...runs].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    if (created && page * perPage > RESULT_CAP) return { status: 422, body: { message: 'Only the first 1000 results are available.', documentation_url: 'https://docs.github.com/v3/search/' } };
    const strip = url.searchParams.get('exclude_pull_requests') === 'true';
    const items = ordered.slice((page - 1) * perPage, page * perPage).map((r) => (strip ? { ...r, pull_requests: [] } : r));
    const reachable = created ? Math.min(ordered.length, RESULT_CAP) : ordered.length;
    return { status: 200, headers: linkHeaders(url, page, Math.max(1, Math.ceil(reachable / perPage))), body: { total_count: ordered.length, workflow_runs: items } };
  }

  function paged<T>(url: URL, items: T[], max = Infinity): CannedResponse {
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
    const page = Number(url.searchParams.get('page') ?? 1);
    const reachable = Math.min(items.length, max);
    return { status: 200, headers: linkHeaders(url, page, Math.max(1, Math.ceil(reachable / perPage))), body: items.slice((page - 1) * perPage, Math.min(page * perPage, reachable)) };
  }

  function linkHeaders(url: URL, page: number, last: number): Record<string, string> {
    const at = (n: number) => {
      const target = new URL(url.href);
      target.searchParams.set('page', String(n));
      return `<${target.href}>`;
    };
    const links = [];
    if (page < last) links.push(`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`);
    if (page > 1) links.push(`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`);
    return links.length ? { link: links.join(', ') } : {};
  }

  const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    requests,
    repository(fullName) {
      const key = fullName.toLowerCase();
      let repo = repositories.get(key);
      if (!repo) {
        repo = {
          id: nextId++, fullName, defaultBranch: 'master', pulls: [], pullCommits: new Map(), reviews: new Map(), commits: [], deployments: [], statuses: new Map(),
          runs: [], attempts: new Map(), releases: [], tags: new Map(), issues: [], archived: false, fork: false,
          createdAt: new Date(Date.UTC(2015, 0, 1) + nextId * 86_400_000).toISOString(),
        };
        repositories.set(key, repo);
      }
      return repo;
    },
    respondNext(...responses) {
      canned.push(...responses);
    },
    rename(from, to) {
      const repo = repositories.get(from.toLowerCase());
      if (!repo) throw new Error(`no repository ${from}`);
      repositories.delete(from.toLowerCase());
      repo.fullName = to;
      repositories.set(to.toLowerCase(), repo);
      renamed.set(from.toLowerCase(), repo.id);
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

const ok = (body: unknown): CannedResponse => ({ status: 200, body });
const notFound = (): CannedResponse => ({ status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } });

function sorted<T>(items: T[], key: (item: T) => string, direction: string): T[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => sign * (Date.parse(key(a)) - Date.parse(key(b))));
}

/** GitHub's date-range syntax: `>=X`, `>X`, `<=X`, `<X`, `X..Y` (inclusive), or a bare date-time. */
function createdRange(text: string): { from: number; to: number } | null {
  const time = (value: string) => Date.parse(value);
  let match: RegExpExecArray | null;
  if ((match = /^(.+)\.\.(.+)$/.exec(text))) return { from: time(match[1]!), to: time(match[2]!) };
  if ((match = /^>=(.+)$/.exec(text))) return { from: time(match[1]!), to: Infinity };
  if ((match = /^>(.+)$/.exec(text))) return { from: time(match[1]!) + 1, to: Infinity };
  if ((match = /^<=(.+)$/.exec(text))) return { from: -Infinity, to: time(match[1]!) };
  if ((match = /^<(.+)$/.exec(text))) return { from: -Infinity, to: time(match[1]!) - 1 };
  const at = time(text);
  return Number.isNaN(at) ? null : { from: at, to: at };
}
