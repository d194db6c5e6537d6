// Typed fetch over the JSON API (/api/v1, contract in api-types.ts). Adds the bearer token
// from localStorage, and on 401 asks the page for a token once and retries, so every view
// can simply await its data.
import type {
  ExplainResponse,
  MonthlyReport,
  OrgResponse,
  PeriodType,
  RedItemsResponse,
  ReportListResponse,
  ScopeType,
  ScorecardResponse,
  SeriesResponse,
} from './api-types.js';

export const API_BASE = '/api/v1';
const TOKEN_KEY = 'bellwether.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server answers an unknown path with 404 "no route …": the endpoint is not deployed. */
export function isMissingRoute(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404 && /^no route/i.test(error.message);
}

export type Query = Record<string, string | number | null | undefined>;

export interface ScopeQuery {
  scope?: ScopeType;
  id?: string | null;
  period?: PeriodType;
  at?: string | null;
}

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return `${API_BASE}${path}${text ? `?${text}` : ''}`;
}

export function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled (private mode): run without a token
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Ignored: the token then lasts for this page only (kept in memory below).
  }
  memoryToken = token;
}
let memoryToken: string | null = null;

type UnauthorizedHandler = (reason: string) => Promise<void>;
let unauthorizedHandler: UnauthorizedHandler | null = null;
let pendingAuth: Promise<void> | null = null;

/** main.ts registers the token form here; resolves once a new token is stored. */
export function onUnauthorized(handler: UnauthorizedHandler): void {
  unauthorizedHandler = handler;
}

async function send(url: string, signal?: AbortSignal, accept = 'application/json'): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const token = memoryToken ?? storedToken();
    const headers: Record<string, string> = { Accept: accept };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, { headers, signal: signal ?? null });
    if (response.status === 401 && unauthorizedHandler && attempt < 5) {
      // Concurrent requests share one prompt; all retry once it is answered.
      pendingAuth ??= unauthorizedHandler(token ? 'The saved API token was not accepted.' : 'This Bellwether server needs an API token.').finally(() => {
        pendingAuth = null;
      });
      await pendingAuth;
      continue;
    }
    if (!response.ok) throw await toError(response);
    return response;
  }
}

async function toError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(response.status, body.error?.code ?? 'http_error', body.error?.message ?? response.statusText);
  } catch {
    return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
  }
}

async function getJson<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T> {
  const response = await send(apiUrl(path, query), signal);
  return (await response.json()) as T;
}

const scopeQuery = (q: ScopeQuery): Query => ({ scope: q.scope ?? 'org', id: q.scope && q.scope !== 'org' ? q.id : null, period: q.period ?? 'week', at: q.at });

// The organisation rarely changes during a visit; one request serves every view.
let orgPromise: Promise<OrgResponse> | null = null;
export function getOrg(signal?: AbortSignal): Promise<OrgResponse> {
  orgPromise ??= getJson<OrgResponse>('/org', {}, signal).catch((error: unknown) => {
    orgPromise = null;
    throw error;
  });
  return orgPromise;
}

export interface KpiRegistryEntry {
  key: string;
  name: string;
  unit: string;
  direction: string;
  default_target: number;
  minimum_sample: number;
  description: string;
  record_kind: string;
}

// The KPI registry (GET /kpis) is static for a server's lifetime.
let registryPromise: Promise<{ kpis: KpiRegistryEntry[] }> | null = null;
export function getKpiRegistry(signal?: AbortSignal): Promise<{ kpis: KpiRegistryEntry[] }> {
  registryPromise ??= getJson<{ kpis: KpiRegistryEntry[] }>('/kpis', {}, signal).catch((error: unknown) => {
    registryPromise = null;
    throw error;
  });
  return registryPromise;
}

export function getScorecard(query: ScopeQuery, signal?: AbortSignal): Promise<ScorecardResponse> {
  return getJson('/scorecard', scopeQuery(query), signal);
}

/** Every KPI over `periods` periods ending with the one containing `at` (oldest first). */
export function getSeries(query: ScopeQuery & { periods: number }, signal?: AbortSignal): Promise<SeriesResponse> {
  return getJson('/series', { ...scopeQuery(query), periods: query.periods }, signal);
}

/** "What went red": every red team and service cell in the period. */
export function getRedItems(query: { period: PeriodType; at?: string | null }, signal?: AbortSignal): Promise<RedItemsResponse> {
  return getJson('/scorecard/red', { period: query.period, at: query.at }, signal);
}

export interface ExplainQuery extends ScopeQuery {
  limit: number;
  offset: number;
}

export function getExplain(key: string, query: ExplainQuery, signal?: AbortSignal): Promise<ExplainResponse> {
  return getJson(`/kpis/${encodeURIComponent(key)}/explain`, { ...scopeQuery(query), limit: query.limit, offset: query.offset }, signal);
}

/** Every record behind the value as CSV (the server sets Content-Disposition). */
export function explainCsvUrl(key: string, query: ScopeQuery): string {
  return apiUrl(`/kpis/${encodeURIComponent(key)}/explain`, { ...scopeQuery(query), format: 'csv' });
}

/**
 * Downloads an API URL as a file. A plain link cannot carry the bearer token, so fetch it,
 * wrap it in a Blob and click a temporary object URL.
 */
export async function downloadFile(url: string, fallbackName: string): Promise<void> {
  const response = await send(url, undefined, 'text/csv, */*');
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1] ?? match[2] ?? fallbackName) : fallbackName;
  const objectUrl = URL.createObjectURL(blob);
  const anchor = document.createElement('a');
  anchor.href = objectUrl;
  anchor.download = name;
  anchor.hidden = true;
  document.body.appendChild(anchor);
  anchor.click();
  anchor.remove();
  // Revoke after the click has been handed to the browser's download manager.
  setTimeout(() => URL.revokeObjectURL(objectUrl), 10_000);
}

export function getReportList(signal?: AbortSignal): Promise<ReportListResponse> {
  return getJson('/reports/monthly', {}, signal);
}

export function getReport(month: string, version: number | null, signal?: AbortSignal): Promise<MonthlyReport> {
  return getJson(`/reports/monthly/${encodeURIComponent(month)}`, { version }, signal);
}
