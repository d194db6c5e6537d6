// Test helper: a local HTTP server that answers like PagerDuty's REST API v2, from recorded
// incident bodies (testing/recorded.ts). It keeps PagerDuty's rules that the connector must
// live with: classic pagination refusing offset + limit > 10,000, ranges over six months
// refused, `total` only when asked, 429s when told to, and its error shape
// `{ "error": { "message", "code", "errors" } }`.
// Choices where PagerDuty does not document its behaviour, made the inconvenient way:
// - since/until are inclusive at both ends, so an incident on a boundary of two windows is
//   returned by both (the connector must keep it once); or, when asked, exclusive at both ends,
//   so it is returned by neither unless the connector asks a little wider;
// - `is_overview=true` leaves out notify_log_entry, and keeps the status changes;
// - log entries come newest first.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogEntry, RestIncident } from '../payloads.js';
import type { RecordedIncident } from './recorded.js';

export const FAKE_TOKEN = 'test-token-0123456789';
const OFFSET_LIMIT = 10_000;

export interface CannedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface FakePagerDuty {
  url: string;
  /** Every request received, in order. */
  requests: { path: string; query: URLSearchParams }[];
  add(...incidents: RecordedIncident[]): void;
  /** Changes a stored incident, e.g. resolves it; `logEntries` are appended to its log. */
  update(id: string, change: (incident: RestIncident & Record<string, unknown>) => void, logEntries?: LogEntry[]): void;
  /** The next requests get these answers instead, one each. */
  respondNext(...responses: CannedResponse[]): void;
  close(): Promise<void>;
}

type Stored = RestIncident & Record<string, unknown>;
const invalid = (...errors: string[]) => ({ status: 400, body: { error: { message: 'Invalid Input Provided', code: 2001, errors } } });

export interface FakeOptions {
  /** How since/until treat an item exactly on them (default inclusive). */
  bounds?: 'inclusive' | 'exclusive';
}

export async function startFakePagerDuty(options: FakeOptions = {}): Promise<FakePagerDuty> {
  const bounds = options.bounds ?? 'inclusive';
  // Kept sorted: incidents by created_at then id, log entries by created_at (bisected by time,
  // as tens of thousands of them need).
  const incidents: Stored[] = [];
  let createdTimes: number[] = [];
  const logs = new Map<string, LogEntry[]>();
  let accountLogs: { all: TimeOrdered; overview: TimeOrdered } | null = null;
  const canned: CannedResponse[] = [];
  const requests: FakePagerDuty['requests'] = [];

  const changed = () => {
    incidents.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.id.localeCompare(b.id));
    createdTimes = incidents.map((incident) => Date.parse(incident.created_at));
    accountLogs = null;
  };
  const accountLog = (overview: boolean) => {
    if (!accountLogs) {
      const all = [...logs.values()].flat();
      accountLogs = { all: byTime(all), overview: byTime(all.filter(isOverview)) };
    }
    return overview ? accountLogs.overview : accountLogs.all;
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: url.searchParams });
    const answer = canned.shift() ?? route(request, url);
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
  });

  function route(request: IncomingMessage, url: URL): CannedResponse {
    if (request.headers.authorization !== `Token token=${FAKE_TOKEN}`) return { status: 401, body: { error: { message: 'Unauthorized', code: 2006 } } };
    if (request.headers.accept !== 'application/vnd.pagerduty+json;version=2') return { status: 406, body: { error: { message: 'Not Acceptable' } } };
    if (request.method !== 'GET') return { status: 405, body: { error: { message: 'Method Not Allowed' } } };
    const query = url.searchParams;
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'incidents' && parts.length === 1) return listIncidents(query);
    if (parts[0] === 'incidents' && parts.length === 2) {
      const incident = incidents.find((i) => i.id === parts[1]);
      return incident ? { status: 200, body: { incident } } : notFound();
    }
    if (parts[0] === 'incidents' && parts[2] === 'log_entries' && parts.length === 3) {
      if (!incidents.some((i) => i.id === parts[1])) return notFound();
      const own = logs.get(parts[1]!) ?? [];
      return listLogEntries(query, byTime(query.get('is_overview') === 'true' ? own.filter(isOverview) : own), false);
    }
    if (parts[0] === 'log_entries' && parts.length === 1) return listLogEntries(query, accountLog(query.get('is_overview') === 'true'), true);
    return notFound();
  }

  function listIncidents(query: URLSearchParams): CannedResponse {
    const range = dateRange(query, true, bounds);
    if ('status' in range) return range;
    const services = query.getAll('service_ids[]');
    const statuses = query.getAll('statuses[]');
    const inRange = incidents.slice(...range.indexes(createdTimes));
    const matching = inRange.filter((i) => (!services.length || services.includes(i.service.id)) && (!statuses.length || statuses.includes(i.status)));
    return paged(query, 'incidents', matching);
  }

  function listLogEntries(query: URLSearchParams, sorted: TimeOrdered, rangeRequired: boolean): CannedResponse {
    const range = dateRange(query, rangeRequired, bounds);
    if ('status' in range) return range;
    return paged(query, 'log_entries', sorted.entries.slice(...range.indexes(sorted.times)).reverse());
  }

  return {
    url: `http://127.0.0.1:${await listen(server)}`,
    requests,
    add(...added) {
      // The server owns what it is given: tests change incidents through update().
      for (const { incident, logEntries } of added) {
        incidents.push(incident);
        logs.set(incident.id, logEntries);
      }
      changed();
    },
    update(id, change, logEntries = []) {
      const incident = incidents.find((i) => i.id === id);
      if (!incident) throw new Error(`no incident ${id}`);
      change(incident);
      logs.set(id, [...(logs.get(id) ?? []), ...logEntries]);
      changed();
    },
    respondNext(...responses) {
      canned.push(...responses);
    },
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

const notFound = (): CannedResponse => ({ status: 404, body: { error: { message: 'Not Found', code: 2100 } } });

interface DateRange {
  /** The slice [from, to) of ascending `times` that the range selects. */
  indexes(times: number[]): [number, number];
}

/** since/until, at most six calendar months apart; `date_range=all` lifts them. */
function dateRange(query: URLSearchParams, required: boolean, bounds: 'inclusive' | 'exclusive'): DateRange | CannedResponse {
  if (query.get('date_range') === 'all') return { indexes: (times) => [0, times.length] };
  const since = query.has('since') ? Date.parse(query.get('since')!) : null;
  const until = query.has('until') ? Date.parse(query.get('until')!) : null;
  // PagerDuty defaults to the last month; the connector must never rely on that, so the fake refuses.
  if (required && (since === null || until === null)) return invalid('the fake requires since and until');
  if (Number.isNaN(since) || Number.isNaN(until)) return invalid('since and until must be ISO 8601 date-times');
  if (since !== null && until !== null) {
    if (since > until) return invalid('Since must be before until');
    const sixMonthsLater = new Date(since);
    sixMonthsLater.setUTCMonth(sixMonthsLater.getUTCMonth() + 6);
    if (until > sixMonthsLater.getTime()) return invalid('Date range cannot exceed 6 months');
  }
  const exclusive = bounds === 'exclusive' ? 1 : 0;
  return {
    indexes: (times) => [since === null ? 0 : bisect(times, since + exclusive), until === null ? times.length : bisect(times, until + 1 - exclusive)],
  };
}

/** Classic pagination: limit ≤ 100 (default 25), offset + limit ≤ 10,000, total only with total=true. */
function paged<T>(query: URLSearchParams, key: string, items: T[]): CannedResponse {
  const limit = Math.min(Number(query.get('limit') ?? 25), 100);
  const offset = Number(query.get('offset') ?? 0);
  if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0) return invalid('limit and offset must be non-negative integers');
  if (offset + limit > OFFSET_LIMIT) return invalid(`Offset must be less than ${OFFSET_LIMIT}`, 'offset + limit must not exceed 10000');
  return {
    status: 200,
    body: { [key]: items.slice(offset, offset + limit), limit, offset, total: query.get('total') === 'true' ? items.length : null, more: offset + limit < items.length },
  };
}

const isOverview = (entry: LogEntry) => entry.type !== 'notify_log_entry';

interface TimeOrdered {
  entries: LogEntry[];
  times: number[];
}

function byTime(entries: LogEntry[]): TimeOrdered {
  const sorted = [...entries].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  return { entries: sorted, times: sorted.map((entry) => Date.parse(entry.created_at)) };
}

/** The first index whose time is at or after `ms`, in ascending `times`. */
function bisect(times: number[], ms: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (times[middle]! < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
