// The GitHub REST client, built once per credential: @octokit/rest with the throttling plugin
// (primary and secondary rate limits waited out as GitHub asks, a bounded number of times)
// and the retry plugin (5xx and network failures), a personal access token or a GitHub App
// installation, and a base URL for GitHub Enterprise Server. Every HTTP request a pull makes,
// retries and redirects included, is counted in its ctx.metrics; a list page can be asked
// conditionally (If-None-Match), and a 304 — which GitHub does not charge against the rate
// limit — is counted as notModified.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { SyncContext } from '../contract.js';

export const DEFAULT_BASE_URL = 'https://api.github.com';
export const PAGE_SIZE = 100;
const DEFAULT_RATE_LIMIT_RETRIES = 2;
const DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS = 300;
const DEFAULT_RETRIES = 3;
const MAX_REDIRECTS = 5;

// AuthError: 401, or a 403 that is not a rate limit. RateLimitedError: still rate limited after the allowed retries.
import { AuthError, RateLimitedError, SourceError } from '../source-errors.js';

export { AuthError, RateLimitedError, SourceError };

/** A personal access token (GITHUB_TOKEN), or a GitHub App installation. */
export type GitHubAuth = { token: string } | { appId: number | string; privateKey: string; installationId: number | string };

export interface GitHubClientOptions {
  auth: GitHubAuth;
  /** Default https://api.github.com; GitHub Enterprise Server: https://<host>/api/v3. */
  baseUrl?: string;
  /** Retries after a rate limit, primary or secondary (default 2). */
  rateLimitRetries?: number;
  /** A rate limit asking for a longer wait ends the request with RateLimitedError instead (default 300 s): the next sync resumes from the cursor. */
  maxRateLimitWaitSeconds?: number;
  /** Retries of 5xx answers and network failures (default 3, waiting 1, 4, 9 s). */
  retries?: number;
  /** Milliseconds per second of waiting (default 1000). Tests set it to 1 so that no real time passes. */
  waitUnitMs?: number;
}

export type Query = Record<string, string | number | undefined>;

/** One page of a list endpoint. */
export interface Page<T> {
  notModified: false;
  items: T[];
  /** The response's ETag, to send as If-None-Match next time. */
  etag: string | null;
  /** Whether a `rel="next"` link follows. */
  hasNext: boolean;
  /** `total_count` of endpoints that wrap their items (`GET /actions/runs`). */
  totalCount: number | null;
}
export interface NotModified {
  notModified: true;
}
export interface Resource<T> {
  notModified: false;
  data: T;
  etag: string | null;
}

export interface GitHubClient {
  /** One page (`page`, 100 items). With `etag`, conditional: unchanged comes back as NotModified. `itemsKey` names the array of wrapping endpoints. */
  page<T>(path: string, query: Query, ctx: SyncContext, options?: { etag?: string | undefined; itemsKey?: string }): Promise<Page<T> | NotModified>;
  /** Every item of a short list (a pull request's commits or reviews, a deployment's statuses), following `rel="next"` links. */
  all<T>(path: string, query: Query, ctx: SyncContext, options?: { itemsKey?: string }): Promise<T[]>;
  /** One resource; with `etag`, conditional. */
  get<T>(path: string, query: Query, ctx: SyncContext, options?: { etag?: string | undefined }): Promise<Resource<T> | NotModified>;
}

/** What the plugins' rate-limit handlers need of the pull that made the request. */
interface RequestContext {
  ctx: SyncContext;
  request: string;
}

/** The request options the plugins hand to the rate-limit handlers; ours carry the pull's context. */
interface OctokitRequestOptions {
  request?: object;
}

interface OctokitResponse {
  status: number;
  url: string;
  headers: Record<string, string | undefined>;
  data: unknown;
}

const GitHubOctokit = Octokit.plugin(retry, throttling);

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const rateLimitRetries = Math.max(0, options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES);
  const maxWaitSeconds = options.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS;
  const waitUnitMs = options.waitUnitMs ?? 1000;
  // The App's token exchanges are made by @octokit/auth-app with the client's own request
  // function, not ours: they reach this fetch, and are counted for the pull they serve.
  const pulls = new AsyncLocalStorage<SyncContext>();

  /** Retry a rate-limited request? Bounded, never past the allowed wait, never once the pull is aborted; always logged. */
  const onLimit = (kind: 'primary' | 'secondary') => (retryAfterSeconds: number, request: OctokitRequestOptions, _octokit: unknown, retryCount: number) => {
    const context = (request.request as { bellwether?: RequestContext } | undefined)?.bellwether;
    const retrying = retryCount < rateLimitRetries && retryAfterSeconds <= maxWaitSeconds && !context?.ctx.signal.aborted;
    context?.ctx.log.warn(
      { connector: 'github', request: context.request, limit: kind, retryAfterSeconds, attempt: retryCount + 1, retrying },
      retrying ? `GitHub ${kind} rate limit: waiting ${retryAfterSeconds} s as asked, then retrying` : `GitHub ${kind} rate limit: giving up`,
    );
    return retrying;
  };

  const octokit = new GitHubOctokit({
    baseUrl,
    userAgent: 'bellwether',
    ...('token' in options.auth
      ? { auth: options.auth.token }
      : { authStrategy: createAppAuth, auth: { appId: options.auth.appId, privateKey: options.auth.privateKey, installationId: options.auth.installationId } }),
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: waitUnitMs,
    },
    // 403 and 429 are the throttling plugin's: once it gives up, retrying again would only burn the limit.
    // 409 is an empty repository's commits: asking again cannot change the answer.
    retry: { retries: Math.max(0, options.retries ?? DEFAULT_RETRIES), retryAfterBaseValue: waitUnitMs, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451] },
    request: { fetch: countingFetch(() => pulls.getStore()) },
    // We log what matters ourselves (rate limits, with the pull's scope); octokit's own lines would go to the console.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });

  async function send(path: string, query: Query, ctx: SyncContext, etag: string | undefined): Promise<OctokitResponse | NotModified> {
    ctx.signal.throwIfAborted();
    const url = /^https?:\/\//.test(path) ? path : `${baseUrl}${path}`;
    const request = `GET ${url.slice(baseUrl.length) || url}${queryText(query)}`;
    try {
      return (await pulls.run(ctx, () =>
        octokit.request({
          method: 'GET',
          url,
          ...definedOnly(query),
          headers: etag ? { 'if-none-match': etag } : {},
          request: { fetch: countingFetch(() => ctx), bellwether: { ctx, request } },
        }),
      )) as OctokitResponse;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const status = (error as { status?: number }).status;
      if (status === 304) return { notModified: true };
      throw toSourceError(error as Error & { status?: number; response?: OctokitResponse }, request);
    }
  }

  function pageOf<T>(response: OctokitResponse, itemsKey: string | undefined, request: string): Page<T> {
    const body = response.data;
    const items = itemsKey ? (body as Record<string, unknown> | null)?.[itemsKey] : body;
    if (!Array.isArray(items)) throw new SourceError(`${request}: GitHub answered ${response.status} without ${itemsKey ? `a "${itemsKey}" list` : 'a list'}`, request, response.status);
    const total = itemsKey ? (body as Record<string, unknown>).total_count : undefined;
    return {
      notModified: false,
      items: items as T[],
      etag: response.headers.etag ?? null,
      hasNext: nextLink(response.headers.link) !== null,
      totalCount: typeof total === 'number' ? total : null,
    };
  }

  return {
    async page<T>(path: string, query: Query, ctx: SyncContext, pageOptions: { etag?: string | undefined; itemsKey?: string } = {}) {
      const response = await send(path, { per_page: PAGE_SIZE, ...query }, ctx, pageOptions.etag);
      return 'notModified' in response ? response : pageOf<T>(response, pageOptions.itemsKey, `GET ${path}`);
    },
    async all<T>(path: string, query: Query, ctx: SyncContext, allOptions: { itemsKey?: string } = {}) {
      const items: T[] = [];
      let next: string | null = path;
      let nextQuery: Query = { per_page: PAGE_SIZE, ...query };
      while (next !== null) {
        const response = await send(next, nextQuery, ctx, undefined);
        if ('notModified' in response) throw new SourceError(`GET ${path}: 304 to an unconditional request`, `GET ${path}`, 304);
        items.push(...pageOf<T>(response, allOptions.itemsKey, `GET ${path}`).items);
        // The link carries the query (and GitHub's own paging parameters) in full.
        next = nextLink(response.headers.link);
        nextQuery = {};
      }
      return items;
    },
    async get<T>(path: string, query: Query, ctx: SyncContext, getOptions: { etag?: string | undefined } = {}) {
      const response = await send(path, query, ctx, getOptions.etag);
      return 'notModified' in response ? response : { notModified: false as const, data: response.data as T, etag: response.headers.etag ?? null };
    },
  };
}

/**
 * The fetch every attempt goes through: it counts the request (and a 304) for the pull it
 * serves, follows redirects itself so each hop is counted too (GitHub answers 301 for a
 * renamed repository and 307 for some moved resources; the Authorization header goes only to
 * the same origin), and links the attempt to the pull's signal. An aborted pull ends as an
 * AbortError, which neither plugin retries.
 */
function countingFetch(context: () => SyncContext | undefined): typeof fetch {
  return async (input, init) => {
    const ctx = context();
    let url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    let headers = new Headers(init?.headers);
    const controller = new AbortController();
    const abort = () => controller.abort();
    ctx?.signal.addEventListener('abort', abort, { once: true });
    try {
      for (let hops = 0; ; hops++) {
        if (ctx?.signal.aborted) throw new DOMException('the sync was aborted', 'AbortError');
        if (ctx) ctx.metrics.requests += 1;
        const response = await fetch(url, { ...init, headers, redirect: 'manual', signal: controller.signal });
        if (response.status === 304 && ctx) ctx.metrics.notModified += 1;
        const remaining = Number(response.headers.get('x-ratelimit-remaining') ?? Number.NaN);
        if (ctx && Number.isFinite(remaining)) ctx.metrics.rateLimitRemaining = remaining;
        const location = response.headers.get('location');
        if (![301, 302, 303, 307, 308].includes(response.status) || !location || hops >= MAX_REDIRECTS) return response;
        await response.body?.cancel();
        const target = new URL(location, url);
        if (target.origin !== url.origin) {
          headers = new Headers(headers);
          headers.delete('authorization');
        }
        url = target;
      }
    } finally {
      ctx?.signal.removeEventListener('abort', abort);
    }
  };
}

/** The target of a `rel="next"` link, if any. */
export function nextLink(link: string | undefined): string | null {
  for (const part of (link ?? '').split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match) return match[1]!;
  }
  return null;
}

/** A failed request as a typed error: the runner tells a rate limit from a lost credential from anything else. */
function toSourceError(error: Error & { status?: number; response?: OctokitResponse }, request: string): SourceError {
  const status = typeof error.status === 'number' && error.status > 0 ? error.status : null;
  const headers = error.response?.headers ?? {};
  const message = `${request}: GitHub answered ${status ?? 'nothing'}${error.message ? `: ${error.message}` : ''}`;
  const rateLimited = status === 429 || (status === 403 && (headers['x-ratelimit-remaining'] === '0' || /rate limit/i.test(error.message)));
  if (rateLimited) return new RateLimitedError(message, request, status, retryAfterMs(headers));
  if (status === 401 || status === 403) return new AuthError(message, request, status);
  if (status === null || status >= 500) return new SourceError(`${request}: GitHub could not be reached or failed after retries: ${error.message}`, request, status);
  return new SourceError(message, request, status);
}

/** How long GitHub asks to wait: `retry-after` seconds, else until `x-ratelimit-reset` read against the response's own `date`. */
export function retryAfterMs(headers: Record<string, string | undefined>): number | null {
  const retryAfter = headers['retry-after'];
  if (retryAfter !== undefined && /^\s*\d+\s*$/.test(retryAfter)) return Number(retryAfter) * 1000;
  const reset = Number(headers['x-ratelimit-reset']);
  const sent = Date.parse(headers.date ?? '');
  return Number.isFinite(reset) && reset > 0 && !Number.isNaN(sent) ? Math.max(0, reset * 1000 - sent) : null;
}

const definedOnly = (query: Query) => Object.fromEntries(Object.entries(query).filter(([, value]) => value !== undefined)) as Record<string, string | number>;

function queryText(query: Query): string {
  const params = new URLSearchParams(Object.entries(definedOnly(query)).map(([key, value]) => [key, String(value)]));
  const text = params.toString();
  return text ? `?${decodeURIComponent(text)}` : '';
}
