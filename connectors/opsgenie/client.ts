// Opsgenie REST over Node's fetch: GenieKey auth, every request counted, 429 and 5xx retried
// within bounds, typed errors so the sync runner can tell "back off" from "fix the config".
// Endpoints used: GET /v1/incidents (list), GET /v1/incidents/:id, GET /v1/services.
import { setTimeout as wait } from 'node:timers/promises';
import type { SyncMetrics } from '../contract.js';
import type { OpsgenieIncident, OpsgenieService } from './map.js';

export const DEFAULT_API_URL = 'https://api.opsgenie.com';
/** Opsgenie's largest page (its pagination docs: default 20, maximum 100). */
export const MAX_PAGE_SIZE = 100;

export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;
export interface RequestContext {
  signal: AbortSignal;
  metrics: SyncMetrics;
}

export class OpsgenieError extends Error {
  constructor(
    readonly code: 'auth' | 'rate_limited' | 'source',
    message: string,
    readonly status: number | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
/** 401/403: the key is wrong, expired, or lacks read access; retrying will not help. */
export class OpsgenieAuthError extends OpsgenieError {
  constructor(message: string, status: number, requestId: string | null) {
    super('auth', message, status, requestId);
  }
}
/** Still throttled after the retries, or asked to wait longer than we block a sync for. */
export class OpsgenieRateLimitedError extends OpsgenieError {
  constructor(message: string, readonly retryAfterMs: number, requestId: string | null) {
    super('rate_limited', message, 429, requestId);
  }
}
/** Anything else: 4xx, 5xx after the retries, unreadable bodies, network failures. */
export class OpsgenieSourceError extends OpsgenieError {
  constructor(message: string, status: number | null = null, requestId: string | null = null) {
    super('source', message, status, requestId);
  }
}

export interface OpsgenieClientOptions {
  apiKey: string;
  /** Default https://api.opsgenie.com; EU accounts use https://api.eu.opsgenie.com. */
  apiUrl?: string;
  /** Injected so tests never wait; default: a timer that the sync's abort signal cancels. */
  sleep?: Sleep;
  /** Wall clock, only to read an HTTP-date Retry-After. */
  now?: () => number;
  maxRateLimitRetries?: number;
  maxServerErrorRetries?: number;
  /** A wait longer than this is not slept through: the runner gets OpsgenieRateLimitedError and reschedules. */
  maxWaitMs?: number;
  timeoutMs?: number;
}

export interface OpsgenieClient {
  get<T>(path: string, query: Record<string, string | number> | undefined, ctx: RequestContext): Promise<T>;
}

const defaultSleep: Sleep = (ms, signal) => wait(ms, undefined, { signal });

/**
 * How long a 429 asks us to wait: Retry-After (seconds or HTTP date) if present, else
 * X-RateLimit-Period-In-Sec (Opsgenie's throttled window, 1 or 60), else doubling from 1 s.
 */
export function rateLimitWaitMs(headers: Headers, attempt: number, nowMs: number): number {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter.trim())) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (!Number.isNaN(at)) return Math.max(0, at - nowMs);
  }
  const period = headers.get('x-ratelimit-period-in-sec');
  if (period && /^\d+$/.test(period.trim())) return Number(period) * 1000;
  return backoffMs(attempt);
}

const backoffMs = (attempt: number) => Math.min(60_000, 1000 * 2 ** attempt);

export function createOpsgenieClient(options: OpsgenieClientOptions): OpsgenieClient {
  const base = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  const sleep = options.sleep ?? defaultSleep;
  const now = options.now ?? Date.now;
  const maxRateLimitRetries = options.maxRateLimitRetries ?? 5;
  const maxServerErrorRetries = options.maxServerErrorRetries ?? 3;
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  if (!options.apiKey) throw new OpsgenieAuthError('no Opsgenie API key (OPSGENIE_API_KEY)', 401, null);

  async function get<T>(path: string, query: Record<string, string | number> | undefined, ctx: RequestContext): Promise<T> {
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(query ?? {})) url.searchParams.set(key, String(value));
    let throttled = 0;
    let failed = 0;
    for (;;) {
      ctx.signal.throwIfAborted();
      ctx.metrics.requests += 1;
      let response: Response;
      try {
        response = await fetch(url, {
          headers: { authorization: `GenieKey ${options.apiKey}`, accept: 'application/json' },
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        ctx.signal.throwIfAborted();
        // A network failure or our own timeout: transient, retried like a 5xx.
        if (failed >= maxServerErrorRetries) throw new OpsgenieSourceError(`GET ${url.pathname} failed: ${(error as Error).message}`);
        await sleep(backoffMs(failed++), ctx.signal);
        continue;
      }
      const requestId = response.headers.get('x-request-id');
      if (response.ok) return (await readJson(response, url, requestId)) as T;

      const detail = await errorDetail(response);
      if (response.status === 429) {
        const waitMs = rateLimitWaitMs(response.headers, throttled, now());
        if (throttled >= maxRateLimitRetries || waitMs > maxWaitMs) {
          throw new OpsgenieRateLimitedError(`Opsgenie throttled GET ${url.pathname} (${detail}); retry in ${Math.ceil(waitMs / 1000)} s`, waitMs, requestId);
        }
        throttled += 1;
        await sleep(waitMs, ctx.signal);
        continue;
      }
      if (response.status >= 500 && failed < maxServerErrorRetries) {
        await sleep(backoffMs(failed++), ctx.signal);
        continue;
      }
      const message = `Opsgenie answered ${response.status} to GET ${url.pathname}: ${detail}`;
      if (response.status === 401 || response.status === 403) throw new OpsgenieAuthError(message, response.status, requestId);
      throw new OpsgenieSourceError(message, response.status, requestId);
    }
  }
  return { get };
}

async function readJson(response: Response, url: URL, requestId: string | null): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new OpsgenieSourceError(`Opsgenie sent a body that is not JSON for GET ${url.pathname}: ${text.slice(0, 200)}`, response.status, requestId);
  }
}

/** Opsgenie errors are `{ message, took, requestId }`; keep the message, or the start of whatever came. */
async function errorDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string' && body.message) return body.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || response.statusText || 'no body';
}

// ---------------------------------------------------------------- endpoints

interface ListBody<T> {
  data?: T[];
  paging?: { next?: string };
}

/** Which incidents to list: created in [createdFromMs, createdBeforeMs), optionally only the open ones. */
export interface IncidentSearch {
  createdFromMs: number;
  createdBeforeMs?: number;
  openOnly?: boolean;
  offset: number;
  limit: number;
}

/**
 * One page of incidents, oldest first. The query uses Opsgenie's "Search syntax for incidents":
 * createdAt in epoch milliseconds with >= and <, `status: open`, terms joined by AND.
 */
export async function listIncidents(client: OpsgenieClient, search: IncidentSearch, ctx: RequestContext): Promise<OpsgenieIncident[]> {
  const terms = [
    search.openOnly ? 'status: open' : null,
    `createdAt >= ${search.createdFromMs}`,
    search.createdBeforeMs === undefined ? null : `createdAt < ${search.createdBeforeMs}`,
  ];
  const body = await client.get<ListBody<OpsgenieIncident>>('/v1/incidents', {
    query: terms.filter(Boolean).join(' AND '), offset: search.offset, limit: search.limit, sort: 'createdAt', order: 'asc',
  }, ctx);
  if (!Array.isArray(body.data)) throw new OpsgenieSourceError('Opsgenie incident list has no data array');
  return body.data;
}

/** One incident by id; null when Opsgenie no longer has it (deleted). */
export async function getIncident(client: OpsgenieClient, id: string, ctx: RequestContext): Promise<OpsgenieIncident | null> {
  try {
    const body = await client.get<{ data?: OpsgenieIncident }>(`/v1/incidents/${encodeURIComponent(id)}`, { identifierType: 'id' }, ctx);
    if (!body.data || typeof body.data !== 'object') throw new OpsgenieSourceError(`Opsgenie incident ${id} came without data`);
    return body.data;
  } catch (error) {
    if (error instanceof OpsgenieSourceError && error.status === 404) return null;
    throw error;
  }
}

/** Every Opsgenie service (id and name), to map services configured by name. */
export async function listServices(client: OpsgenieClient, ctx: RequestContext): Promise<OpsgenieService[]> {
  const services: OpsgenieService[] = [];
  for (let offset = 0; ; offset += MAX_PAGE_SIZE) {
    const body = await client.get<ListBody<OpsgenieService>>('/v1/services', { offset, limit: MAX_PAGE_SIZE }, ctx);
    const data = Array.isArray(body.data) ? body.data : [];
    services.push(...data.filter((s) => typeof s?.id === 'string' && typeof s?.name === 'string'));
    if (data.length < MAX_PAGE_SIZE) return services;
  }
}
