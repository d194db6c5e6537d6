// The connector's pull against a local server answering like PagerDuty from the recorded
// incidents and clones of them (testing/): completeness past the paging cap, windows PagerDuty
// accepts, exact resume after a crash, and incremental runs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch, IncidentRecord } from '../contract.js';
import { pagerDutyConnector, type PagerDutyCursor } from './index.js';
import { FAKE_TOKEN, startFakePagerDuty, type FakePagerDuty } from './testing/fake-pagerduty.js';
import { clonedIncidents, cloneIncident, recordedIncidents } from './testing/recorded.js';
import { recordingSleep, testContext, type TestContext } from './testing/context.js';

const DAY_MS = 86_400_000;
const SIX_MONTHS_MS = 181 * DAY_MS; // the shortest six calendar months
const stream = { connector: 'pagerduty', stream: 'incidents' };
const config = { services: { PIKL83L: 'dev-service' } };
const [incident4, incident5, incident6] = ['Q3YON8WNWTZMRQ', 'Q3CZAU7Q4008QD', 'Q1OHFWFP3GPXOG'];

let api: FakePagerDuty;
beforeEach(async () => {
  api = await startFakePagerDuty();
});
afterEach(() => api.close());

const connector = (maxIncidentsPerWindow?: number) =>
  pagerDutyConnector({ token: FAKE_TOKEN, baseUrl: api.url, sleep: recordingSleep(), config, ...(maxIncidentsPerWindow ? { maxIncidentsPerWindow } : {}) });

async function pull(cursor: PagerDutyCursor | undefined, ctx: TestContext, maxIncidentsPerWindow?: number, stopAfter = Infinity) {
  const batches: Batch<PagerDutyCursor>[] = [];
  for await (const batch of connector(maxIncidentsPerWindow).pull(stream, cursor, ctx)) {
    batches.push(batch);
    if (batches.length >= stopAfter) break; // the generator is abandoned here, as a crash would
  }
  return { batches, records: batches.flatMap((b) => b.records.map((r) => r.record as IncidentRecord)), cursor: batches.at(-1)?.cursor };
}

const byId = (records: IncidentRecord[]) => new Map(records.map((r) => [r.external_id, r]));
const seconds = (from: string, to: string | null | undefined) => (Date.parse(to!) - Date.parse(from)) / 1000;
/** The since/until of every time-ranged request the server received. */
const rangedRequests = () =>
  api.requests.filter((r) => r.query.has('since') && r.query.has('until')).map((r) => ({ path: r.path, since: r.query.get('since')!, until: r.query.get('until')!, offset: Number(r.query.get('offset') ?? 0), limit: Number(r.query.get('limit') ?? 25) }));

describe('pull: first sync', () => {
  it('reads the recorded incidents, with first acknowledgements from the log where the incident lost them', async () => {
    api.add(...recordedIncidents());
    const now = new Date('2022-12-01T00:00:00Z');
    const { records, cursor } = await pull(undefined, testContext(now, { since: new Date('2022-10-01T00:00:00Z') }));
    const incidents = byId(records);
    expect([...incidents.keys()].sort()).toEqual([incident6, incident5, incident4].sort());
    expect(incidents.get(incident4)!.acknowledged_at).toBe('2022-11-03T06:23:07.000Z');
    expect(seconds(incidents.get(incident5)!.created_at, incidents.get(incident5)!.acknowledged_at)).toBe(9);
    expect(seconds(incidents.get(incident6)!.created_at, incidents.get(incident6)!.acknowledged_at)).toBe(10);
    expect(seconds(incidents.get(incident6)!.created_at, incidents.get(incident6)!.resolved_at)).toBe(368);
    expect(cursor).toEqual({
      version: 1,
      read_until: now.toISOString(),
      run_until: null,
      open: [
        { id: incident4, created_at: '2022-11-03T06:23:06.000Z', status_changed_at: '2022-11-03T07:02:36.000Z', acknowledged_at: '2022-11-03T06:23:07.000Z' },
        { id: incident5, created_at: '2022-11-03T06:44:28.000Z', status_changed_at: '2022-11-03T06:44:37.000Z', acknowledged_at: '2022-11-03T06:44:37.000Z' },
      ],
    });
  });

  it('waits out a 429 in the middle of a sync as PagerDuty asks, and goes on', async () => {
    api.add(...recordedIncidents());
    const sleep = recordingSleep();
    const ctx = testContext(new Date('2022-12-01T00:00:00Z'), { since: new Date('2022-10-01T00:00:00Z') });
    api.respondNext({ status: 429, headers: { 'ratelimit-reset': '42' }, body: { error: { message: 'Rate Limit Exceeded', code: 2020 } } });
    const batches = [];
    for await (const batch of pagerDutyConnector({ token: FAKE_TOKEN, baseUrl: api.url, sleep, config }).pull(stream, undefined, ctx)) batches.push(batch);
    expect(batches.flatMap((b) => b.records)).toHaveLength(3);
    expect(sleep.waits).toEqual([42_000]);
  });

  it('starts two years back by default, in windows of under six months that follow each other exactly', async () => {
    const now = new Date('2026-03-01T10:00:00Z');
    const { batches, cursor } = await pull(undefined, testContext(now));
    const windows = rangedRequests();
    expect(windows.map((w) => w.path)).toEqual(Array(5).fill('/incidents'));
    expect(windows[0]!.since).toBe('2024-03-01T09:59:59Z'); // a second of margin each side (windows.ts)
    expect(windows.at(-1)!.until).toBe('2026-03-01T10:00:01Z');
    for (const [i, w] of windows.entries()) {
      expect(Date.parse(w.until) - Date.parse(w.since)).toBeLessThan(SIX_MONTHS_MS);
      if (i > 0) expect(Date.parse(w.since)).toBe(Date.parse(windows[i - 1]!.until) - 2000);
    }
    expect(batches).toHaveLength(5);
    expect(cursor).toMatchObject({ read_until: now.toISOString(), run_until: null, open: [] });
  });

  it.each([
    ['1,000 (the default)', undefined],
    ['10,000 (what offset paging reaches)', 10_000],
  ])('reads more than 10,000 incidents created within days completely, each once; windows of at most %s', async (_name, maxPerWindow) => {
    const clones = clonedIncidents(10_050, new Date('2026-01-05T00:00:00Z'), 60_000);
    api.add(...clones);
    const ctx = testContext(new Date('2026-03-01T00:00:00Z'));
    const { batches, records, cursor } = await pull(undefined, ctx, maxPerWindow);

    expect(records).toHaveLength(clones.length);
    expect(new Set(records.map((r) => r.external_id)).size).toBe(clones.length);
    for (const batch of batches) expect(batch.records.length).toBeLessThanOrEqual(maxPerWindow ?? 1000);
    for (const w of rangedRequests()) {
      expect(Date.parse(w.until) - Date.parse(w.since)).toBeLessThan(SIX_MONTHS_MS);
      expect(w.offset + w.limit).toBeLessThanOrEqual(10_000);
    }
    // Clones keep the recorded durations, whichever way their acknowledgement was found.
    const durations = new Map(records.map((r) => [seconds(r.created_at, r.acknowledged_at), true]));
    expect([...durations.keys()].sort((a, b) => a - b)).toEqual([1, 9, 10]);
    expect(records.filter((r) => r.resolved_at).every((r) => seconds(r.created_at, r.resolved_at) === 368)).toBe(true);
    expect(cursor!.run_until).toBeNull();
    expect(cursor!.open).toHaveLength(6_700); // the clones of #4 and #5
    // The account's log is read in bulk: reading the log of each of the 6,700 incidents that
    // need it would take a request each.
    expect(ctx.metrics.requests).toBeLessThan(6_700 / 2);
  }, 60_000);

  it.each([
    ['windows of the default size; bounds inclusive', undefined, 'inclusive'],
    ['windows split down to seconds; bounds inclusive', 1, 'inclusive'],
    ['windows of the default size; bounds exclusive', undefined, 'exclusive'],
    ['windows split down to seconds; bounds exclusive', 1, 'exclusive'],
  ] as const)('keeps an incident on a window boundary exactly once (%s)', async (_name, maxPerWindow, bounds) => {
    await api.close();
    api = await startFakePagerDuty({ bounds });
    const since = new Date('2025-01-01T00:00:00Z');
    const now = new Date('2026-01-01T00:00:00Z');
    const boundary = since.getTime() + 179 * DAY_MS; // where the first six-month window ends
    const [recorded] = recordedIncidents();
    const at = [since.getTime() - 1000, since.getTime(), boundary - 1, boundary, boundary, boundary + 1, boundary + 500, boundary + 1000, now.getTime() - 1, now.getTime()];
    api.add(...at.map((ms, i) => cloneIncident(recorded!, `QEDGE${i}`, new Date(ms))));
    const { records } = await pull(undefined, testContext(now, { since }), maxPerWindow);
    // The first was created before `since`, the last at `now`: it belongs to the next run.
    expect(records.map((r) => r.external_id).sort()).toEqual(at.slice(1, -1).map((_, i) => `QEDGE${i + 1}`));
  });
});

describe('pull: resuming and incremental runs', () => {
  it('resumes exactly after stopping between batches: the union equals an uninterrupted run', async () => {
    api.add(...clonedIncidents(300, new Date('2026-01-01T00:00:00Z'), 2 * 3_600_000));
    const since = new Date('2025-12-15T00:00:00Z');
    const now = new Date('2026-02-01T00:00:00Z');
    const whole = await pull(undefined, testContext(now, { since }), 50);
    expect(whole.batches.length).toBeGreaterThan(4);

    const before = await pull(undefined, testContext(now, { since }), 50, 3);
    expect(before.cursor!.run_until).toBe(now.toISOString());
    api.requests.length = 0;
    // The process restarts later: the cursor, not the new clock, says where the run ends.
    const after = await pull(before.cursor, testContext(new Date('2026-02-01T06:00:00Z')), 50);

    const resumedFrom = Date.parse(before.cursor!.read_until);
    expect(Math.min(...rangedRequests().filter((w) => w.path === '/incidents').map((w) => Date.parse(w.since)))).toBe(resumedFrom - 1000);
    const beforeIds = new Set(before.records.map((r) => r.external_id));
    expect(after.records.filter((r) => beforeIds.has(r.external_id))).toEqual([]);
    expect(byId([...before.records, ...after.records])).toEqual(byId(whole.records));
    expect(after.cursor).toEqual(whole.cursor);
  });

  it('re-reads only the overlap, and catches an old open incident that resolved since', async () => {
    api.add(...recordedIncidents());
    const first = await pull(undefined, testContext(new Date('2022-12-01T00:00:00Z'), { since: new Date('2022-10-01T00:00:00Z') }));
    expect(first.cursor!.open.map((o) => o.id)).toEqual([incident4, incident5]);

    // After the first sync: #4 (created a month earlier, far before the overlap) resolves, and a new incident comes and goes.
    api.update(incident4, (incident) => {
      Object.assign(incident, { status: 'resolved', last_status_change_at: '2022-12-01T12:00:00.000000Z', acknowledgements: [], assignments: [] });
    }, [{ id: 'RRESOLVE4', type: 'resolve_log_entry', created_at: '2022-12-01T12:00:00.000000Z', incident: { id: incident4 } }]);
    const [, , recorded6] = recordedIncidents();
    api.add(cloneIncident(recorded6!, 'QNEW', new Date('2022-12-01T10:00:00Z')));
    api.requests.length = 0;

    const ctx = testContext(new Date('2022-12-02T00:00:00Z'));
    const second = await pull(first.cursor, ctx);
    expect(api.requests.map((r) => `${r.path}${r.query.has('since') ? ` since ${r.query.get('since')}` : ''}${r.query.has('date_range') ? ' date_range=all' : ''}`)).toEqual([
      '/incidents date_range=all', // what is still open, of any age: #5
      `/incidents/${incident4}`, // #4 is not: fetched by id
      `/incidents/${incident4}/log_entries since 2022-11-03T06:23:05Z`, // its acknowledgements were emptied when it resolved
      '/incidents since 2022-11-23T23:59:59Z', // the overlap: 7 days before the last sync ended
      '/incidents/QNEW/log_entries since 2022-12-01T09:59:59Z',
    ]);
    expect(ctx.metrics.requests).toBe(5);

    const incidents = byId(second.records);
    expect([...incidents.keys()].sort()).toEqual(['QNEW', incident5, incident4].sort());
    expect(incidents.get(incident4)).toMatchObject({ resolved_at: '2022-12-01T12:00:00.000Z', acknowledged_at: '2022-11-03T06:23:07.000Z' });
    expect(incidents.get(incident5)).toMatchObject({ resolved_at: null, acknowledged_at: '2022-11-03T06:44:37.000Z' });
    expect(seconds(incidents.get('QNEW')!.created_at, incidents.get('QNEW')!.acknowledged_at)).toBe(10);
    expect(second.cursor).toMatchObject({ read_until: '2022-12-02T00:00:00.000Z', run_until: null, open: [{ id: incident5 }] });
  });

  it('skips and forgets an open incident that moved to a service bellwether.yaml does not map', async () => {
    api.add(...recordedIncidents());
    const first = await pull(undefined, testContext(new Date('2022-12-01T00:00:00Z'), { since: new Date('2022-10-01T00:00:00Z') }));
    api.update(incident5, (incident) => {
      incident.service = { id: 'POTHER1', type: 'service_reference', summary: 'Other' };
    });
    const ctx = testContext(new Date('2022-12-02T00:00:00Z'));
    const second = await pull(first.cursor, ctx);
    expect(second.records.map((r) => r.external_id)).toEqual([incident4]);
    expect(second.cursor!.open.map((o) => o.id)).toEqual([incident4]);
    expect(ctx.logged).toContainEqual(expect.objectContaining({ obj: expect.objectContaining({ incident: incident5, service: 'POTHER1' }) }));
  });

  it('refuses a cursor it did not write, and a stream it does not have', async () => {
    const ctx = testContext(new Date('2022-12-01T00:00:00Z'));
    await expect(pull({ read_until: 'yesterday' } as unknown as PagerDutyCursor, ctx)).rejects.toThrow(/cursor is not one this connector wrote/);
    const other = connector().pull({ connector: 'pagerduty', stream: 'services' }, undefined, ctx);
    await expect(other[Symbol.asyncIterator]().next()).rejects.toThrow(/no stream pagerduty\/services/);
  });
});
