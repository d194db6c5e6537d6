// map.ts on the recorded payloads (fixtures/, see its README for the figures).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { IncidentRecord } from '../contract.js';
import type { OpsgenieConfig } from './config.js';
import {
  alertService, epochToIso, exactIntegerText, mapAlertWebhook, mapIncident, needsServiceDirectory, OpsgeniePayloadError, serviceMapping,
  unknownServiceNames, type OpsgenieIncident,
} from './map.js';

const fixtures = new URL('fixtures/', import.meta.url);
const recorded = (name: string) => readFileSync(new URL(name, fixtures), 'utf8');
const incidents = (JSON.parse(recorded('incidents-rest.json')) as { body: OpsgenieIncident }[]).map((row) => row.body);
const incident1 = incidents.find((incident) => incident.message === 'Incident#1')!;
const incident2 = incidents.find((incident) => incident.message === 'Incident#2')!;
const webhook = (name: string) => recorded(`webhooks/${name}.json`);

const TEST_SERVICE = '695bce3d-4621-4630-8ae1-24eb89c22d6e';
const config: OpsgenieConfig = { incidents: { services: { [TEST_SERVICE]: 'payments-api' } } };
const mapping = serviceMapping(config);
const received = new Date('2026-01-01T00:00:00Z');

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const validIncident = addFormats(new Ajv({ allErrors: true, strict: false })).compile(IncidentRecord);
const ms = (iso: string | null | undefined) => Date.parse(iso!);

it('reads the recorded fixtures', () => {
  expect(fileURLToPath(fixtures)).toMatch(/\/connectors\/opsgenie\/fixtures\/$/);
  expect(incidents).toHaveLength(2);
});

describe('REST incident → IncidentRecord', () => {
  it('Incident#2 (resolved): resolved − created = 53.487 s, taken from impactEndDate', () => {
    const record = mapIncident(incident2, config, mapping)!;
    expect(record).toEqual({
      source: 'opsgenie',
      external_id: 'incident:3f84e009-7548-4e7d-832a-fa82c1ceb6b1',
      service: 'payments-api',
      severity: 'sev5',
      title: 'Incident#2',
      created_at: '2023-09-05T18:20:28.003Z',
      started_at: '2023-09-05T18:20:28.003Z',
      acknowledged_at: null,
      resolved_at: '2023-09-05T18:21:21.490Z',
      status_changed_at: '2023-09-05T18:21:21.490Z',
      url: 'https://sandesvitor.app.opsgenie.com/incident/detail/3f84e009-7548-4e7d-832a-fa82c1ceb6b1',
    });
    expect(ms(record.resolved_at) - ms(record.created_at)).toBe(53_487);
  });

  it('Incident#1 (open) has no resolved_at; its status time is updatedAt', () => {
    const record = mapIncident(incident1, config, mapping)!;
    expect(record.resolved_at).toBeNull();
    expect(record.severity).toBe('sev3');
    expect(record.status_changed_at).toBe('2023-09-06T14:30:57.035Z');
  });

  it('without impactEndDate a resolved or closed incident falls back to updatedAt', () => {
    const { impactEndDate: _dropped, ...closed } = { ...incident2, status: 'closed', updatedAt: '2023-09-05T18:30:00Z' };
    expect(mapIncident(closed, config, mapping)!.resolved_at).toBe('2023-09-05T18:30:00.000Z');
  });

  it('every record is valid against the contract schema', () => {
    for (const incident of incidents) expect(validIncident(mapIncident(incident, config, mapping)), JSON.stringify(validIncident.errors)).toBe(true);
  });

  it('an incident of an unmapped service is null; a malformed one throws', () => {
    expect(mapIncident({ ...incident1, impactedServices: ['00000000-0000-4000-8000-000000000000'] }, config, mapping)).toBeNull();
    expect(mapIncident({ ...incident1, impactedServices: [] }, config, mapping)).toBeNull();
    expect(() => mapIncident({ ...incident1, createdAt: 'yesterday' }, config, mapping)).toThrow(/createdAt/);
  });

  it('the configured severity map applies to priorities', () => {
    expect(mapIncident(incident2, { ...config, severity: { P5: 'sev4' } }, mapping)!.severity).toBe('sev4');
  });

  it('services configured by name resolve through the service list', () => {
    const byName: OpsgenieConfig = { incidents: { services: { TestService: 'storefront-web', Missing: 'build-tools' } } };
    expect(needsServiceDirectory(byName)).toBe(true);
    expect(needsServiceDirectory(config)).toBe(false);
    const directory = [{ id: TEST_SERVICE, name: 'TestService' }];
    expect(unknownServiceNames(byName, directory)).toEqual(['Missing']);
    expect(mapIncident(incident1, byName, serviceMapping(byName, directory))!.service).toBe('storefront-web');
  });
});

describe('alert webhook → IncidentEvent', () => {
  const create = mapAlertWebhook(webhook('create'), config, received);
  const acknowledge = mapAlertWebhook(webhook('acknowledge'), config, received);
  const close = mapAlertWebhook(webhook('close'), config, received);

  it('create.json is a triggered event created at 2017-08-14T11:25:56.288Z', () => {
    expect(create).toEqual({
      deliveryId: 'ec03dad6-62c8-4c94-b38b-d88f398e900f:Create:1502709956288000110',
      eventType: 'Create',
      subject: 'alert:ec03dad6-62c8-4c94-b38b-d88f398e900f',
      event: {
        source: 'opsgenie',
        event_id: 'ec03dad6-62c8-4c94-b38b-d88f398e900f:Create:1502709956288000110',
        incident_external_id: 'alert:ec03dad6-62c8-4c94-b38b-d88f398e900f',
        type: 'triggered',
        occurred_at: '2017-08-14T11:25:56.288Z',
        incident: { severity: 'sev3', title: 'another alert', created_at: '2017-08-14T11:25:56.288Z', dedup_key: 'alert-alias' },
      },
    });
  });

  it('alert 052652ac: acknowledge − create = 33.660 s and close − create = 183.565 s, from the exact nanoseconds', () => {
    expect(acknowledge.event!.type).toBe('acknowledged');
    expect(close.event!.type).toBe('resolved');
    expect(acknowledge.event!.occurred_at).toBe('2015-01-05T10:03:44.764Z');
    expect(close.event!.occurred_at).toBe('2015-01-05T10:06:14.669Z');
    const created = ms(acknowledge.event!.incident.created_at);
    expect(created).toBe(Date.parse('2015-01-05T10:03:11.104Z'));
    expect(ms(acknowledge.event!.occurred_at) - created).toBe(33_660);
    expect(ms(close.event!.occurred_at) - ms(close.event!.incident.created_at)).toBe(183_565);
    expect(acknowledge.deliveryId).toBe('052652ac-5d1c-464a-812a-7dd18bbfba8c:Acknowledge:1420452224764002246');
  });

  it('the nanosecond text is read exactly, not as JSON.parse rounds it', () => {
    const raw = webhook('acknowledge');
    expect((JSON.parse(raw) as { alert: { updatedAt: number } }).alert.updatedAt).toBe(1420452224764002304);
    expect(exactIntegerText(raw, 'updatedAt', 1420452224764002304)).toBe('1420452224764002246');
    expect(epochToIso('1420452224764002246')).toBe('2015-01-05T10:03:44.764Z'); // ns
    expect(epochToIso('1420452224764002')).toBe('2015-01-05T10:03:44.764Z'); // µs
    expect(epochToIso('1420452224764')).toBe('2015-01-05T10:03:44.764Z'); // ms
  });

  it('a redelivery of the same bytes has the same delivery id; another action of the alert does not', () => {
    expect(mapAlertWebhook(webhook('close'), config, new Date('2030-01-01T00:00:00Z')).deliveryId).toBe(close.deliveryId);
    expect(close.deliveryId).not.toBe(acknowledge.deliveryId);
    expect(acknowledge.subject).toBe(close.subject);
  });

  it('without updatedAt: Create falls back to createdAt, other actions to the time received; the id to a hash of the body', () => {
    const body = JSON.parse(webhook('acknowledge')) as { alert: Record<string, unknown> };
    delete body.alert.updatedAt;
    const delivery = mapAlertWebhook(JSON.stringify(body), config, received);
    expect(delivery.event!.occurred_at).toBe(received.toISOString());
    expect(delivery.deliveryId).toMatch(/^sha256:[0-9a-f]{64}$/);
    const created = mapAlertWebhook(JSON.stringify({ ...body, action: 'Create' }), config, received);
    expect(created.event!.occurred_at).toBe('2015-01-05T10:03:11.104Z');
  });

  it.each([
    ['UnAcknowledge', 'unacknowledged'],
    ['UpdatePriority', 'updated'],
    ['AddTags', 'updated'],
    ['AddNote', null],
    ['Delete', null],
    ['Escalate', null],
  ])('action %s → %s', (action, type) => {
    const body = JSON.parse(webhook('acknowledge')) as Record<string, unknown>;
    const delivery = mapAlertWebhook(JSON.stringify({ ...body, action }), config, received);
    expect(delivery.eventType).toBe(action);
    expect(delivery.event?.type ?? null).toBe(type);
  });

  it('the service comes from a service:<id> tag, else the configured default', () => {
    expect(alertService(['vip', 'service:Payments-API'], config)).toBe('payments-api');
    expect(alertService(['vip'], config)).toBeNull();
    expect(alertService(['team:payments-api'], { alerts: { service_tag_prefix: 'team:' } })).toBe('payments-api');
    expect(alertService([], { alerts: { default_service: 'ledger-worker' } })).toBe('ledger-worker');
    const tagged = webhook('create').replace('"vip"', '"vip", "service:storefront-web"');
    expect(mapAlertWebhook(tagged, config, received).event!.incident.service).toBe('storefront-web');
    expect(create.event!.incident.service).toBeUndefined();
  });

  it('a body that is not JSON is refused', () => {
    expect(() => mapAlertWebhook('not json', config, received)).toThrow(OpsgeniePayloadError);
    expect(() => mapAlertWebhook('[1]', config, received)).toThrow(OpsgeniePayloadError);
  });
});
