// client.ts against a local HTTP server that answers with scripted statuses and the recorded
// incident list body: auth header, request counting, 429 and 5xx handling, typed errors.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncMetrics } from '../contract.js';
import {
  createOpsgenieClient, getIncident, listIncidents, OpsgenieAuthError, OpsgenieRateLimitedError, OpsgenieSourceError,
  rateLimitWaitMs, type OpsgenieClientOptions,
} from './client.js';

const recorded = JSON.parse(readFileSync(new URL('fixtures/incidents-rest.json', import.meta.url), 'utf8')) as { body: unknown }[];
const listBody = { data: recorded.map((row) => row.body), took: 0.01, requestId: 'recorded' };

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
let script: Answer[] = [];
let seen: { url: string; headers: IncomingHttpHeaders }[] = [];
let onRequest: () => void = () => {};
let server: Server;
let apiUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url!, headers: request.headers });
    const answer = script.shift() ?? { status: 200, body: listBody };
    response.writeHead(answer.status, { 'content-type': 'application/json', 'x-request-id': `r${seen.length}`, ...answer.headers });
    response.end(JSON.stringify(answer.body ?? { message: 'scripted', took: 0, requestId: `r${seen.length}` }));
    onRequest();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function harness(answers: Answer[], options: Partial<OpsgenieClientOptions> = {}) {
  script = [...answers];
  seen = [];
  onRequest = () => {};
  const waits: number[] = [];
  const metrics: SyncMetrics = { requests: 0, notModified: 0 };
  const controller = new AbortController();
  const client = createOpsgenieClient({
    apiKey: 'test-key', apiUrl, sleep: async (ms) => { waits.push(ms); }, ...options,
  });
  return { client, waits, metrics, controller, ctx: { signal: controller.signal, metrics } };
}

const page = { createdFromMs: 0, offset: 0, limit: 100 };

describe('createOpsgenieClient', () => {
  it('a 429 with Retry-After waits that long, then the retry succeeds; both requests are counted and keyed', async () => {
    const { client, waits, metrics, ctx } = harness([{ status: 429, headers: { 'retry-after': '7', 'x-ratelimit-state': 'THROTTLED' } }]);
    const incidents = await listIncidents(client, page, ctx);
    expect(incidents.map((incident) => incident.message)).toEqual(['Incident#1', 'Incident#2']);
    expect(waits).toEqual([7000]);
    expect(metrics.requests).toBe(2);
    expect(seen.map((request) => request.headers.authorization)).toEqual(['GenieKey test-key', 'GenieKey test-key']);
    const url = new URL(seen[0]!.url, apiUrl);
    expect(url.pathname).toBe('/v1/incidents');
    expect(Object.fromEntries(url.searchParams)).toEqual({ query: 'createdAt >= 0', offset: '0', limit: '100', sort: 'createdAt', order: 'asc' });
  });

  it("without Retry-After, Opsgenie's X-RateLimit-Period-In-Sec sets the wait, else waits double from 1 s", async () => {
    const period = harness([{ status: 429, headers: { 'x-ratelimit-period-in-sec': '60' } }]);
    await listIncidents(period.client, page, period.ctx);
    expect(period.waits).toEqual([60_000]);
    const bare = harness([{ status: 429 }, { status: 429 }, { status: 429 }]);
    await listIncidents(bare.client, page, bare.ctx);
    expect(bare.waits).toEqual([1000, 2000, 4000]);
  });

  it('reads an HTTP-date Retry-After against the injected clock', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    const headers = new Headers({ 'retry-after': new Date(now + 3000).toUTCString() });
    expect(rateLimitWaitMs(headers, 0, now)).toBe(3000);
  });

  it('a wait longer than the limit, or too many 429s, ends in OpsgenieRateLimitedError for the runner', async () => {
    const long = harness([{ status: 429, headers: { 'retry-after': '3600' } }]);
    const error = await listIncidents(long.client, page, long.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsgenieRateLimitedError);
    expect((error as OpsgenieRateLimitedError).retryAfterMs).toBe(3_600_000);
    expect(long.metrics.requests).toBe(1);

    const many = harness(Array.from({ length: 10 }, () => ({ status: 429, headers: { 'retry-after': '1' } })), { maxRateLimitRetries: 2 });
    await expect(listIncidents(many.client, page, many.ctx)).rejects.toBeInstanceOf(OpsgenieRateLimitedError);
    expect(many.metrics.requests).toBe(3);
  });

  it('5xx is retried a bounded number of times, then reported with Opsgenie\'s message', async () => {
    const flaky = harness([{ status: 503 }, { status: 502 }]);
    await expect(listIncidents(flaky.client, page, flaky.ctx)).resolves.toHaveLength(2);
    expect(flaky.waits).toEqual([1000, 2000]);

    const down = harness(Array.from({ length: 10 }, () => ({ status: 500, body: { message: 'Internal error', took: 0, requestId: 'x' } })));
    const error = await listIncidents(down.client, page, down.ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsgenieSourceError);
    expect((error as OpsgenieSourceError).status).toBe(500);
    expect((error as Error).message).toMatch(/500 .*Internal error/);
    expect(down.metrics.requests).toBe(4);
  });

  it('401 is an OpsgenieAuthError at once, never retried', async () => {
    const { client, metrics, ctx } = harness([{ status: 401, body: { message: 'Key is not valid', took: 0, requestId: 'x' } }]);
    const error = await listIncidents(client, page, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpsgenieAuthError);
    expect((error as Error).message).toMatch(/Key is not valid/);
    expect(metrics.requests).toBe(1);
  });

  it('a missing incident is null; other 4xx are errors', async () => {
    const gone = harness([{ status: 404, body: { message: 'Incident not found', took: 0, requestId: 'x' } }]);
    await expect(getIncident(gone.client, 'abc', gone.ctx)).resolves.toBeNull();
    expect(new URL(seen[0]!.url, apiUrl).pathname).toBe('/v1/incidents/abc');
    const bad = harness([{ status: 422, body: { message: 'Invalid query', took: 0, requestId: 'x' } }]);
    await expect(listIncidents(bad.client, page, bad.ctx)).rejects.toThrow(/422 .*Invalid query/);
  });

  it('honours the sync abort signal, before a request and while waiting out a 429', async () => {
    const before = harness([]);
    before.controller.abort();
    await expect(listIncidents(before.client, page, before.ctx)).rejects.toThrow();
    expect(before.metrics.requests).toBe(0);

    // The real sleep: aborting while it waits ends the call instead of waiting 5 minutes.
    const during = harness([{ status: 429, headers: { 'retry-after': '100' } }], { sleep: undefined });
    onRequest = () => during.controller.abort();
    await expect(listIncidents(during.client, page, during.ctx)).rejects.toMatchObject({ name: 'AbortError' });
    expect(during.metrics.requests).toBe(1);
  });

  it('refuses to start without a key', () => {
    expect(() => createOpsgenieClient({ apiKey: '', apiUrl })).toThrow(OpsgenieAuthError);
  });
});
