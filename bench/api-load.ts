// API load of issue #7: autocannon against the running service (bench/service.ts) on the three
// reads a dashboard user waits for: the organisation's scorecard, a 52-week team trend and a
// 500-row "explain this number" list. Each endpoint is checked once for shape, then loaded on
// its own (20 connections, 15 s by default), one after the other.
//
// autocannon runs in this process, not in its worker mode: the service is another process, so
// this one only drives sockets, and at the targets (about a thousand requests a second)
// one thread of autocannon is far from its limit. In-process is also the only mode that emits
// a 'response' event per request, which is how p95 is measured: autocannon's own summary
// stops at p90, p97.5 and p99 (hdr-histogram-percentiles-obj), has no p95, and records whole
// milliseconds, so every 2xx response time (a float in ms, from process.hrtime) is kept here
// and p50, p95 and p99 are exact nearest-rank percentiles of them.
import autocannon from 'autocannon';
import type { PeriodType } from '../server/kpi/keys.js';

export interface ApiLoadOptions {
  /** The team whose 52-week trend is loaded (the team page's /series request). */
  team: string;
  /** The KPI whose explain list is loaded, at organisation scope (e.g. lead_time_for_changes). */
  kpi: string;
  /**
   * A date inside the data (the scorecard's week, the trend's last week, the explain period).
   * Without it the service uses its own today, which for generated data is usually empty.
   */
  at?: string;
  /** The explain list's period (default month); it must hold at least `explainRows` records. */
  explainPeriod?: PeriodType;
  /** Default 500 (issue #7). */
  explainRows?: number;
  /** Default 15 s per endpoint. */
  durationSec?: number;
  /** Default 20. */
  connections?: number;
  /** Default Chromium's, as the dashboard's requests carry it: responses are then compressed. */
  acceptEncoding?: string;
}

export interface EndpointLoad {
  url: string;
  /** Content-Encoding the service chose for `acceptEncoding` (null: sent uncompressed). */
  content_encoding: string | null;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** Mean of autocannon's per-second request counts. */
  rps: number;
  /** Completed requests. */
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Bytes received per 2xx response, headers included, as sent (compressed). */
  bytes_per_request: number;
}

export interface ApiLoad {
  connections: number;
  duration_sec: number;
  accept_encoding: string;
  latency: string;
  scorecard: EndpointLoad;
  trend: EndpointLoad & { periods: number };
  explain: EndpointLoad & { rows: number; population: number };
}

const CHROMIUM_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';
const TREND_PERIODS = 52;

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

async function getJson(url: string, headers: Record<string, string>): Promise<{ body: unknown; encoding: string | null }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  return { body: JSON.parse(text) as unknown, encoding: response.headers.get('content-encoding') };
}

function fail(url: string, what: string): never {
  throw new Error(`GET ${url}: ${what}; the load would not measure what it claims to`);
}

interface Entry { n: number }

async function load(url: string, headers: Record<string, string>, connections: number, durationSec: number): Promise<Omit<EndpointLoad, 'url' | 'content_encoding'>> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: durationSec, headers }, (error: unknown, done: autocannon.Result) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
  const sorted = Float64Array.from(times).sort();
  return {
    p50_ms: round2(percentile(sorted, 50)),
    p95_ms: round2(percentile(sorted, 95)),
    p99_ms: round2(percentile(sorted, 99)),
    rps: round2(result.requests.mean),
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    bytes_per_request: result['2xx'] ? Math.round(result.throughput.total / result['2xx']) : 0,
  };
}

export async function measureApiLoad(baseUrl: string, options: ApiLoadOptions): Promise<ApiLoad> {
  const connections = options.connections ?? 20;
  const durationSec = options.durationSec ?? 15;
  const acceptEncoding = options.acceptEncoding ?? CHROMIUM_ACCEPT_ENCODING;
  const rows = options.explainRows ?? 500;
  const headers = { accept: 'application/json', 'accept-encoding': acceptEncoding };
  const at: Record<string, string> = options.at ? { at: options.at } : {};
  const api = (path: string, query: Record<string, string | number>) => `${baseUrl}/api/v1${path}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`;

  const urls = {
    scorecard: api('/scorecard', { scope: 'org', period: 'week', ...at }),
    trend: api('/series', { scope: 'team', id: options.team, period: 'week', periods: TREND_PERIODS, ...at }),
    explain: api(`/kpis/${encodeURIComponent(options.kpi)}/explain`, { scope: 'org', period: options.explainPeriod ?? 'month', ...at, limit: rows }),
  };

  // One request each first: a wrong date, team or period would otherwise load an empty answer
  // (or a 404) very fast and report it as a result.
  const scorecard = await getJson(urls.scorecard, headers);
  const card = scorecard.body as { kpis?: Entry[] };
  if (!card.kpis?.length) fail(urls.scorecard, 'no KPIs');
  if (!card.kpis.some((k) => k.n > 0)) fail(urls.scorecard, 'no KPI has data in this week (pass `at` inside the data)');

  const trend = await getJson(urls.trend, headers);
  const series = trend.body as { periods?: unknown[]; kpis?: { key: string; points: Entry[] }[] };
  if (series.periods?.length !== TREND_PERIODS) fail(urls.trend, `${series.periods?.length ?? 0} periods, not ${TREND_PERIODS}`);
  const short = series.kpis?.find((k) => k.points.length !== TREND_PERIODS);
  if (!series.kpis?.length || short) fail(urls.trend, short ? `${short.key} has ${short.points.length} points` : 'no KPIs');
  if (!series.kpis.some((k) => k.points.some((p) => p.n > 0))) fail(urls.trend, `team ${options.team} has no data in these ${TREND_PERIODS} weeks`);

  const explain = await getJson(urls.explain, headers);
  const page = explain.body as { records?: unknown[]; total?: number };
  if (page.records?.length !== rows) fail(urls.explain, `${page.records?.length ?? 0} records (population ${page.total ?? 0}), not ${rows}: choose a longer period`);

  return {
    connections,
    duration_sec: durationSec,
    accept_encoding: acceptEncoding,
    latency: 'exact nearest-rank percentiles of every 2xx response time (autocannon response events)',
    scorecard: { url: urls.scorecard, content_encoding: scorecard.encoding, ...(await load(urls.scorecard, headers, connections, durationSec)) },
    trend: { url: urls.trend, content_encoding: trend.encoding, periods: TREND_PERIODS, ...(await load(urls.trend, headers, connections, durationSec)) },
    explain: { url: urls.explain, content_encoding: explain.encoding, rows, population: page.total ?? 0, ...(await load(urls.explain, headers, connections, durationSec)) },
  };
}

/**
 * One dashboard panel as a user waits for it: `repeats` sequential requests (after one to warm
 * up), one connection, as the dashboard's own fetch does; the median is compared with the
 * Four Keys-style baseline's request for the same panels.
 */
export async function measurePanel(url: string, repeats: number): Promise<{ url: string; median_ms: number; p95_ms: number; repeats: number }> {
  const headers = { accept: 'application/json', 'accept-encoding': CHROMIUM_ACCEPT_ENCODING };
  await getJson(url, headers);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await getJson(url, headers);
    times.push(performance.now() - started);
  }
  const sorted = Float64Array.from(times).sort();
  return { url, median_ms: round2(percentile(sorted, 50)), p95_ms: round2(percentile(sorted, 95)), repeats };
}
