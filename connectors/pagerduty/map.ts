// PagerDuty payloads → Bellwether's records (connectors/contract.ts). Pure: REST incidents
// become IncidentRecords, webhook v3 deliveries become IncidentEvents; the service is mapped
// through bellwether.yaml and the severity normalised (config.ts).
import type { IncidentEvent, IncidentEventType, IncidentRecord } from '../contract.js';
import { normaliseSeverity, type PagerDutyConfig, type SeverityInput } from './config.js';
import type { LogEntry, PagerDutyReference, RestIncident, WebhookV3Body } from './payloads.js';

export const SOURCE = 'pagerduty';
const TITLE_MAX_LENGTH = 2000;

/** The same instant in one canonical form (UTC, milliseconds); PagerDuty writes microseconds. */
function instant(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}

// ---------------------------------------------------------------- REST incidents

/**
 * The incident as a record, or null when its service is not mapped in bellwether.yaml (the
 * caller counts and skips it). `acknowledgedAt` is the first acknowledgement, which the
 * incident itself no longer shows once resolved (see `acknowledgedAtWithoutLog`).
 */
export function incidentRecord(incident: RestIncident, acknowledgedAt: string | null, config: PagerDutyConfig): IncidentRecord | null {
  const service = config.services[incident.service.id];
  if (!service) return null;
  const statusChangedAt = incident.last_status_change_at ? instant(incident.last_status_change_at) : null;
  // No resolved_at in the recorded responses: the resolve is the last status change then.
  const resolvedAt = incident.status !== 'resolved' ? null : incident.resolved_at ? instant(incident.resolved_at) : statusChangedAt;
  return {
    source: SOURCE,
    external_id: incident.id,
    service,
    severity: normaliseSeverity(incident, config),
    title: (incident.title || incident.summary || `PagerDuty incident ${incident.incident_number ?? incident.id}`).slice(0, TITLE_MAX_LENGTH),
    created_at: instant(incident.created_at),
    acknowledged_at: acknowledgedAt ? instant(acknowledgedAt) : null,
    resolved_at: resolvedAt,
    status_changed_at: statusChangedAt,
    urgency: incident.urgency === 'high' || incident.urgency === 'low' ? incident.urgency : null,
    dedup_key: incident.incident_key || null,
    url: incident.html_url || null,
  };
}

/**
 * The first acknowledgement when the incident alone tells it: the earliest in its
 * `acknowledgements`, or none for an incident still triggered whose status never changed.
 * Undefined when only its log can tell: PagerDuty empties `acknowledgements` when an incident
 * resolves (fixture #6) and when an acknowledgement times out and it triggers again (#4).
 */
export function acknowledgedAtWithoutLog(incident: RestIncident): string | null | undefined {
  const acknowledged = (incident.acknowledgements ?? []).map((a) => a.at).filter((at) => !Number.isNaN(Date.parse(at)));
  if (acknowledged.length) return earliest(acknowledged);
  const unchanged = !incident.last_status_change_at || Date.parse(incident.last_status_change_at) === Date.parse(incident.created_at);
  if (incident.status === 'triggered' && unchanged) return null;
  return undefined;
}

/** The first `acknowledge_log_entry` of an incident in these log entries (any order), or null. */
export function firstAcknowledgementAt(entries: readonly LogEntry[], incidentId?: string): string | null {
  const acknowledged = entries
    .filter((entry) => entry.type === 'acknowledge_log_entry' && (incidentId === undefined || entry.incident?.id === incidentId))
    .map((entry) => entry.created_at);
  return acknowledged.length ? earliest(acknowledged) : null;
}

const earliest = (times: string[]) => instant(times.reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a)));

// ---------------------------------------------------------------- webhooks v3

/** What a delivery means for Bellwether; the shape the webhook route stores. */
export interface PagerDutyDelivery {
  /** `event.id`: a redelivery carries the same one, so it deduplicates. */
  deliveryId: string;
  eventType: string;
  /** The incident it is about: `data.id`, or `data.incident.id` for notes, responders, workflows, status updates. */
  subject: string | null;
  /** Null when there is nothing to apply. */
  event: IncidentEvent | null;
  /** Why there is no event. */
  reason?: string;
}

const STATUS_EVENTS: Readonly<Record<string, IncidentEventType>> = {
  'incident.triggered': 'triggered',
  'incident.acknowledged': 'acknowledged',
  'incident.unacknowledged': 'unacknowledged',
  'incident.resolved': 'resolved',
  'incident.reopened': 'reopened',
};
/**
 * Events whose `data` is the incident with new attributes and an unchanged status. Kept as a
 * list: an unknown type is ignored even when it carries an incident (fixtures README:
 * unsupported_v3 must not create one).
 */
const ATTRIBUTE_EVENTS: ReadonlySet<string> = new Set([
  'incident.priority_updated', 'incident.service_updated', 'incident.escalated', 'incident.reassigned', 'incident.delegated', 'incident.incident_type.changed',
]);
/** Events about an incident whose `data` is something else (a note, a responder, a workflow run …). */
const SIDE_EVENTS = /^incident\.(annotated|responder\.|status_update_published|workflow\.|conference_bridge\.|custom_field_values\.)/;

type Fields = Record<string, unknown>;
const isObject = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Throws when the body is not a webhook v3 delivery (the route answers 400). */
export function translateWebhookV3(body: unknown, config: PagerDutyConfig): PagerDutyDelivery {
  const event = isObject(body) ? body.event : undefined;
  if (!isObject(event) || !text(event.id) || !text(event.event_type) || !text(event.occurred_at) || Number.isNaN(Date.parse(event.occurred_at as string))) {
    throw new Error('expected { event: { id, event_type, occurred_at, data } } (PagerDuty webhooks v3)');
  }
  const { id: deliveryId, event_type: eventType, occurred_at: occurredAt } = event as WebhookV3Body['event'];
  const data = isObject(event.data) ? event.data : {};
  const incidentId = data.type === 'incident' ? text(data.id) : undefined;
  const subject = incidentId ?? (isObject(data.incident) ? text(data.incident.id) ?? null : null);
  const ignored = (reason: string): PagerDutyDelivery => ({ deliveryId, eventType, subject, event: null, reason });

  if (!eventType.startsWith('incident.')) return ignored(`${eventType} is not about an incident`);
  if (SIDE_EVENTS.test(eventType)) return ignored(`${eventType} changes nothing Bellwether keeps of the incident`);
  const type = STATUS_EVENTS[eventType] ?? (ATTRIBUTE_EVENTS.has(eventType) ? 'updated' : undefined);
  if (!type) return ignored(`unknown event type ${eventType}`);
  if (!incidentId) return ignored(`${eventType} carries no incident`);

  const pdService = isObject(data.service) ? (data.service as unknown as PagerDutyReference) : undefined;
  const service = pdService?.id ? config.services[pdService.id] : undefined;
  if (!service) return ignored(`PagerDuty service ${pdService?.id ?? '(none)'}${pdService?.summary ? ` "${pdService.summary}"` : ''} is not mapped in bellwether.yaml`);

  const occurred = instant(occurredAt);
  // Only what the payload says: 2021 payloads lack created_at and incident_key, and an absent
  // field must stay unknown rather than clear the stored one.
  const incident: IncidentEvent['incident'] = { service };
  if ('priority' in data || data.urgency === 'high' || data.urgency === 'low') {
    incident.severity = normaliseSeverity({ priority: isObject(data.priority) ? (data.priority as SeverityInput['priority']) : null, urgency: text(data.urgency) ?? null }, config);
  }
  const title = text(data.title);
  if (title) incident.title = title.slice(0, TITLE_MAX_LENGTH);
  const createdAt = text(data.created_at);
  if (createdAt) incident.created_at = instant(createdAt);
  else if (type === 'triggered') incident.created_at = occurred; // the trigger is the creation
  if (data.urgency === 'high' || data.urgency === 'low') incident.urgency = data.urgency;
  const dedupKey = text(data.incident_key);
  if (dedupKey) incident.dedup_key = dedupKey;
  const url = text(data.html_url);
  if (url) incident.url = url;

  return {
    deliveryId,
    eventType,
    subject,
    event: { source: SOURCE, event_id: deliveryId, incident_external_id: incidentId, type, occurred_at: occurred, incident },
  };
}
