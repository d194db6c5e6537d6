// Incident webhooks end to end through fastify inject on a real database, with the recorded
// PagerDuty v3 and Opsgenie bodies (connectors/<source>/fixtures) signed as the tools sign them:
// accepted and merged, rejected with 401 and nothing written, recognised when redelivered,
// and ending in the right state whatever order the events arrive in.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const FIXTURES = new URL('../../connectors/', import.meta.url);
/** `pagerduty/webhooks-v3/x.json` → connectors/pagerduty/fixtures/webhooks-v3/x.json */
const fixtureUrl = (path: string) => new URL(path.replace(/^(\w+)\//, '$1/fixtures/'), FIXTURES);
const fixture = (path: string) => readFileSync(fixtureUrl(path), 'utf8');

const PD_SECRET = 'pd-secret-0123456789abcdef';
const PD_OLD_SECRET = 'pd-old-secret-0123456789abcdef';
const OG_SECRET = 'og-secret-0123456789abcdef';

const orgYaml = `
organisation: { name: Test Org, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services:
  - { id: checkout, owner: eng }
  - { id: payments-api, owner: eng }
  - { id: apis, owner: eng }
pagerduty:
  services: { PA2P440: checkout, PLVTM9H: payments-api, P844A2S: apis }
opsgenie:
  alerts: { default_service: checkout }
`;

const sign = (body: string, secret = PD_SECRET) => `v1=${createHmac('sha256', secret).update(body).digest('hex')}`;
/** `null`: no signature header at all. */
const postPagerDuty = (body: string, signature: string | null = sign(body)) =>
  h.app.inject({ method: 'POST', url: '/webhooks/pagerduty', payload: body, headers: { 'content-type': 'application/json', ...(signature ? { 'x-pagerduty-signature': signature } : {}) } });
const postOpsgenie = (body: string, secret: string | null = OG_SECRET) =>
  h.app.inject({ method: 'POST', url: '/webhooks/opsgenie', payload: body, headers: { 'content-type': 'application/json', ...(secret ? { 'x-bellwether-webhook-secret': secret } : {}) } });
const incident = (source: string, externalId: string) =>
  h.db.selectFrom('incidents').selectAll().where('source', '=', source).where('external_id', '=', externalId).executeTakeFirst();

/** A recorded body with its incident and times changed: ours, to build a chain the recordings lack. */
function ours(file: string, changes: { id: string; occurredAt: string; eventId: string }): string {
  const body = JSON.parse(fixture(`pagerduty/webhooks-v3/${file}`)) as { event: { id: string; occurred_at: string; data: { id: string } } };
  body.event.id = changes.eventId;
  body.event.occurred_at = changes.occurredAt;
  body.event.data.id = changes.id;
  return JSON.stringify(body);
}

let h: Harness;
beforeAll(async () => {
  h = await createHarness({
    orgYaml, now: new Date('2026-11-20T12:00:00Z'),
    env: { PAGERDUTY_WEBHOOK_SECRET: `${PD_SECRET},${PD_OLD_SECRET}`, OPSGENIE_WEBHOOK_SECRET: OG_SECRET },
  });
});
afterAll(async () => h?.close());

describe('POST /webhooks/pagerduty', () => {
  it('rejects a wrong, missing or malformed signature with 401 and writes nothing', async () => {
    const body = fixture('pagerduty/webhooks-v3/triggered_v3.json');
    const before = await tableCounts(h.db);
    for (const signature of [sign(body, 'not-the-secret-0123456789'), null, 'v1=zz', sign(`${body} `), 'v0=abc']) {
      const res = await postPagerDuty(body, signature);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthorized');
    }
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('applies every recorded v3 delivery as its kind says, by the incident it names', async () => {
    const expected: Record<string, string> = {
      'triggered_v3.json': 'applied', // a triggered event is the creation: the incident exists now
      'acknowledged_v3.json': 'pending', // 2021 payloads lack created_at: they wait for the incident
      'unacknowledged_v3.json': 'pending',
      'resolved_v3.json': 'pending',
      'reassigned_v3.json': 'pending',
      // A hand-made copy of reassigned with a fake type, and the same event id: a redelivery to us.
      'unsupported_v3.json': 'duplicate',
      'escalate_v3.json': 'applied', // 2026 payloads carry created_at: they can make the incident
      'delegated_v3.json': 'applied',
      'priority_updated_v3.json': 'applied',
      'service_updated_v3.json': 'applied',
      'reopened_v3.json': 'applied',
      'annotated_v3.json': 'ignored',
      'conference_bridge_updated_v3.json': 'ignored',
      'responder_added.json': 'ignored',
      'responder_replied_v3.json': 'ignored',
      'status_updated_v3.json': 'ignored',
      'workflow_started_v3.json': 'ignored',
      'workflow_completed_v3.json': 'ignored',
      'workflow_completed_no_summary_v3.json': 'duplicate', // the same event as workflow_completed (same id), summary emptied
      'service_created_v3.json': 'ignored',
      'service_deleted_v3.json': 'ignored',
    };
    expect(readdirSync(fixtureUrl('pagerduty/webhooks-v3/')).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, status] of Object.entries(expected)) {
      const body = fixture(`pagerduty/webhooks-v3/${file}`);
      const res = await postPagerDuty(body);
      expect(res.statusCode, file).toBe(202);
      expect(res.json().status, file).toBe(status);
      expect(res.json().delivery_id).toBe((JSON.parse(body) as { event: { id: string } }).event.id);
    }
    const rows = await h.db.selectFrom('incidents').select(['external_id', 'service_id', 'severity', 'created_at', 'resolved_at', 'urgency']).orderBy('external_id').execute();
    expect(rows).toEqual([
      // #9, triggered at 13:35:29.781: created then; high urgency without priority → sev2.
      { external_id: 'PFQZPSY', service_id: 'checkout', severity: 'sev2', created_at: new Date('2021-06-04T13:35:29.781Z'), resolved_at: null, urgency: 'high' },
      // #4, reopened: open; P3.
      { external_id: 'Q05XJA8GDXGOB3', service_id: 'payments-api', severity: 'sev3', created_at: new Date('2026-03-30T13:37:07Z'), resolved_at: null, urgency: 'low' },
      // #5: escalated (P1), delegated, priority now P2, then moved to service APIs.
      { external_id: 'Q3B15VLMF3ASBD', service_id: 'apis', severity: 'sev2', created_at: new Date('2026-04-01T02:07:30Z'), resolved_at: null, urgency: 'high' },
    ]);
    const waiting = await h.db.selectFrom('webhook_deliveries').select(['subject', 'event_type']).where('status', '=', 'pending').orderBy('subject').orderBy('event_type').execute();
    expect(waiting).toEqual([
      { subject: 'PCPZE64', event_type: 'incident.resolved' },
      { subject: 'PIQUG8X', event_type: 'incident.reassigned' },
      { subject: 'PQ1K5C8', event_type: 'incident.acknowledged' },
      { subject: 'PQ1K5C8', event_type: 'incident.unacknowledged' },
    ]);
  });

  it('recognises a redelivery: 202 duplicate and nothing changes', async () => {
    const before = await tableCounts(h.db);
    const updatedAt = await h.db.selectFrom('incidents').select(['external_id', 'updated_at']).orderBy('external_id').execute();
    for (const file of ['triggered_v3.json', 'priority_updated_v3.json', 'resolved_v3.json', 'unsupported_v3.json']) {
      const res = await postPagerDuty(fixture(`pagerduty/webhooks-v3/${file}`));
      expect(res.json().status, file).toBe('duplicate');
    }
    expect(await tableCounts(h.db)).toEqual(before);
    expect(await h.db.selectFrom('incidents').select(['external_id', 'updated_at']).orderBy('external_id').execute()).toEqual(updatedAt);
  });

  it('merges waiting events once the incident arrives: the recorded resolve lands on its incident', async () => {
    // Our triggered event for #6 (PCPZE64), twenty minutes before its recorded resolution.
    const res = await postPagerDuty(ours('triggered_v3.json', { id: 'PCPZE64', occurredAt: '2021-06-04T12:56:53.816Z', eventId: 'bellwether-test-1' }));
    expect(res.json().status).toBe('applied');
    expect(await incident('pagerduty', 'PCPZE64')).toMatchObject({
      created_at: new Date('2021-06-04T12:56:53.816Z'), resolved_at: new Date('2021-06-04T13:16:53.816Z'), status_changed_at: new Date('2021-06-04T13:16:53.816Z'),
    });
    const status = await h.db.selectFrom('webhook_deliveries').select('status').where('delivery_id', '=', '01BZYH1JJY09P9LEIST8HG2PMN').executeTakeFirstOrThrow();
    expect(status.status).toBe('applied');
  });

  it('ends in the right state when resolved arrives before acknowledged, and a late reopen older than it changes nothing', async () => {
    const id = 'PBELLWETHER1';
    const post = async (file: string, occurredAt: string, eventId: string) => (await postPagerDuty(ours(file, { id, occurredAt, eventId }))).json().status as string;
    expect(await post('triggered_v3.json', '2026-11-02T10:00:00.000Z', 'chain-1')).toBe('applied');
    expect(await post('resolved_v3.json', '2026-11-02T10:45:00.000Z', 'chain-3')).toBe('applied');
    expect(await post('acknowledged_v3.json', '2026-11-02T10:03:30.000Z', 'chain-2')).toBe('applied');
    expect(await incident('pagerduty', id)).toMatchObject({
      created_at: new Date('2026-11-02T10:00:00Z'), acknowledged_at: new Date('2026-11-02T10:03:30Z'), resolved_at: new Date('2026-11-02T10:45:00Z'),
    });
    // A reopen before the resolution (delivered late) does not undo it; one after it does.
    expect(await post('reopened_v3.json', '2026-11-02T10:20:00.000Z', 'chain-4')).toBe('applied');
    expect((await incident('pagerduty', id))?.resolved_at).toEqual(new Date('2026-11-02T10:45:00Z'));
    expect(await post('reopened_v3.json', '2026-11-02T11:00:00.000Z', 'chain-5')).toBe('applied');
    expect((await incident('pagerduty', id))?.resolved_at).toBeNull();
  });

  it('ignores an event type it does not know, even when it carries an incident', async () => {
    const body = fixture('pagerduty/webhooks-v3/unsupported_v3.json').replace('"id": "01BZY282OVDQMFPDC3VB98DR1L"', '"id": "bellwether-test-unsupported"');
    const before = await incident('pagerduty', 'PIQUG8X');
    const res = await postPagerDuty(body);
    expect(res.json()).toMatchObject({ status: 'ignored', delivery_id: 'bellwether-test-unsupported' });
    expect(await incident('pagerduty', 'PIQUG8X')).toEqual(before);
  });

  it('accepts a signature made with the previous secret during rotation, and several v1= values', async () => {
    const body = ours('triggered_v3.json', { id: 'PROTATE1', occurredAt: '2026-11-03T10:00:00.000Z', eventId: 'rotate-1' });
    expect((await postPagerDuty(body, sign(body, PD_OLD_SECRET))).statusCode).toBe(202);
    const other = ours('triggered_v3.json', { id: 'PROTATE2', occurredAt: '2026-11-03T10:00:00.000Z', eventId: 'rotate-2' });
    expect((await postPagerDuty(other, `${sign(other, 'another-secret-0123456789')},${sign(other)}`)).statusCode).toBe(202);
  });

  it('answers 400 for a signed body that is not JSON or not a v3 delivery, 413 for a body over 1 MB', async () => {
    const before = await tableCounts(h.db);
    const notJson = '{"event": ';
    expect((await postPagerDuty(notJson)).statusCode).toBe(400);
    const notV3 = JSON.stringify({ messages: [] });
    const res = await postPagerDuty(notV3);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_input');
    const huge = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    expect((await postPagerDuty(huge)).statusCode).toBe(413);
    expect(await tableCounts(h.db)).toEqual(before);
  });
});

describe('POST /webhooks/opsgenie', () => {
  it('rejects a wrong or missing shared secret with 401 and writes nothing', async () => {
    const before = await tableCounts(h.db);
    const body = fixture('opsgenie/webhooks/create.json');
    expect((await postOpsgenie(body, 'wrong-secret-0123456789abcdef')).statusCode).toBe(401);
    expect((await postOpsgenie(body, null)).statusCode).toBe(401);
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('turns create, acknowledge and close into an incident with its times, in any order', async () => {
    // The recorded acknowledge and close are of alert 052652ac, whose create is not recorded and
    // whose payloads carry no priority: they wait (no severity yet). Close arrives first.
    const close = fixture('opsgenie/webhooks/close.json');
    const acknowledge = fixture('opsgenie/webhooks/acknowledge.json');
    expect((await postOpsgenie(close)).json().status).toBe('pending');
    expect((await postOpsgenie(acknowledge)).json().status).toBe('pending');
    // Ours: the recorded create, made the create of alert 052652ac (its id and times, exact digits kept).
    const create = fixture('opsgenie/webhooks/create.json')
      .replaceAll('ec03dad6-62c8-4c94-b38b-d88f398e900f', '052652ac-5d1c-464a-812a-7dd18bbfba8c')
      .replace('1502709956288', '1420452191104')
      .replace(/"updatedAt"\s*:\s*\d+/, '"updatedAt": 1420452191104000000');
    expect((await postOpsgenie(create)).json().status).toBe('applied');
    const row = await incident('opsgenie', 'alert:052652ac-5d1c-464a-812a-7dd18bbfba8c');
    // acknowledge − create = 33.660 s, close − create = 183.565 s (fixtures README).
    expect(row!.created_at).toEqual(new Date('2015-01-05T10:03:11.104Z'));
    expect(row!.acknowledged_at!.getTime() - row!.created_at.getTime()).toBe(33_660);
    expect(row!.resolved_at!.getTime() - row!.created_at.getTime()).toBe(183_565);
    expect(row!.severity).toBe('sev3');
    expect((await postOpsgenie(close)).json().status).toBe('duplicate');
  });

  it('creates an incident from a recorded create', async () => {
    const res = await postOpsgenie(fixture('opsgenie/webhooks/create.json'));
    expect(res.statusCode).toBe(202);
    const created = await h.db.selectFrom('incidents').select(['external_id', 'created_at', 'service_id']).where('source', '=', 'opsgenie').where('created_at', '=', new Date('2017-08-14T11:25:56.288Z')).execute();
    expect(created).toHaveLength(1);
    expect(created[0]!.service_id).toBe('checkout');
  });
});

describe('webhooks without a secret', () => {
  it('answer 404 naming the variable to set, and write nothing', async () => {
    const bare = await createHarness({ orgYaml, now: new Date('2026-11-20T12:00:00Z') });
    try {
      const body = fixture('pagerduty/webhooks-v3/triggered_v3.json');
      const res = await bare.app.inject({ method: 'POST', url: '/webhooks/pagerduty', payload: body, headers: { 'content-type': 'application/json', 'x-pagerduty-signature': sign(body) } });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.message).toContain('PAGERDUTY_WEBHOOK_SECRET');
      expect((await tableCounts(bare.db)).webhook_deliveries).toBe(0);
    } finally {
      await bare.close();
    }
  });
});
