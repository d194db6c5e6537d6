// Incident webhooks (PagerDuty v3, Opsgenie) report changes, not incidents: what happened, when,
// and part of the incident. This merges each change into the stored incident so that events
// arriving in any order, or more than once, end in the state the events in order give:
// - the status follows the newest status change (`status_changed_at`): a resolved event older
//   than a stored reopen changes nothing, a newer one resolves;
// - the first acknowledgement is the earliest one reported, whenever it arrives;
// - attributes (severity, title, service) follow the newest event that carried them.
// An event about an incident not yet known, whose payload lacks its creation time, waits in
// webhook_deliveries until the incident arrives (a poll, or its triggered event) and is then merged.
import { sql, type Transaction } from 'kysely';
import type { IncidentEvent, IncidentRecord } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Database } from '../db/schema.js';
import type { FieldProblem } from '../lib/errors.js';
import { catalogOf, ingestInTransaction, type IngestCounts } from './ingest.js';
import { validateRecords } from './validate.js';

type Trx = Transaction<Database>;

/**
 * The stored record plus when its attributes last changed, kept in the record itself (the
 * incident's payload keeps every field of the record it was written from).
 */
type StoredIncident = IncidentRecord & { attributes_changed_at?: string; cause_set_via?: 'api' | null };

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Number.NEGATIVE_INFINITY);
const earliest = (a: string | null | undefined, b: string | null | undefined) => (!a ? b ?? null : !b ? a : ms(a) <= ms(b) ? a : b);

/** The incident's attributes an event may bring, without the ones it does not know. */
function knownAttributes(event: IncidentEvent): Partial<IncidentRecord> {
  return Object.fromEntries(Object.entries(event.incident).filter(([, value]) => value !== undefined)) as Partial<IncidentRecord>;
}

/**
 * Merges one event into the stored incident; null when there is no stored incident and the
 * event cannot make one (it lacks the service, severity, title or creation time). Pure.
 */
export function mergeIncidentEvent(stored: StoredIncident | null, event: IncidentEvent): StoredIncident | null {
  const at = event.occurred_at;
  const attributes = knownAttributes(event);
  // A triggered event is the incident's creation: its time is the creation time when the payload has none.
  if (event.type === 'triggered' && !attributes.created_at) attributes.created_at = at;
  let record: StoredIncident;
  if (stored) {
    record = { ...stored };
    if (ms(at) >= ms(stored.attributes_changed_at)) {
      // The creation time never moves once known: a reopen is not a new incident.
      const { created_at: _created, ...rest } = attributes;
      Object.assign(record, rest, { attributes_changed_at: at });
    }
  } else {
    const { service, severity, title, created_at } = attributes;
    if (!service || !severity || !title || !created_at) return null;
    record = {
      ...attributes, source: event.source, external_id: event.incident_external_id, service, severity, title, created_at,
      attributes_changed_at: at,
    };
  }

  if (event.type === 'acknowledged') record.acknowledged_at = earliest(record.acknowledged_at, at);
  if (event.type !== 'updated' && ms(at) >= ms(record.status_changed_at)) {
    record.status_changed_at = at;
    record.resolved_at = event.type === 'resolved' ? at : null;
  }
  return record;
}

/**
 * Applies a record over what is stored: for a record that says when its status changed (a
 * poll), a status the store knows to be newer is kept, and so is an earlier acknowledgement;
 * a cause set through the API is kept. Pure.
 */
export function reconcileIncident(incoming: IncidentRecord, stored: StoredIncident | null): IncidentRecord {
  if (!stored) return incoming;
  const merged: StoredIncident = { ...incoming };
  // A cause a person set through the API outlives syncs; only the API (which says cause_set_via) changes it again.
  if (stored.cause_set_via === 'api' && !('cause_set_via' in incoming)) {
    for (const field of CAUSE_FIELDS) (merged as Record<string, unknown>)[field] = stored[field] ?? null;
  }
  if (!incoming.status_changed_at) return merged;
  merged.acknowledged_at = earliest(incoming.acknowledged_at, stored.acknowledged_at);
  if (incoming.status_changed_at && stored.status_changed_at && ms(stored.status_changed_at) > ms(incoming.status_changed_at)) {
    merged.status_changed_at = stored.status_changed_at;
    merged.resolved_at = stored.resolved_at ?? null;
  }
  if (stored.attributes_changed_at) merged.attributes_changed_at = stored.attributes_changed_at;
  return merged;
}

/**
 * The stored records (payloads) of these incidents. Locked until the transaction ends when an
 * event is merged (a concurrent delivery for the same incident waits, then merges into this
 * result); `reconcilable` reads only those a poll could undo, unlocked (a poll's thousands of
 * rows are not locked one by one, a write each).
 */
async function storedIncidents(trx: Trx, source: string, externalIds: string[], mode: 'lock' | 'reconcilable'): Promise<Map<string, StoredIncident>> {
  if (!externalIds.length) return new Map();
  const { rows } = await sql<{ external_id: string; payload: StoredIncident }>`
    select external_id, payload from incidents where source = ${source} and external_id = any(${externalIds}::text[])
    ${mode === 'lock' ? sql`order by id for update` : sql`and (status_changed_at is not null or cause_set_via is not null)`}`.execute(trx);
  return new Map(rows.map((row) => [row.external_id, row.payload]));
}

const incidentKey = (source: string, externalId: string) => `${source}\u0000${externalId}`;

/** The stored records of these incidents by incidentKey: one storedIncidents query per source. */
async function storedByKey(trx: Trx, incidents: { source: string; externalId: string }[], mode: 'lock' | 'reconcilable'): Promise<Map<string, StoredIncident>> {
  const bySource = new Map<string, Set<string>>();
  for (const { source, externalId } of incidents) {
    let ids = bySource.get(source);
    if (!ids) bySource.set(source, (ids = new Set()));
    ids.add(externalId);
  }
  const stored = new Map<string, StoredIncident>();
  for (const [source, ids] of bySource) {
    for (const [id, record] of await storedIncidents(trx, source, [...ids], mode)) stored.set(incidentKey(source, id), record);
  }
  return stored;
}

const CAUSE_FIELDS = ['deployment_external_id', 'cause_commit_sha', 'cause_pull_request', 'cause_set_via'] as const;

/**
 * Keeps a poll from undoing newer webhook state or a cause set through the API: reads the
 * stored incidents that have either and reconciles (ingest.ts calls this before it writes).
 */
export async function reconcileWithStored(trx: Trx, incidents: IncidentRecord[]): Promise<IncidentRecord[]> {
  if (!incidents.length) return incidents;
  const stored = await storedByKey(trx, incidents.map((i) => ({ source: i.source, externalId: i.external_id })), 'reconcilable');
  if (!stored.size) return incidents;
  return incidents.map((incident) => reconcileIncident(incident, stored.get(incidentKey(incident.source, incident.external_id)) ?? null));
}

export type EventOutcome = 'applied' | 'pending' | 'invalid';

/**
 * Merges events into their stored incidents and ingests the results (validated like any
 * record); an event that cannot make an incident yet is reported `pending`.
 */
export async function applyIncidentEvents(
  trx: Trx, org: OrgConfig, events: IncidentEvent[],
): Promise<{ outcomes: EventOutcome[]; problems: FieldProblem[]; counts: IngestCounts | null }> {
  const outcomes: EventOutcome[] = [];
  const merged = new Map<string, StoredIncident>();
  const stored = await storedByKey(trx, events.map((e) => ({ source: e.source, externalId: e.incident_external_id })), 'lock');
  // In order of occurrence, so a batch ends as its events in order would (the merge does not depend on it, but pending does).
  const ordered = events.map((event, index) => ({ event, index })).sort((a, b) => ms(a.event.occurred_at) - ms(b.event.occurred_at) || a.index - b.index);
  for (const { event, index } of ordered) {
    const key = incidentKey(event.source, event.incident_external_id);
    const next = mergeIncidentEvent(merged.get(key) ?? stored.get(key) ?? null, event);
    outcomes[index] = next ? 'applied' : 'pending';
    if (next) merged.set(key, next);
  }
  if (!merged.size) return { outcomes, problems: [], counts: null };
  const records = [...merged.values()];
  const { records: valid, problems } = validateRecords(records.map((value) => ({ kind: 'incident' as const, value })), catalogOf(org), (index) => ({ index }));
  if (problems.length) {
    const bad = new Set(problems.map((problem) => records[problem.index!]!));
    for (const { event, index } of ordered) if (bad.has(merged.get(incidentKey(event.source, event.incident_external_id))!)) outcomes[index] = 'invalid';
  }
  const counts = valid.length ? await ingestInTransaction(trx, org, valid) : null;
  return { outcomes, problems, counts };
}

/**
 * Merges the waiting events of incidents just written (ingest.ts calls this after every
 * incident upsert). They are marked applied first, so the ingest this causes finds none.
 */
export async function applyPendingEvents(trx: Trx, org: OrgConfig, incidents: { source: string; external_id: string }[]): Promise<void> {
  if (!incidents.length) return;
  const { rows } = await sql<{ event: IncidentEvent }>`
    update webhook_deliveries w set status = 'applied'
    from unnest(${incidents.map((i) => i.source)}::text[], ${incidents.map((i) => i.external_id)}::text[]) as k(source, external_id)
    where w.status = 'pending' and w.source = k.source and w.subject = k.external_id
    returning w.event`.execute(trx);
  if (rows.length) await applyIncidentEvents(trx, org, rows.map((row) => row.event));
}
