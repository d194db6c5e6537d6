// The Opsgenie connector: one stream, `incidents`, polled from the Incident API with a
// createdAt high-water mark. Alerts arrive only by webhook (map.ts, webhook.ts).
import type { Batch, Connector, IncidentRecord, JsonValue, NormalizedRecord, StreamKey, SyncContext } from '../contract.js';
import { createOpsgenieClient, getIncident, listIncidents, listServices, MAX_PAGE_SIZE, OpsgenieSourceError, type IncidentSearch, type Sleep } from './client.js';
import { firstSyncStart } from '../first-sync.js';
import { DEFAULT_OVERLAP_DAYS, type OpsgenieConfig } from './config.js';
import { isIncidentOpen, mapIncident, needsServiceDirectory, serviceMapping, SOURCE, unknownServiceNames, type OpsgenieIncident, type ServiceMapping } from './map.js';

export { OpsgenieConfig, normaliseSeverity } from './config.js';
export { mapAlertWebhook, mapIncident, type OpsgenieWebhookDelivery } from './map.js';
export { OPSGENIE_SECRET_HEADER, verifyOpsgenieSecret } from './webhook.js';
export { OpsgenieAuthError, OpsgenieError, OpsgenieRateLimitedError, OpsgenieSourceError } from './client.js';

export const INCIDENTS_STREAM: StreamKey = { connector: SOURCE, stream: 'incidents' };
const DAY_MS = 86_400_000;

/**
 * Where the incidents stream stands. Stored by ingest in the transaction of the batch it
 * comes with, so a crash resumes from the last stored batch.
 */
export type OpsgenieCursor = {
  v: 1;
  /** createdAt of the newest incident listed so far: the high-water mark. */
  high_water: string | null;
  /**
   * Mapped incidents that were open when last read (id → createdAt). Once older than the
   * overlap they are no longer listed, so each run follows them until they close.
   */
  open: { [id: string]: string };
  /** Set only between the batches of one run: where its listing continues after a crash. */
  resume: { created_from: string; skip: number } | null;
};

interface KeysetPosition {
  from: number;
  skip: number;
}
type Take = (incident: OpsgenieIncident, records: NormalizedRecord[]) => void;

export interface OpsgenieConnectorOptions {
  config: OpsgenieConfig;
  /** OPSGENIE_API_KEY: an API integration's key with read access. */
  apiKey: string;
  /** OPSGENIE_API_URL; default https://api.opsgenie.com. */
  apiUrl?: string;
  /** Incidents per request, 1..100 (Opsgenie's maximum); default 100. */
  pageSize?: number;
  sleep?: Sleep;
}

export function opsgenieConnector(options: OpsgenieConnectorOptions): Connector<OpsgenieCursor, OpsgenieConfig> {
  const { config } = options;
  const client = createOpsgenieClient({ apiKey: options.apiKey, apiUrl: options.apiUrl, sleep: options.sleep });
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, options.pageSize ?? MAX_PAGE_SIZE));
  const overlapMs = (config.overlap_days ?? DEFAULT_OVERLAP_DAYS) * DAY_MS;

  async function mappingFor(ctx: SyncContext): Promise<ServiceMapping> {
    if (!needsServiceDirectory(config)) return serviceMapping(config);
    const directory = await listServices(client, ctx);
    for (const name of unknownServiceNames(config, directory)) ctx.log.warn({ connector: SOURCE, service: name }, 'no Opsgenie service has this name');
    return serviceMapping(config, directory);
  }

  const firstSyncStartMs = (ctx: SyncContext) => firstSyncStart(config.since, ctx.now, ctx.since).getTime();

  async function* pull(stream: StreamKey, cursor: OpsgenieCursor | undefined, ctx: SyncContext): AsyncIterable<Batch<OpsgenieCursor>> {
    if (stream.connector !== SOURCE || stream.stream !== INCIDENTS_STREAM.stream) throw new Error(`the Opsgenie connector has no stream ${stream.connector}/${stream.stream}`);
    const previous = cursor === undefined ? null : readCursor(cursor);
    const mapping = await mappingFor(ctx);
    if (!mapping.size) {
      ctx.log.warn({ connector: SOURCE }, 'no Opsgenie service is mapped to a Bellwether service (opsgenie.incidents.services): nothing to read');
      return;
    }

    const open = { ...(previous?.open ?? {}) };
    let highWater = previous?.high_water ?? null;
    const snapshot = (resume: OpsgenieCursor['resume'] = null): OpsgenieCursor => ({ v: 1, high_water: highWater, open: { ...open }, resume });
    // Follow what is mapped and open; forget what closed or is no longer mapped.
    const take: Take = (incident, records) => {
      const record = toRecord(incident, config, mapping);
      if (record) records.push({ kind: 'incident', record });
      if (record && isIncidentOpen(incident)) open[incident.id] = record.created_at;
      else delete open[incident.id];
    };

    let position: KeysetPosition;
    if (previous?.resume) {
      // A run was interrupted between batches: carry on where its last stored batch ended.
      position = { from: Date.parse(previous.resume.created_from), skip: previous.resume.skip };
    } else {
      // Re-read the overlap: incidents created shortly before the mark may have changed since.
      position = { from: previous?.high_water ? Date.parse(previous.high_water) - overlapMs : firstSyncStartMs(ctx), skip: 0 };
      yield* followOldOpenIncidents(position.from, open, take, snapshot, ctx);
    }

    for await (const { incidents, next } of keysetPages({}, position, ctx)) {
      const records: NormalizedRecord[] = [];
      for (const incident of incidents) {
        take(incident, records);
        const createdMs = Date.parse(incident.createdAt);
        if (highWater === null || createdMs > Date.parse(highWater)) highWater = new Date(createdMs).toISOString();
      }
      yield { records, cursor: snapshot(next && { created_from: new Date(next.from).toISOString(), skip: next.skip }) };
    }
  }

  /**
   * Open incidents created before `before` are not listed again, so they are followed here
   * until they close: one search for the ones still open (a few requests however many there
   * are), then one request for each followed incident that search no longer returns, to read
   * how it ended (or learn that it was deleted).
   */
  async function* followOldOpenIncidents(
    before: number, open: OpsgenieCursor['open'], take: Take, snapshot: () => OpsgenieCursor, ctx: SyncContext,
  ): AsyncGenerator<Batch<OpsgenieCursor>> {
    const followed = new Set(Object.keys(open).filter((id) => Date.parse(open[id]!) < before));
    if (!followed.size) return;
    const oldest = Math.min(...[...followed].map((id) => Date.parse(open[id]!)));
    for await (const { incidents } of keysetPages({ openOnly: true, createdBeforeMs: before }, { from: oldest, skip: 0 }, ctx)) {
      const records: NormalizedRecord[] = [];
      for (const incident of incidents) if (followed.delete(incident.id)) take(incident, records);
      yield { records, cursor: snapshot() };
    }
    const ended = [...followed];
    for (let index = 0; index < ended.length; index += pageSize) {
      const records: NormalizedRecord[] = [];
      for (const id of ended.slice(index, index + pageSize)) {
        const incident = await getIncident(client, id, ctx);
        if (incident) take(incident, records);
        else {
          ctx.log.warn({ connector: SOURCE, incident: id }, 'a followed open Opsgenie incident no longer exists; no longer followed');
          delete open[id];
        }
      }
      yield { records, cursor: snapshot() };
    }
  }

  /**
   * Keyset paging on createdAt: each request starts at the last createdAt seen and skips only
   * the incidents already read at that instant, so the offset stays small however many
   * incidents there are (Opsgenie caps how deep offset paging may go). `next` is null on the last page.
   */
  async function* keysetPages(
    filter: Pick<IncidentSearch, 'openOnly' | 'createdBeforeMs'>, start: KeysetPosition, ctx: SyncContext,
  ): AsyncGenerator<{ incidents: OpsgenieIncident[]; next: KeysetPosition | null }> {
    let { from, skip } = start;
    for (;;) {
      const incidents = await listIncidents(client, { ...filter, createdFromMs: from, offset: skip, limit: pageSize }, ctx);
      if (incidents.length < pageSize) {
        yield { incidents, next: null };
        return;
      }
      const lastMs = Date.parse(incidents[incidents.length - 1]!.createdAt);
      if (!(lastMs >= from)) throw new OpsgenieSourceError('Opsgenie listed incidents out of createdAt order; refusing to page on');
      skip = lastMs === from ? skip + incidents.length : incidents.filter((incident) => Date.parse(incident.createdAt) === lastMs).length;
      from = lastMs;
      yield { incidents, next: { from, skip } };
    }
  }

  return {
    id: SOURCE,
    streams: (sourceConfig: OpsgenieConfig) => (sourceConfig.incidents ? [INCIDENTS_STREAM] : []),
    pull,
  };
}

/** A malformed incident is Opsgenie's fault: reported as a source error, never skipped. */
function toRecord(incident: OpsgenieIncident, config: OpsgenieConfig, mapping: ServiceMapping): IncidentRecord | null {
  try {
    return mapIncident(incident, config, mapping);
  } catch (error) {
    throw new OpsgenieSourceError((error as Error).message);
  }
}

/** Checks a stored cursor's shape; a cursor from another version is an error, not a silent restart. */
export function readCursor(cursor: JsonValue): OpsgenieCursor {
  const value = cursor as Partial<OpsgenieCursor> | null;
  const isTime = (text: unknown) => typeof text === 'string' && !Number.isNaN(Date.parse(text));
  const ok = value !== null && typeof value === 'object' && !Array.isArray(value) && value.v === 1
    && (value.high_water === null || isTime(value.high_water))
    && value.open !== null && typeof value.open === 'object' && !Array.isArray(value.open) && Object.values(value.open).every(isTime)
    && (value.resume === null || (typeof value.resume === 'object' && isTime(value.resume.created_from) && Number.isInteger(value.resume.skip) && value.resume.skip >= 0));
  if (!ok) throw new Error(`unreadable Opsgenie cursor: ${JSON.stringify(cursor).slice(0, 200)}`);
  return value as OpsgenieCursor;
}
