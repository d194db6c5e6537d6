// A small client for PagerDuty's REST API v2 over fetch: authentication, versioned Accept
// header, and the retries PagerDuty asks for (429 with `ratelimit-reset` or `retry-after`;
// 5xx and network failures with backoff), all bounded, so a run fails clearly instead of hanging.
import { setTimeout as delay } from 'node:timers/promises';
import type { SyncContext } from '../contract.js';

export const DEFAULT_BASE_URL = 'https://api.pagerduty.com';
const DEFAULT_MAX_ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

/** Waits `ms`, or rejects when the signal aborts. Injected by tests, so they never wait. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;
const realSleep: Sleep = (ms, signal) => delay(ms, undefined, { signal });

/** Query values; an array is sent as PagerDuty's repeated `key[]=value`. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

// AuthError: 401/403. RateLimitedError: still 429 after every allowed attempt.
import { AuthError, RateLimitedError, SourceError } from '../source-errors.js';

export { AuthError, RateLimitedError, SourceError };

export interface PagerDutyClientOptions {
  /** PAGERDUTY_TOKEN: a REST API key (read-only is enough). */
  token: string;
  /** Default https://api.pagerduty.com; tests point it at a local server. */
  baseUrl?: string;
  sleep?: Sleep;
  /** Attempts per request, the first included (default 5). */
  maxAttempts?: number;
}

export interface PagerDutyClient {
  /** GET `path` and parse the JSON body. Counts every attempt in `ctx.metrics.requests`. */
  get<T>(path: string, query: Query, ctx: SyncContext): Promise<T>;
}

export function createPagerDutyClient(options: PagerDutyClientOptions): PagerDutyClient {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
  const sleep = options.sleep ?? realSleep;
  const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const headers = {
    Authorization: `Token token=${options.token}`,
    Accept: 'application/vnd.pagerduty+json;version=2',
  };

  return {
    async get<T>(path: string, query: Query, ctx: SyncContext): Promise<T> {
      const url = `${baseUrl}${path}${queryString(query)}`;
      const request = `GET ${path}${decodeURIComponent(queryString(query))}`;
      for (let attempt = 1; ; attempt++) {
        ctx.signal.throwIfAborted();
        ctx.metrics.requests += 1;
        const last = attempt >= maxAttempts;
        const answer = await send(url, headers, ctx.signal).catch((error: unknown) => {
          if (ctx.signal.aborted) throw error;
          return error as Error;
        });
        if (answer instanceof Error) {
          if (last) throw new SourceError(`${request}: PagerDuty could not be reached in ${attempt} attempts: ${answer.message}`, request, null);
          await sleep(backoffMs(attempt), ctx.signal);
          continue;
        }

        const { response, body } = answer;
        if (response.ok) return parseJson<T>(body, request, response.status);
        const reason = errorMessage(body);
        if (response.status === 429 || response.status >= 500) {
          const waitMs = retryDelayMs(response.headers);
          if (last && response.status === 429) throw new RateLimitedError(`${request}: still rate limited (429) after ${attempt} attempts${reason}`, request, 429, waitMs);
          if (last) throw new SourceError(`${request}: PagerDuty answered ${response.status} ${response.statusText} ${attempt} times${reason}`, request, response.status);
          ctx.log.warn({ connector: 'pagerduty', request, status: response.status, attempt, waitMs: waitMs ?? backoffMs(attempt) }, 'PagerDuty asked to retry');
          await sleep(waitMs ?? backoffMs(attempt), ctx.signal);
          continue;
        }
        const ErrorClass = response.status === 401 || response.status === 403 ? AuthError : SourceError;
        throw new ErrorClass(`${request}: PagerDuty answered ${response.status} ${response.statusText}${reason}`, request, response.status);
      }
    },
  };
}

/**
 * One attempt, body read. It gets a signal of its own, linked to the run's: fetch leaves its
 * listener on the signal it is given, and a backfill makes tens of thousands of requests.
 */
async function send(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ response: Response; body: string }> {
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    return { response, body: await response.text() };
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function parseJson<T>(body: string, request: string, status: number): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new SourceError(`${request}: PagerDuty answered ${status} with a body that is not JSON`, request, status);
  }
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(`${key}[]`, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const backoffMs = (attempt: number) => Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS);

/**
 * How long PagerDuty asks us to wait: `ratelimit-reset` (seconds until the limit resets, its
 * REST API's header), else `retry-after` (seconds, or an HTTP date read against the response's
 * own `date`, so no local clock is involved). Null when neither says.
 */
export function retryDelayMs(headers: Headers): number | null {
  const seconds = (value: string | null) => (value !== null && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Math.ceil(Number(value) * 1000) : null);
  const reset = seconds(headers.get('ratelimit-reset'));
  if (reset !== null) return reset;
  const retryAfter = headers.get('retry-after');
  const retrySeconds = seconds(retryAfter);
  if (retrySeconds !== null) return retrySeconds;
  const at = retryAfter ? Date.parse(retryAfter) : Number.NaN;
  const sent = Date.parse(headers.get('date') ?? '');
  return Number.isNaN(at) || Number.isNaN(sent) ? null : Math.max(0, at - sent);
}

/** PagerDuty's error body is `{ error: { message, code, errors: [] } }`; shown after a colon. */
function errorMessage(body: string): string {
  try {
    const { error } = JSON.parse(body) as { error?: { message?: string; code?: number; errors?: string[] } };
    if (error?.message) {
      const details = error.errors?.length ? ` (${error.errors.join('; ')})` : '';
      return `: ${error.message}${error.code !== undefined ? ` [code ${error.code}]` : ''}${details}`;
    }
  } catch {
    // Not JSON: a proxy's page, say. Its first line is still worth showing.
  }
  const line = body.trim().split('\n')[0]?.slice(0, 200);
  return line ? `: ${line}` : '';
}
