// The incidents stream against a local Opsgenie that replays the recorded incidents (cloned with
// new ids and times for volume) with the Incident API's paging: query on createdAt, sort, order,
// offset, limit, paging links, GenieKey auth, and an offset cap that deep offset paging would hit.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IncidentRecord, type Batch, type SyncContext } from '../contract.js';
import type { OpsgenieConfig } from './config.js';
import { INCIDENTS_STREAM, opsgenieConnector, readCursor, type OpsgenieCursor } from './index.js';
import type { OpsgenieIncident } from './map.js';

const recorded = (JSON.parse(readFileSync(new URL('fixtures/incidents-rest.json', import.meta.url), 'utf8')) as { body: OpsgenieIncident }[])
  .map((row) => row.body);
const openTemplate = recorded.find((incident) => incident.status === 'open')!;
const resolvedTemplate = recorded.find((incident) => incident.status === 'resolved')!;
const TEST_SERVICE = '695bce3d-4621-4630-8ae1-24eb89c22d6e';
const OTHER_SERVICE = '11111111-2222-4333-8444-555555555555';
const API_KEY = 'test-key';
const DAY = 86_400_000;

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv) => Ajv;
const validIncident = addFormats(new Ajv({ allErrors: true, strict: false })).compile(IncidentRecord);

// ---------------------------------------------------------------- the recorded data, cloned

const shift = (iso: string | undefined, ms: number) => (iso ? new Date(Date.parse(iso) + ms).toISOString() : undefined);

/** A recorded incident (open or resolved) moved to a new id and creation time; its durations are kept. */
function clone(n: number, createdAt: number, status: 'open' | 'resolved', service = TEST_SERVICE): OpsgenieIncident {
  const template = status === 'open' ? openTemplate : resolvedTemplate;
  const by = createdAt - Date.parse(template.createdAt);
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const incident: OpsgenieIncident = {
    ...structuredClone(template), id, tinyId: String(n), message: `${template.message} #${n}`, impactedServices: [service],
    createdAt: shift(template.createdAt, by)!, updatedAt: shift(template.updatedAt, by), impactStartDate: shift(template.impactStartDate, by),
    links: { web: template.links!.web!.replace(template.id, id) },
  };
  if (template.impactEndDate) incident.impactEndDate = shift(template.impactEndDate, by);
  return incident;
}

/** `count` incidents `stepMs` apart (an hour) from `start`, alternately open and resolved; `ties` share one instant. */
function dataset(count: number, start: number, options: { ties?: number[]; unmapped?: number[]; stepMs?: number } = {}): OpsgenieIncident[] {
  const step = options.stepMs ?? 3_600_000;
  const tieAt = options.ties?.length ? start + options.ties[0]! * step : 0;
  return Array.from({ length: count }, (_, n) => clone(
    n, options.ties?.includes(n) ? tieAt : start + n * step, n % 2 ? 'resolved' : 'open',
    options.unmapped?.includes(n) ? OTHER_SERVICE : TEST_SERVICE,
  ));
}

// ---------------------------------------------------------------- a local Opsgenie

const fake = {
  incidents: [] as OpsgenieIncident[],
  services: [] as { id: string; name: string }[],
  /** Opsgenie limits how deep offset paging goes; set low here so deep paging would fail. */
  maxOffset: 20,
  requests: [] as URL[],
  /** Statuses to answer before the real ones (e.g. a 429). */
  interrupts: [] as { status: number; headers?: Record<string, string> }[],
};
let server: Server;
let apiUrl: string;

function searchIncidents(url: URL): { status: number; body: unknown } {
  const terms = (url.searchParams.get('query') ?? '').split(/\s+AND\s+/i).filter(Boolean);
  const tests: ((incident: OpsgenieIncident) => boolean)[] = [];
  for (const term of terms) {
    const status = /^status\s*:\s*(open|resolved|closed)$/.exec(term.trim());
    if (status) {
      const wanted = status[1];
      tests.push((incident) => incident.status === wanted);
      continue;
    }
    const match = /^createdAt\s*(>=|>|<=|<|:)\s*(\d+)$/.exec(term.trim());
    if (!match) return { status: 422, body: { message: `Invalid query: ${term}`, took: 0, requestId: 'q' } };
    const bound = Number(match[2]);
    const op = match[1];
    tests.push((incident) => {
      const ms = Date.parse(incident.createdAt);
      return op === '>=' ? ms >= bound : op === '>' ? ms > bound : op === '<=' ? ms <= bound : op === '<' ? ms < bound : ms === bound;
    });
  }
  const offset = Number(url.searchParams.get('offset') ?? 0);
  const limit = Number(url.searchParams.get('limit') ?? 20);
  if (limit < 1 || limit > 100) return { status: 422, body: { message: 'limit must be 1..100', took: 0, requestId: 'q' } };
  if (offset > fake.maxOffset) return { status: 422, body: { message: 'offset is too deep', took: 0, requestId: 'q' } };
  const descending = (url.searchParams.get('order') ?? 'desc') === 'desc';
  const matching = fake.incidents
    .filter((incident) => tests.every((test) => test(incident)))
    .map((incident, index) => ({ incident, index }))
    .sort((a, b) => (Date.parse(a.incident.createdAt) - Date.parse(b.incident.createdAt)) * (descending ? -1 : 1) || a.index - b.index)
    .map(({ incident }) => incident);
  const link = (at: number) => { const next = new URL(url); next.searchParams.set('offset', String(at)); return next.toString(); };
  const paging: Record<string, string> = { first: link(0), last: link(Math.max(0, Math.floor((matching.length - 1) / limit) * limit)) };
  if (offset + limit < matching.length) paging.next = link(offset + limit);
  return { status: 200, body: { data: matching.slice(offset, offset + limit), paging, took: 0.01, requestId: 'list' } };
}

function answer(url: URL): { status: number; body: unknown } {
  if (url.pathname === '/v1/incidents') return searchIncidents(url);
  const byId = /^\/v1\/incidents\/([^/]+)$/.exec(url.pathname);
  if (byId) {
    const incident = fake.incidents.find((candidate) => candidate.id === decodeURIComponent(byId[1]!));
    return incident ? { status: 200, body: { data: incident, took: 0, requestId: 'get' } } : { status: 404, body: { message: 'No incident exists with id', took: 0, requestId: 'get' } };
  }
  if (url.pathname === '/v1/services') {
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    return { status: 200, body: { data: fake.services.slice(offset, offset + limit), took: 0, requestId: 'services' } };
  }
  return { status: 404, body: { message: 'Not found', took: 0, requestId: 'none' } };
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url!, apiUrl);
    fake.requests.push(url);
    const interrupt = fake.interrupts.shift();
    const { status, body, headers } = request.headers.authorization !== `GenieKey ${API_KEY}`
      ? { status: 401, body: { message: 'Key is not valid', took: 0, requestId: 'auth' }, headers: {} }
      : interrupt ? { ...interrupt, body: { message: 'TooManyRequests', took: 0, requestId: 'limit' } } : { ...answer(url), headers: {} };
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  fake.incidents = [];
  fake.services = [];
  fake.requests = [];
  fake.interrupts = [];
});

// ---------------------------------------------------------------- running the connector

const config: OpsgenieConfig = { incidents: { services: { [TEST_SERVICE]: 'payments-api' } }, overlap_days: 7 };

function context(now: Date, since?: Date) {
  const warnings: object[] = [];
  const ctx: SyncContext = {
    now, signal: new AbortController().signal, metrics: { requests: 0, notModified: 0 }, since,
    log: { info: () => {}, warn: (obj) => warnings.push(obj), error: () => {} },
  };
  return { ctx, warnings };
}

function connector(options: { pageSize?: number; config?: OpsgenieConfig } = {}) {
  return opsgenieConnector({ config: options.config ?? config, apiKey: API_KEY, apiUrl, pageSize: options.pageSize ?? 10, sleep: async () => {} });
}

/** Pulls like the sync runner: each batch stored (here: in a map, last write wins) with its cursor, as JSON. */
async function sync(
  source: ReturnType<typeof connector>, cursor: OpsgenieCursor | undefined, ctx: SyncContext,
  store = new Map<string, IncidentRecord>(), crashAfter?: number,
) {
  const batches: Batch<OpsgenieCursor>[] = [];
  let stored = cursor;
  for await (const batch of source.pull(INCIDENTS_STREAM, cursor, ctx)) {
    batches.push(batch);
    for (const { record } of batch.records) store.set((record as IncidentRecord).external_id, record as IncidentRecord);
    stored = readCursor(JSON.parse(JSON.stringify(batch.cursor)));
    if (batches.length === crashAfter) break;
  }
  const ids = batches.flatMap((batch) => batch.records.map(({ record }) => (record as IncidentRecord).external_id));
  return { batches, cursor: stored!, store, ids };
}

const listings = () => fake.requests.filter((url) => url.pathname === '/v1/incidents');
const createdFrom = (url: URL) => Number(/createdAt >= (\d+)/.exec(url.searchParams.get('query')!)![1]);
const idOf = (incident: OpsgenieIncident) => `incident:${incident.id}`;
const start = Date.parse('2025-01-01T00:00:00Z');
const now = new Date('2025-03-01T00:00:00Z');

describe('opsgenieConnector incidents stream', () => {
  it('pages through more incidents than one page, each exactly once, never paging deep by offset', async () => {
    fake.incidents = dataset(45, start, { ties: [8, 9, 10, 11, 12], unmapped: [3, 20, 44] });
    const { ctx } = context(now, new Date(start));
    const { batches, cursor, ids } = await sync(connector(), undefined, ctx);

    const mapped = fake.incidents.filter((incident) => incident.impactedServices![0] === TEST_SERVICE);
    expect([...ids].sort()).toEqual(mapped.map(idOf).sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const batch of batches) for (const { record } of batch.records) expect(validIncident(record), JSON.stringify(validIncident.errors)).toBe(true);
    expect(Math.max(...listings().map((url) => Number(url.searchParams.get('offset'))))).toBeLessThanOrEqual(5);
    expect(ctx.metrics.requests).toBe(fake.requests.length);

    // Between batches the cursor says where to resume; at the end, the high-water mark and the open incidents.
    expect(batches.slice(0, -1).every((batch) => batch.cursor.resume !== null)).toBe(true);
    expect(cursor.resume).toBeNull();
    // The mark is a listing position: the newest incident listed, mapped or not.
    expect(cursor.high_water).toBe(fake.incidents[44]!.createdAt);
    expect(Object.keys(cursor.open).sort()).toEqual(mapped.filter((incident) => incident.status === 'open').map((incident) => incident.id).sort());
  });

  it('the durations of the recorded incidents survive the trip: resolved − created = 53.487 s, open has no resolution', async () => {
    fake.incidents = [clone(1, start, 'open'), clone(2, start + 1000, 'resolved')];
    const { store } = await sync(connector(), undefined, context(now, new Date(start)).ctx);
    const open = store.get(idOf(fake.incidents[0]!))!;
    const resolved = store.get(idOf(fake.incidents[1]!))!;
    expect(open.resolved_at).toBeNull();
    expect(Date.parse(resolved.resolved_at!) - Date.parse(resolved.created_at)).toBe(53_487);
  });

  it('a crash between batches, then a resume from the stored cursor, ends as an uninterrupted run', async () => {
    fake.incidents = dataset(38, start, { ties: [18, 19, 20, 21], unmapped: [7] });
    const whole = await sync(connector(), undefined, context(now, new Date(start)).ctx);

    fake.requests = [];
    const crashed = await sync(connector(), undefined, context(now, new Date(start)).ctx, new Map(), 2);
    expect(crashed.cursor.resume).not.toBeNull();
    const requestsBefore = fake.requests.length;
    const resumed = await sync(connector(), crashed.cursor, context(now).ctx, crashed.store);

    // The resumed run starts where the crashed one stopped, not from the beginning.
    const firstResumed = fake.requests[requestsBefore]!;
    expect(createdFrom(firstResumed)).toBe(Date.parse(crashed.cursor.resume!.created_from));
    expect(Number(firstResumed.searchParams.get('offset'))).toBe(crashed.cursor.resume!.skip);
    expect(resumed.store).toEqual(whole.store);
    expect(resumed.cursor).toEqual(whole.cursor);
  });

  it('a crash while following old open incidents, then a resume, ends as an uninterrupted run', async () => {
    const olds = [100, 101, 102, 103, 104].map((n) => clone(n, start - (130 - n) * DAY, 'open'));
    fake.incidents = [...olds, ...dataset(12, start, { stepMs: DAY })];
    const first = await sync(connector(), undefined, context(now, new Date(start - 60 * DAY)).ctx);
    fake.incidents = fake.incidents.map((incident) => (incident === olds[0] || incident === olds[2] ? { ...incident, status: 'closed' } : incident));

    const later = new Date(Date.parse(first.cursor.high_water!) + DAY);
    const whole = await sync(connector(), first.cursor, context(later).ctx, new Map(first.store));
    const crashed = await sync(connector(), first.cursor, context(later).ctx, new Map(first.store), 1);
    expect(crashed.batches[0]!.records.length).toBeGreaterThan(0); // it stopped inside the following
    const resumed = await sync(connector(), crashed.cursor, context(later).ctx, crashed.store);
    expect(resumed.store).toEqual(whole.store);
    expect(resumed.cursor).toEqual(whole.cursor);
    expect(whole.cursor.open).not.toHaveProperty(olds[0]!.id);
    expect(whole.store.get(idOf(olds[2]!))!.resolved_at).not.toBeNull();
  });

  it('an incremental run re-reads only the overlap, and follows old open incidents until they close', async () => {
    const old = clone(100, start - 30 * DAY, 'open');
    const deleted = clone(101, start - 20 * DAY, 'open');
    fake.incidents = [old, deleted, ...dataset(30, start, { stepMs: DAY })];
    const first = await sync(connector(), undefined, context(now, new Date(start - 60 * DAY)).ctx);
    expect(first.cursor.open).toHaveProperty(old.id);
    const highWater = Date.parse(first.cursor.high_water!);
    const overlapStart = highWater - 7 * DAY;

    // Meanwhile: the old incident is resolved, one is deleted, a new one is opened.
    const oldResolved = { ...old, status: 'resolved', updatedAt: new Date(start + 40 * DAY).toISOString(), impactEndDate: new Date(start + 39 * DAY).toISOString() };
    const fresh = clone(200, highWater + 2 * DAY, 'open');
    fake.incidents = [oldResolved, ...fake.incidents.filter((incident) => incident !== old && incident !== deleted), fresh];
    fake.requests = [];
    const { ctx, warnings } = context(new Date(highWater + 3 * DAY));
    const second = await sync(connector(), first.cursor, ctx);

    // The listing starts at the mark minus the overlap; older open incidents come from one search
    // for the open ones, and only those that search no longer returns are read one by one.
    const isOpenSearch = (url: URL) => url.searchParams.get('query')!.startsWith('status: open');
    expect(listings()[0]!.searchParams.get('query')).toBe(`status: open AND createdAt >= ${Date.parse(old.createdAt)} AND createdAt < ${overlapStart}`);
    expect(createdFrom(listings().find((url) => !isOpenSearch(url))!)).toBe(overlapStart);
    expect(fake.requests.filter((url) => url.pathname.startsWith('/v1/incidents/')).map((url) => url.pathname).sort())
      .toEqual([`/v1/incidents/${old.id}`, `/v1/incidents/${deleted.id}`].sort());

    const overlap = fake.incidents.filter((incident) => Date.parse(incident.createdAt) >= overlapStart);
    const stillOpenOlder = fake.incidents.filter((incident) => incident.status === 'open' && Date.parse(incident.createdAt) < overlapStart);
    expect(overlap.length).toBe(9); // the 8 created in the 7 days up to the mark, and the new one
    expect([...second.ids].sort()).toEqual([idOf(oldResolved), ...stillOpenOlder.map(idOf), ...overlap.map(idOf)].sort());
    expect(second.ids.length).toBeLessThan(fake.incidents.length);
    expect(second.store.get(idOf(oldResolved))!.resolved_at).toBe(oldResolved.impactEndDate);
    expect(second.cursor.open).not.toHaveProperty(old.id);
    expect(second.cursor.open).not.toHaveProperty(deleted.id);
    expect(second.cursor.open).toHaveProperty(fresh.id);
    expect(warnings).toEqual([expect.objectContaining({ incident: deleted.id })]);

    // A third run, nothing changed: the closed incident is no longer followed.
    fake.requests = [];
    await sync(connector(), second.cursor, context(new Date(highWater + 4 * DAY)).ctx);
    expect(fake.requests.some((url) => url.pathname.startsWith('/v1/incidents/'))).toBe(false);
  });

  it('a 429 in the middle of a run is waited out and costs one more request', async () => {
    fake.incidents = dataset(25, start);
    fake.interrupts = [];
    const source = connector();
    const { ctx } = context(now, new Date(start));
    const batches: string[] = [];
    for await (const batch of source.pull(INCIDENTS_STREAM, undefined, ctx)) {
      batches.push(...batch.records.map(({ record }) => (record as IncidentRecord).external_id));
      if (batches.length === 10) fake.interrupts.push({ status: 429, headers: { 'retry-after': '2' } });
    }
    expect(batches.sort()).toEqual(fake.incidents.map(idOf).sort());
    expect(ctx.metrics.requests).toBe(listings().length);
    expect(listings()).toHaveLength(4); // three pages and the retried one
  });

  it('starts a first sync at ctx.since, else the configured since, else two years before now', async () => {
    await sync(connector(), undefined, context(now, new Date('2024-06-01T00:00:00Z')).ctx);
    await sync(connector({ config: { ...config, since: '2024-02-01' } }), undefined, context(now).ctx);
    await sync(connector(), undefined, context(now).ctx);
    expect(listings().map((url) => new Date(createdFrom(url)).toISOString())).toEqual([
      '2024-06-01T00:00:00.000Z', '2024-02-01T00:00:00.000Z', '2023-03-01T00:00:00.000Z',
    ]);
  });

  it('maps services configured by name through the service list', async () => {
    fake.services = [{ id: OTHER_SERVICE, name: 'Other' }, { id: TEST_SERVICE, name: 'TestService' }];
    fake.incidents = [clone(1, start, 'open'), clone(2, start + 1000, 'resolved', OTHER_SERVICE)];
    const byName = connector({ config: { incidents: { services: { TestService: 'storefront-web', Gone: 'build-tools' } } } });
    const { ctx, warnings } = context(now, new Date(start));
    const { store } = await sync(byName, undefined, ctx);
    expect([...store.values()].map((record) => [record.external_id, record.service])).toEqual([[idOf(fake.incidents[0]!), 'storefront-web']]);
    expect(warnings).toEqual([expect.objectContaining({ service: 'Gone' })]);
  });

  it('offers no stream without incident mapping, and reads nothing when no service resolves', async () => {
    expect(connector().streams({})).toEqual([]);
    expect(connector().streams(config)).toEqual([INCIDENTS_STREAM]);
    fake.incidents = dataset(3, start);
    const nothing = connector({ config: { incidents: { services: { Unknown: 'payments-api' } } } });
    const { ctx, warnings } = context(now, new Date(start));
    expect((await sync(nothing, undefined, ctx)).batches).toEqual([]);
    expect(warnings.length).toBe(2);
  });

  it('a wrong key is an auth error; an unreadable cursor is refused', async () => {
    const wrongKey = opsgenieConnector({ config, apiKey: 'wrong', apiUrl, sleep: async () => {} });
    await expect(sync(wrongKey, undefined, context(now).ctx)).rejects.toMatchObject({ name: 'OpsgenieAuthError', status: 401 });
    expect(() => readCursor({ v: 2 })).toThrow(/unreadable Opsgenie cursor/);
  });
});
