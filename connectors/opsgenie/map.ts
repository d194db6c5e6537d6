// Pure translation of Opsgenie payloads: a REST incident → IncidentRecord, an alert webhook →
// IncidentEvent. No I/O; tested on the recorded payloads in fixtures/.
import { createHash } from 'node:crypto';
import type { IncidentEvent, IncidentEventType, IncidentRecord } from '../contract.js';
import { DEFAULT_SERVICE_TAG_PREFIX, normaliseSeverity, type OpsgenieConfig } from './config.js';

export const SOURCE = 'opsgenie';

/** The fields of a `GET /v1/incidents` item this connector reads. */
export interface OpsgenieIncident {
  id: string;
  tinyId?: string;
  message?: string;
  status?: string;
  priority?: string;
  createdAt: string;
  updatedAt?: string;
  impactedServices?: string[];
  impactStartDate?: string;
  impactEndDate?: string;
  links?: { web?: string };
}

// Incidents and alerts are separate id spaces in Opsgenie; the prefixes keep them apart in
// (source, external_id) so an alert can never overwrite an incident.
export const incidentExternalId = (id: string) => `incident:${id}`;
export const alertExternalId = (id: string) => `alert:${id}`;

/** An item of `GET /v1/services`: only the id and the name are read. */
export interface OpsgenieService {
  id: string;
  name: string;
}

/** Opsgenie service id → Bellwether service id, with configured names resolved through the service list. */
export type ServiceMapping = ReadonlyMap<string, string>;

const OPSGENIE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether some configured key is a name, so the service list must be fetched to map it. */
export function needsServiceDirectory(config: OpsgenieConfig): boolean {
  return Object.keys(config.incidents?.services ?? {}).some((key) => !OPSGENIE_ID.test(key));
}

/** Configured names no Opsgenie service has (a typo, or a renamed service). */
export function unknownServiceNames(config: OpsgenieConfig, directory: readonly OpsgenieService[]): string[] {
  const names = new Set(directory.map((service) => service.name));
  return Object.keys(config.incidents?.services ?? {}).filter((key) => !OPSGENIE_ID.test(key) && !names.has(key));
}

/** Builds the id → service map; a key that is an id wins over a name that resolves to the same id. */
export function serviceMapping(config: OpsgenieConfig, directory: readonly OpsgenieService[] = []): ServiceMapping {
  const configured = config.incidents?.services ?? {};
  const mapping = new Map<string, string>();
  for (const service of directory) {
    const target = configured[service.name];
    if (target) mapping.set(service.id, target);
  }
  for (const [key, target] of Object.entries(configured)) if (OPSGENIE_ID.test(key)) mapping.set(key.toLowerCase(), target);
  return mapping;
}

const iso = (value: string | undefined | null): string | null => {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};

/** Opsgenie incident statuses are open, resolved and closed (closed comes after resolved). */
export const isIncidentOpen = (incident: OpsgenieIncident) => incident.status !== 'resolved' && incident.status !== 'closed';

/**
 * A REST incident as a record, or null when none of its impacted services is mapped.
 * Opsgenie gives no resolution time: a resolved or closed incident's resolved_at is its
 * impactEndDate, else its updatedAt (which any later edit moves). No acknowledgement either.
 */
export function mapIncident(incident: OpsgenieIncident, config: OpsgenieConfig, services: ServiceMapping): IncidentRecord | null {
  const createdAt = iso(incident.createdAt);
  if (typeof incident.id !== 'string' || !incident.id || !createdAt) {
    throw new TypeError(`Opsgenie incident without an id or a createdAt: ${JSON.stringify(incident).slice(0, 200)}`);
  }
  const service = (incident.impactedServices ?? []).map((id) => services.get(id.toLowerCase())).find(Boolean);
  if (!service) return null;

  const open = isIncidentOpen(incident);
  const updatedAt = iso(incident.updatedAt) ?? createdAt;
  const resolvedAt = open ? null : iso(incident.impactEndDate) ?? updatedAt;
  return {
    source: SOURCE,
    external_id: incidentExternalId(incident.id),
    service,
    // Opsgenie's own default priority is P3, so an incident without one is read as P3.
    severity: normaliseSeverity(incident.priority, config.severity) ?? normaliseSeverity('P3', config.severity)!,
    title: incident.message?.trim() || `Opsgenie incident #${incident.tinyId ?? incident.id}`,
    created_at: createdAt,
    started_at: iso(incident.impactStartDate),
    acknowledged_at: null,
    resolved_at: resolvedAt,
    // An open incident's status last changed no later than updatedAt; using it (not createdAt)
    // lets a reopen seen by a later poll win over the stored resolution.
    status_changed_at: open ? updatedAt : resolvedAt,
    url: incident.links?.web || null,
  };
}

// ---------------------------------------------------------------- alert webhooks

export interface OpsgenieWebhookDelivery {
  /** Stable across redeliveries of the same alert action (Opsgenie sends no delivery id). */
  deliveryId: string;
  /** Opsgenie's `action`, e.g. Create, Acknowledge, Close, AddNote. */
  eventType: string;
  /** The incident external id (`alert:<alertId>`), when the body names an alert. */
  subject: string | null;
  /** Null for actions that change neither status nor the attributes Bellwether keeps. */
  event: IncidentEvent | null;
}

export class OpsgeniePayloadError extends Error {
  override name = 'OpsgeniePayloadError';
}

const ACTION_TYPES: Record<string, IncidentEventType> = {
  Create: 'triggered',
  Acknowledge: 'acknowledged',
  UnAcknowledge: 'unacknowledged',
  Close: 'resolved',
  // These change the severity, the title or (through the service tag) the service.
  UpdatePriority: 'updated',
  UpdateMessage: 'updated',
  AddTags: 'updated',
  RemoveTags: 'updated',
};

interface AlertBody {
  action?: unknown;
  alert?: {
    alertId?: unknown;
    message?: unknown;
    alias?: unknown;
    tags?: unknown;
    priority?: unknown;
    createdAt?: unknown;
    updatedAt?: unknown;
  };
}

/**
 * An Opsgenie alert webhook (raw body, as delivered) → the delivery and the event it carries.
 * `receivedAt` is the fallback time of an action whose payload has no updatedAt.
 */
export function mapAlertWebhook(rawBody: string | Uint8Array, config: OpsgenieConfig, receivedAt: Date): OpsgenieWebhookDelivery {
  const raw = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let body: AlertBody;
  try {
    body = JSON.parse(raw) as AlertBody;
  } catch {
    throw new OpsgeniePayloadError('Opsgenie webhook body is not JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OpsgeniePayloadError('Opsgenie webhook body is not an object');
  const action = typeof body.action === 'string' ? body.action : 'unknown';
  const alert = body.alert && typeof body.alert === 'object' ? body.alert : {};
  const alertId = typeof alert.alertId === 'string' && alert.alertId ? alert.alertId : null;
  const updatedAtText = exactIntegerText(raw, 'updatedAt', alert.updatedAt);

  // Opsgenie has no delivery id header. The alert, the action and the exact nanosecond
  // updatedAt name one change of one alert, so a retry of it maps to the same id; a body
  // without them falls back to a hash of its bytes (the same bytes, the same id).
  const deliveryId = alertId && updatedAtText ? `${alertId}:${action}:${updatedAtText}` : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const subject = alertId ? alertExternalId(alertId) : null;
  const type = ACTION_TYPES[action];
  if (!alertId || !type) return { deliveryId, eventType: action, subject, event: null };

  const createdAt = epochToIso(typeof alert.createdAt === 'number' ? String(Math.trunc(alert.createdAt)) : null);
  const occurredAt = epochToIso(updatedAtText) ?? (action === 'Create' ? createdAt : null) ?? receivedAt.toISOString();
  const incident: IncidentEvent['incident'] = {};
  const service = alertService(alert.tags, config);
  if (service) incident.service = service;
  const severity = normaliseSeverity(alert.priority, config.severity);
  if (severity) incident.severity = severity;
  if (typeof alert.message === 'string' && alert.message.trim()) incident.title = alert.message.trim();
  if (createdAt) incident.created_at = createdAt;
  if (typeof alert.alias === 'string' && alert.alias) incident.dedup_key = alert.alias;
  return {
    deliveryId,
    eventType: action,
    subject,
    event: { source: SOURCE, event_id: deliveryId, incident_external_id: subject!, type, occurred_at: occurredAt, incident },
  };
}

/** The service of an alert: its first `service:<id>` tag (prefix configurable; ids are lower case), else the configured default. */
export function alertService(tags: unknown, config: OpsgenieConfig): string | null {
  const prefix = config.alerts?.service_tag_prefix ?? DEFAULT_SERVICE_TAG_PREFIX;
  for (const tag of Array.isArray(tags) ? tags : []) {
    if (typeof tag === 'string' && tag.startsWith(prefix) && tag.length > prefix.length) return tag.slice(prefix.length).trim().toLowerCase();
  }
  return config.alerts?.default_service ?? null;
}

/**
 * The digits of an integer field exactly as sent. Opsgenie's updatedAt is epoch nanoseconds
 * (19 digits, above 2^53), which JSON.parse rounds; the raw occurrence whose value parses to
 * the same number as the parsed field is the one that field came from.
 */
export function exactIntegerText(raw: string, field: string, parsed: unknown): string | null {
  if (typeof parsed !== 'number') return null;
  for (const match of raw.matchAll(new RegExp(`"${field}"\\s*:\\s*(\\d+)(?![\\d.eE])`, 'g'))) {
    if (Number(match[1]) === parsed) return match[1]!;
  }
  return null;
}

/** Epoch digits in ns, µs or ms (told apart by size) → ISO 8601, truncated to the millisecond. */
export function epochToIso(digits: string | null): string | null {
  if (!digits || !/^\d+$/.test(digits)) return null;
  const value = BigInt(digits);
  const ms = value >= 10n ** 17n ? value / 1_000_000n : value >= 10n ** 14n ? value / 1000n : value;
  const date = new Date(Number(ms));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
