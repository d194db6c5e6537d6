// The PagerDuty connector: incidents of the services mapped in bellwether.yaml, read from the
// REST API v2 (PAGERDUTY_TOKEN) in created_at windows, one batch per window, each with the
// cursor that is valid once it is stored (cursor.ts says what the cursor holds and why).
import type { Batch, Connector, NormalizedRecord, StreamKey, SyncContext } from '../contract.js';
import { firstAcknowledgements } from './acknowledgements.js';
import { createPagerDutyClient, SourceError, type PagerDutyClient, type PagerDutyClientOptions } from './client.js';
import { backfillStart, DEFAULT_OVERLAP_DAYS, type PagerDutyConfig } from './config.js';
import { cursorAt, OpenIncidents, parseCursor, planRun, type OpenIncident, type PagerDutyCursor } from './cursor.js';
import { incidentRecord, SOURCE } from './map.js';
import { listAll, listInWindows, OFFSET_LIMIT, type RangedList } from './paging.js';
import type { RestIncident } from './payloads.js';
import { DAY_MS } from './windows.js';

export { PagerDutyConfig, normaliseSeverity } from './config.js';
export type { PagerDutyCursor } from './cursor.js';
export { translateWebhookV3, type PagerDutyDelivery } from './map.js';
export { verifyPagerDutySignature } from './webhook.js';
export { AuthError, RateLimitedError, SourceError, type Sleep } from './client.js';

export const INCIDENTS_STREAM: StreamKey = { connector: SOURCE, stream: 'incidents' };
const DEFAULT_MAX_INCIDENTS_PER_WINDOW = 1_000;

export interface PagerDutyConnectorOptions extends PagerDutyClientOptions {
  /** The `pagerduty:` section of bellwether.yaml, already validated. */
  config: PagerDutyConfig;
  /** Incidents per window, so per batch (default 1,000; at most 10,000, what offset paging reaches). */
  maxIncidentsPerWindow?: number;
}

export function pagerDutyConnector(options: PagerDutyConnectorOptions): Connector<PagerDutyCursor, PagerDutyConfig> {
  const client = createPagerDutyClient(options);
  const maxPerWindow = Math.min(Math.max(1, options.maxIncidentsPerWindow ?? DEFAULT_MAX_INCIDENTS_PER_WINDOW), OFFSET_LIMIT);
  return {
    id: SOURCE,
    streams: () => [INCIDENTS_STREAM],
    pull: (stream, cursor, ctx) => pullIncidents(client, options.config, maxPerWindow, stream, cursor, ctx),
  };
}

async function* pullIncidents(
  client: PagerDutyClient,
  config: PagerDutyConfig,
  maxPerWindow: number,
  stream: StreamKey,
  cursor: PagerDutyCursor | undefined,
  ctx: SyncContext,
): AsyncGenerator<Batch<PagerDutyCursor>> {
  if (stream.connector !== INCIDENTS_STREAM.connector || stream.stream !== INCIDENTS_STREAM.stream) {
    throw new Error(`the pagerduty connector has no stream ${stream.connector}/${stream.stream}`);
  }
  const overlapMs = (config.overlap_days ?? DEFAULT_OVERLAP_DAYS) * DAY_MS;
  const plan = planRun(cursor === undefined ? undefined : parseCursor(cursor), ctx.now, backfillStart(config, ctx.now, ctx.since), overlapMs);
  const { range } = plan;
  const open = new OpenIncidents(plan.open);
  const serviceIds = Object.keys(config.services);

  /** The batch's records; the open list follows what they say. */
  const toRecords = (incidents: RestIncident[], acknowledgedAt: Map<string, string | null>): NormalizedRecord[] => {
    const records: NormalizedRecord[] = [];
    for (const incident of incidents) {
      const record = incidentRecord(incident, acknowledgedAt.get(incident.id) ?? null, config);
      if (record) {
        open.note(record);
        records.push({ kind: 'incident', record });
      } else {
        // Listing asks for mapped services only: this one moved to another service since.
        open.forget(incident.id);
        ctx.log.info({ connector: SOURCE, incident: incident.id, service: incident.service.id }, 'incident of a service not mapped in bellwether.yaml skipped');
      }
    }
    return records;
  };

  const stale = plan.recheckBefore ? open.createdBefore(plan.recheckBefore) : [];
  if (stale.length) {
    const incidents = await recheckOpenIncidents(client, serviceIds, stale, open, ctx);
    const acknowledgedAt = await firstAcknowledgements(client, incidents, { open, window: null, runUntil: range.end }, ctx);
    yield { records: toRecords(incidents, acknowledgedAt), cursor: cursorAt(range.start, range.end, open) };
  }

  // Windows are disjoint, so each incident comes once; this guards against a page that
  // shifted while it was read.
  const seen = new Set<string>();
  let complete = false;
  for await (const { window, items } of listInWindows(client, incidentList(serviceIds), range, maxPerWindow, ctx)) {
    const incidents = items.filter((incident) => {
      if (seen.has(incident.id)) return false;
      seen.add(incident.id);
      return true;
    });
    const acknowledgedAt = await firstAcknowledgements(client, incidents, { open, window, runUntil: range.end }, ctx);
    complete = window.end.getTime() >= range.end.getTime();
    yield { records: toRecords(incidents, acknowledgedAt), cursor: cursorAt(window.end, complete ? null : range.end, open) };
  }
  if (!complete) {
    // An empty range (the clock stood still, or `since` is ahead of it): the run is complete all the same.
    yield { records: [], cursor: cursorAt(new Date(Math.max(range.start.getTime(), range.end.getTime())), null, open) };
  }
}

/** `GET /incidents` of the mapped services; since/until filter on created_at. */
const incidentList = (serviceIds: string[]): RangedList<RestIncident> => ({
  path: '/incidents',
  key: 'incidents',
  query: { service_ids: serviceIds, time_zone: 'UTC', sort_by: 'created_at:asc' },
  createdAt: (incident) => incident.created_at,
});

/**
 * The current state of open incidents created before this run's overlap. One listing of what
 * is still open (any age: `date_range=all`) costs a page per hundred; only those missing from
 * it changed status (resolved, most likely) and are fetched by id. Listing open incidents
 * alone could not work: a resolved one is precisely the one it leaves out.
 */
async function recheckOpenIncidents(client: PagerDutyClient, serviceIds: string[], stale: OpenIncident[], open: OpenIncidents, ctx: SyncContext): Promise<RestIncident[]> {
  const wanted = new Set(stale.map((incident) => incident.id));
  const { items, complete } = await listAll<RestIncident>(client, '/incidents', 'incidents', {
    date_range: 'all', statuses: ['triggered', 'acknowledged'], service_ids: serviceIds, time_zone: 'UTC', sort_by: 'created_at:asc',
  }, ctx);
  if (!complete) ctx.log.warn({ connector: SOURCE, listed: items.length }, 'more open incidents than one listing reaches; the rest are fetched one by one');
  const stillOpen = items.filter((incident) => wanted.has(incident.id));
  const listed = new Set(stillOpen.map((incident) => incident.id));
  const changed: RestIncident[] = [];
  for (const { id } of stale) {
    if (listed.has(id)) continue;
    const incident = await fetchIncident(client, id, ctx);
    if (incident) changed.push(incident);
    else {
      open.forget(id);
      ctx.log.warn({ connector: SOURCE, incident: id }, 'open incident no longer found in PagerDuty; it keeps its last known state');
    }
  }
  return [...stillOpen, ...changed];
}

async function fetchIncident(client: PagerDutyClient, id: string, ctx: SyncContext): Promise<RestIncident | null> {
  try {
    const { incident } = await client.get<{ incident: RestIncident }>(`/incidents/${encodeURIComponent(id)}`, { time_zone: 'UTC' }, ctx);
    return incident;
  } catch (error) {
    if (error instanceof SourceError && error.status === 404) return null;
    throw error;
  }
}
