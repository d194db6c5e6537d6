// When each incident was first acknowledged, with as few requests as the data allow (issue:
// "acknowledgement time from log entries"). A backfill holds tens of thousands of incidents,
// and one log request per incident would be most of its requests, so:
// 1. no request when the incident tells it (`acknowledgements` is set, or it is still
//    triggered and its status never changed), or when its status has not changed since a run
//    saw it open (the cursor keeps what that run found);
// 2. for a listed window, the account's log from the window's start to the last status change
//    of its incidents (at most a day past the window), when that takes fewer pages than one
//    request per incident: an incident whose last status change falls inside that range has
//    its first acknowledgement there too, since an acknowledgement is a status change;
// 3. otherwise the incident's own log.
import type { SyncContext } from '../contract.js';
import type { PagerDutyClient } from './client.js';
import type { OpenIncidents } from './cursor.js';
import { acknowledgedAtWithoutLog, firstAcknowledgementAt } from './map.js';
import { OFFSET_LIMIT, PAGE_SIZE, countInWindow, listAll, listInWindows, type RangedList } from './paging.js';
import type { LogEntry, RestIncident } from './payloads.js';
import { DAY_MS, MAX_WINDOW_MS, requestBounds, type TimeWindow } from './windows.js';

/** How far past a window the account's log is read for its incidents' acknowledgements. */
const LOOKAHEAD_MS = DAY_MS;

/** `is_overview` keeps the log to status changes and the like: far fewer entries than notifications. */
const ACCOUNT_LOG: RangedList<LogEntry> = {
  path: '/log_entries',
  key: 'log_entries',
  query: { is_overview: true, time_zone: 'UTC' },
  createdAt: (entry) => entry.created_at,
};

export interface AcknowledgementContext {
  /** Incidents a run saw open, with their first acknowledgement then. */
  open: OpenIncidents;
  /** The window the incidents were listed in; null for incidents fetched one by one. */
  window: TimeWindow | null;
  /** The run's end: no log is read past it. */
  runUntil: Date;
}

/** Incident id → its first acknowledgement (null: never acknowledged). */
export async function firstAcknowledgements(
  client: PagerDutyClient,
  incidents: readonly RestIncident[],
  context: AcknowledgementContext,
  ctx: SyncContext,
): Promise<Map<string, string | null>> {
  const found = new Map<string, string | null>();
  const needLog: RestIncident[] = [];
  for (const incident of incidents) {
    let known = acknowledgedAtWithoutLog(incident);
    if (known === undefined) known = unchangedSinceSeenOpen(incident, context.open);
    if (known === undefined) needLog.push(incident);
    else found.set(incident.id, known);
  }

  const range = context.window && needLog.length > 1 ? accountLogRange(context.window, context.runUntil, needLog) : null;
  const covered = range ? needLog.filter((incident) => Date.parse(lastStatusChange(incident)) < range.end.getTime()) : [];
  const fromAccountLog = range && covered.length > 1 ? await readAccountLog(client, covered, range, ctx) : null;
  for (const incident of needLog) {
    const fromAccount = fromAccountLog?.get(incident.id);
    found.set(incident.id, fromAccount !== undefined ? fromAccount : await acknowledgementFromOwnLog(client, incident, ctx));
  }
  return found;
}

/**
 * The first acknowledgement of each of `incidents` from the account's log over `range`, or
 * null when that log (every service's entries) would take more requests than the incidents' own logs.
 */
async function readAccountLog(client: PagerDutyClient, incidents: readonly RestIncident[], range: TimeWindow, ctx: SyncContext): Promise<Map<string, string | null> | null> {
  const total = await countInWindow(client, ACCOUNT_LOG, range, ctx);
  if (total === null || Math.ceil(total / PAGE_SIZE) >= incidents.length) return null;
  const wanted = new Set(incidents.map((incident) => incident.id));
  const acknowledgements = new Map<string, LogEntry[]>();
  for await (const { items } of listInWindows(client, ACCOUNT_LOG, range, OFFSET_LIMIT, ctx)) {
    for (const entry of items) {
      const id = entry.incident?.id;
      if (entry.type !== 'acknowledge_log_entry' || !id || !wanted.has(id)) continue;
      const entries = acknowledgements.get(id);
      if (entries) entries.push(entry);
      else acknowledgements.set(id, [entry]);
    }
  }
  return new Map(incidents.map((incident) => [incident.id, firstAcknowledgementAt(acknowledgements.get(incident.id) ?? [])]));
}

const lastStatusChange = (incident: RestIncident) => incident.last_status_change_at ?? incident.created_at;

/** The status is as a run last saw it: so is the first acknowledgement that run found. */
function unchangedSinceSeenOpen(incident: RestIncident, open: OpenIncidents): string | null | undefined {
  const seen = open.get(incident.id);
  if (!seen?.status_changed_at || !incident.last_status_change_at) return undefined;
  return Date.parse(seen.status_changed_at) === Date.parse(incident.last_status_change_at) ? seen.acknowledged_at : undefined;
}

/**
 * From the window's start to just after the latest status change of these incidents; at most a
 * day past the window (a long-open incident reads its own log instead), never past the run's
 * end, and never longer than PagerDuty accepts.
 */
function accountLogRange(window: TimeWindow, runUntil: Date, incidents: readonly RestIncident[]): TimeWindow {
  const latestChange = Math.max(...incidents.map((incident) => Date.parse(lastStatusChange(incident))));
  const end = Math.min(latestChange + 1, window.end.getTime() + LOOKAHEAD_MS, runUntil.getTime(), window.start.getTime() + MAX_WINDOW_MS);
  return { start: window.start, end: new Date(Math.max(end, window.start.getTime() + 1)) };
}

/** `GET /incidents/{id}/log_entries` over the incident's life so far (its first acknowledgement precedes its last status change). */
async function acknowledgementFromOwnLog(client: PagerDutyClient, incident: RestIncident, ctx: SyncContext): Promise<string | null> {
  const created = Date.parse(incident.created_at);
  const life = { start: new Date(created), end: new Date(Math.min(Math.max(Date.parse(lastStatusChange(incident)), created), created + MAX_WINDOW_MS)) };
  const path = `/incidents/${encodeURIComponent(incident.id)}/log_entries`;
  const { items } = await listAll<LogEntry>(client, path, 'log_entries', { is_overview: true, time_zone: 'UTC', ...requestBounds(life) }, ctx);
  return firstAcknowledgementAt(items);
}
