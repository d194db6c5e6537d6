// Test helper: the recorded PagerDuty payloads in ../fixtures/ (see its
// README), and clones of the recorded incidents for volume, with new ids and times.
import { readdirSync, readFileSync } from 'node:fs';
import type { LogEntry, RestIncident } from '../payloads.js';

export const FIXTURES = new URL('../fixtures/', import.meta.url);

/** A REST incident as recorded (everything kept), and its log, which a list item does not carry. */
export interface RecordedIncident {
  incident: RestIncident & Record<string, unknown>;
  logEntries: LogEntry[];
}

interface Row {
  request: { params: string };
  body: RestIncident & { log_entries: LogEntry[]; alerts: unknown[] } & Record<string, unknown>;
}

/** #4 (triggered), #5 (acknowledged), #6 (resolved), in file order. */
export function recordedIncidents(): RecordedIncident[] {
  const rows = JSON.parse(readFileSync(new URL('incidents-rest.json', FIXTURES), 'utf8')) as Row[];
  // The README: rows of another DevLake connection are copies; there are none here, but the rule holds.
  return rows
    .filter((row) => (JSON.parse(row.request.params) as { ConnectionId?: number }).ConnectionId === 1)
    .map(({ body: { log_entries, alerts: _alerts, ...incident } }) => ({ incident, logEntries: log_entries }));
}

export const webhookFixtureNames = () => readdirSync(new URL('webhooks-v3/', FIXTURES)).filter((name) => name.endsWith('.json')).sort();
export const webhookFixture = (name: string) => readFileSync(new URL(`webhooks-v3/${name}`, FIXTURES));

const recordedJson = new WeakMap<RecordedIncident, string>();
/** A timestamp as a JSON string value. */
const TIMESTAMP = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"/g;

/**
 * A copy of a recorded incident with a new id, created at `createdAt`. Every timestamp in it
 * moves by the same amount, so its durations (acknowledge, resolve) stay as recorded.
 */
export function cloneIncident(recorded: RecordedIncident, id: string, createdAt: Date): RecordedIncident {
  const shiftMs = createdAt.getTime() - Date.parse(recorded.incident.created_at);
  let json = recordedJson.get(recorded);
  if (json === undefined) recordedJson.set(recorded, (json = JSON.stringify(recorded)));
  const renamed = json.replaceAll(recorded.incident.id, id);
  return JSON.parse(renamed.replace(TIMESTAMP, (_match, timestamp: string) => `"${shifted(timestamp, shiftMs)}"`)) as RecordedIncident;
}

/** Moved by `shiftMs`, written as recorded: `2022-11-03T06:45:36.000000Z` keeps its six digits. */
function shifted(timestamp: string, shiftMs: number): string {
  const iso = new Date(Date.parse(timestamp) + shiftMs).toISOString();
  const digits = /\.(\d+)Z$/.exec(timestamp)?.[1]?.length ?? 3;
  return digits > 3 ? iso.replace('Z', `${'0'.repeat(digits - 3)}Z`) : iso;
}

/** `count` clones cycling through the recorded incidents, one every `spacingMs` from `start`. */
export function clonedIncidents(count: number, start: Date, spacingMs: number, prefix = 'QCLONE'): RecordedIncident[] {
  const recorded = recordedIncidents();
  return Array.from({ length: count }, (_, i) =>
    cloneIncident(recorded[i % recorded.length]!, `${prefix}${String(i).padStart(6, '0')}`, new Date(start.getTime() + i * spacingMs)),
  );
}
