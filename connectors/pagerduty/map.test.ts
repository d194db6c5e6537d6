// map.ts on the recorded payloads (fixtures/README.md: "PagerDuty REST incidents" and
// "PagerDuty webhooks v3"), asserting the figures the README gives.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { IncidentRecord, type IncidentEventType } from '../contract.js';
import type { PagerDutyConfig } from './config.js';
import { acknowledgedAtWithoutLog, firstAcknowledgementAt, incidentRecord, translateWebhookV3 } from './map.js';
import type { LogEntry, RestIncident } from './payloads.js';

const FIXTURES = new URL('fixtures/', import.meta.url);
const config: PagerDutyConfig = { services: { PIKL83L: 'dev-service', PA2P440: 'pig', PLVTM9H: 'default-service' } };

const rows = JSON.parse(readFileSync(new URL('incidents-rest.json', FIXTURES), 'utf8')) as { body: RestIncident & { log_entries: LogEntry[]; incident_number: number } }[];
const byNumber = (n: number) => rows.map((row) => row.body).find((body) => body.incident_number === n)!;
const seconds = (from: string, to: string | null | undefined) => (Date.parse(to!) - Date.parse(from)) / 1000;

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const validIncident = addFormats(new Ajv({ strict: false })).compile(IncidentRecord);

/** What the connector does for one incident: the incident alone if it tells, else its log. */
function record(n: number) {
  const incident = byNumber(n);
  const fromIncident = acknowledgedAtWithoutLog(incident);
  return incidentRecord(incident, fromIncident !== undefined ? fromIncident : firstAcknowledgementAt(incident.log_entries), config)!;
}

describe('REST incident → IncidentRecord', () => {
  it('#6 (resolved): resolved − created = 368 s, from last_status_change_at', () => {
    const incident = record(6);
    expect(seconds(incident.created_at, incident.resolved_at)).toBe(368);
    expect(incident.resolved_at).toBe('2022-11-03T06:51:44.000Z');
  });

  it('#5 (acknowledged): acknowledged − created = 9 s, from its acknowledgements', () => {
    expect(acknowledgedAtWithoutLog(byNumber(5))).toBe('2022-11-03T06:44:37.000Z');
    expect(seconds(record(5).created_at, record(5).acknowledged_at)).toBe(9);
  });

  it('#6: acknowledged − created = 10 s, but only through its log entries', () => {
    expect(byNumber(6).acknowledgements).toEqual([]);
    expect(acknowledgedAtWithoutLog(byNumber(6))).toBeUndefined();
    expect(seconds(record(6).created_at, record(6).acknowledged_at)).toBe(10);
  });

  it('#4 (triggered again after its acknowledgement expired): the first of three acknowledgements counts', () => {
    expect(acknowledgedAtWithoutLog(byNumber(4))).toBeUndefined();
    expect(record(4).acknowledged_at).toBe('2022-11-03T06:23:07.000Z');
  });

  it('an unresolved incident has no resolution time', () => {
    expect(record(4).resolved_at).toBeNull();
    expect(record(5).resolved_at).toBeNull();
  });

  it.each([
    ['triggered', 4, { acknowledged: true, resolved: false, status_changed_at: '2022-11-03T07:02:36.000Z', urgency: 'high', severity: 'sev2' }],
    ['acknowledged', 5, { acknowledged: true, resolved: false, status_changed_at: '2022-11-03T06:44:37.000Z', urgency: 'high', severity: 'sev2' }],
    ['resolved', 6, { acknowledged: true, resolved: true, status_changed_at: '2022-11-03T06:51:44.000Z', urgency: 'low', severity: 'sev4' }],
  ] as const)('status %s maps to the record', (status, n, expected) => {
    const incident = record(n);
    expect(byNumber(n).status).toBe(status);
    expect({
      acknowledged: incident.acknowledged_at !== null, resolved: incident.resolved_at !== null,
      status_changed_at: incident.status_changed_at, urgency: incident.urgency, severity: incident.severity,
    }).toEqual(expected);
  });

  it('carries the identity, title, grouping key and link, and passes the record schema', () => {
    for (const n of [4, 5, 6]) expect(validIncident(record(n)), JSON.stringify(validIncident.errors)).toBe(true);
    expect(record(6)).toEqual({
      source: 'pagerduty',
      external_id: 'Q1OHFWFP3GPXOG',
      service: 'dev-service',
      severity: 'sev4',
      title: 'Spamming logs',
      created_at: '2022-11-03T06:45:36.000Z',
      acknowledged_at: '2022-11-03T06:45:46.000Z',
      resolved_at: '2022-11-03T06:51:44.000Z',
      status_changed_at: '2022-11-03T06:51:44.000Z',
      urgency: 'low',
      dedup_key: '9f5acd07975e4c57bc717d8d9e066785',
      url: 'https://keon-test.pagerduty.com/incidents/Q1OHFWFP3GPXOG',
    });
  });

  it('takes resolved_at when the response has it', () => {
    const incident = { ...byNumber(6), resolved_at: '2022-11-03T06:51:40Z', last_status_change_at: '2022-11-03T06:59:00Z' };
    expect(incidentRecord(incident, null, config)!.resolved_at).toBe('2022-11-03T06:51:40.000Z');
  });

  it('normalises a priority', () => {
    expect(incidentRecord({ ...byNumber(5), priority: { id: 'PX', name: 'P1' } }, null, config)!.severity).toBe('sev1');
  });

  it('returns null for a service not mapped in bellwether.yaml', () => {
    expect(incidentRecord(byNumber(6), null, { services: { POTHER1: 'other' } })).toBeNull();
  });
});

describe('webhook v3 → IncidentEvent', () => {
  const incident5 = 'Q3B15VLMF3ASBD';
  // file → [event type, subject, occurred_at, severity the event carries]; null: nothing to apply.
  const expected: Record<string, [IncidentEventType | null, string | null, string, string?]> = {
    'acknowledged_v3.json': ['acknowledged', 'PQ1K5C8', '2021-06-04T13:55:30.394Z', 'sev2'],
    'annotated_v3.json': [null, incident5, '2026-04-01T02:18:59.674Z'],
    'conference_bridge_updated_v3.json': [null, incident5, '2026-04-01T02:20:15.274Z'],
    'delegated_v3.json': ['updated', incident5, '2026-04-01T02:13:20.295Z', 'sev1'],
    'escalate_v3.json': ['updated', incident5, '2026-04-01T02:08:04.642Z', 'sev1'],
    'priority_updated_v3.json': ['updated', incident5, '2026-04-01T02:15:36.315Z', 'sev2'],
    'reassigned_v3.json': ['updated', 'PIQUG8X', '2021-06-04T10:17:54.838Z', 'sev2'],
    'reopened_v3.json': ['reopened', 'Q05XJA8GDXGOB3', '2026-04-01T02:15:02.274Z', 'sev3'],
    'resolved_v3.json': ['resolved', 'PCPZE64', '2021-06-04T13:16:53.816Z', 'sev2'],
    'responder_added.json': [null, incident5, '2026-04-01T02:20:14.737Z'],
    'responder_replied_v3.json': [null, incident5, '2026-04-01T02:21:54.532Z'],
    'service_created_v3.json': [null, null, '2024-01-15T12:00:00.000Z'],
    'service_deleted_v3.json': [null, null, '2024-01-15T12:00:00.000Z'],
    // #5 moved to P844A2S "APIs", which this config does not map.
    'service_updated_v3.json': [null, incident5, '2026-04-01T02:28:44.634Z'],
    'status_updated_v3.json': [null, incident5, '2026-04-01T02:17:41.211Z'],
    'triggered_v3.json': ['triggered', 'PFQZPSY', '2021-06-04T13:35:29.781Z', 'sev2'],
    'unacknowledged_v3.json': ['unacknowledged', 'PQ1K5C8', '2021-06-04T13:54:23.185Z', 'sev2'],
    'unsupported_v3.json': [null, 'PIQUG8X', '2021-06-04T10:17:54.838Z'],
    'workflow_completed_no_summary_v3.json': [null, incident5, '2026-04-01T02:52:43.174Z'],
    'workflow_completed_v3.json': [null, incident5, '2026-04-01T02:52:43.174Z'],
    'workflow_started_v3.json': [null, incident5, '2026-04-01T02:51:47.500Z'],
  };
  const body = (name: string) => JSON.parse(readFileSync(new URL(`webhooks-v3/${name}`, FIXTURES), 'utf8')) as { event: { id: string; event_type: string; occurred_at: string } };

  it('covers every recorded file', () => {
    expect(Object.keys(expected).sort()).toEqual(readdirSync(new URL('webhooks-v3/', FIXTURES)).filter((name) => name.endsWith('.json')).sort());
  });

  it.each(Object.entries(expected))('%s', (name, [type, subject, occurredAt, severity]) => {
    const { event: recorded } = body(name);
    const delivery = translateWebhookV3(body(name), config);
    expect(delivery.deliveryId).toBe(recorded.id);
    expect(delivery.eventType).toBe(recorded.event_type);
    expect(delivery.subject).toBe(subject);
    // occurred_at keeps its milliseconds (README: "occurred_at is parsed with milliseconds").
    expect(recorded.occurred_at).toBe(occurredAt);
    if (type === null) {
      expect(delivery.event).toBeNull();
      expect(delivery.reason).toBeTruthy();
      return;
    }
    expect(delivery.event).toMatchObject({ source: 'pagerduty', event_id: recorded.id, incident_external_id: subject, type, occurred_at: occurredAt });
    expect(delivery.event!.incident.severity).toBe(severity);
  });

  it('priority_updated carries the new severity, P2 → sev2, and the 2026 payload fields', () => {
    expect(translateWebhookV3(body('priority_updated_v3.json'), config).event!.incident).toEqual({
      service: 'default-service',
      severity: 'sev2',
      title: 'Critical: Checkout API High Latency',
      created_at: '2026-04-01T02:07:30.000Z',
      urgency: 'high',
      dedup_key: 'd387d7bd2e0a4294a5307339dfe1669a',
      url: 'https://harsh0303.pagerduty.com/incidents/Q3B15VLMF3ASBD',
    });
  });

  it('reopened is a reopen (which clears the resolution when merged)', () => {
    expect(translateWebhookV3(body('reopened_v3.json'), config).event!.type).toBe('reopened');
  });

  it('leaves out what a 2021 payload lacks; a trigger is the creation when created_at is missing', () => {
    const triggered = translateWebhookV3(body('triggered_v3.json'), config).event!.incident;
    expect(triggered).toEqual({
      service: 'pig', severity: 'sev2', title: 'Test Incident 3', created_at: '2021-06-04T13:35:29.781Z', urgency: 'high',
      url: 'https://pig208.pagerduty.com/incidents/PFQZPSY',
    });
    const acknowledged = translateWebhookV3(body('acknowledged_v3.json'), config).event!.incident;
    expect('created_at' in acknowledged).toBe(false);
    expect('dedup_key' in acknowledged).toBe(false);
  });

  it('maps a moved incident to its new service when that one is mapped', () => {
    const delivery = translateWebhookV3(body('service_updated_v3.json'), { services: { ...config.services, P844A2S: 'apis' } });
    expect(delivery.event).toMatchObject({ type: 'updated', incident: { service: 'apis', severity: 'sev2' } });
  });

  it('says why an unmapped service gives no event', () => {
    expect(translateWebhookV3(body('service_updated_v3.json'), config).reason).toMatch(/P844A2S "APIs" is not mapped/);
  });

  it.each([null, [], 'text', {}, { event: {} }, { event: { id: 'x', event_type: 'incident.triggered', occurred_at: 'yesterday' } }])('rejects a body that is not a v3 delivery: %j', (value) => {
    expect(() => translateWebhookV3(value, config)).toThrow(/webhooks v3/);
  });
});
