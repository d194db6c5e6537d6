// The REST client against a local server that answers like PagerDuty (testing/fake-pagerduty.ts):
// headers, retries PagerDuty asks for, and errors that say which request failed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, createPagerDutyClient, RateLimitedError, retryDelayMs, SourceError } from './client.js';
import { FAKE_TOKEN, startFakePagerDuty, type FakePagerDuty } from './testing/fake-pagerduty.js';
import { recordedIncidents } from './testing/recorded.js';
import { recordingSleep, testContext } from './testing/context.js';

let api: FakePagerDuty;
beforeAll(async () => {
  api = await startFakePagerDuty();
  api.add(...recordedIncidents());
});
afterAll(() => api.close());

const now = new Date('2022-12-01T00:00:00Z');
const incidentPath = '/incidents/Q1OHFWFP3GPXOG';
const client = (options: { maxAttempts?: number; token?: string } = {}) => {
  const sleep = recordingSleep();
  return { sleep, client: createPagerDutyClient({ token: options.token ?? FAKE_TOKEN, baseUrl: api.url, sleep, ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}) }) };
};

describe('PagerDuty client', () => {
  it('authenticates with the token, asks for version 2 and counts the request', async () => {
    const { client: pd } = client();
    const ctx = testContext(now);
    const { incident } = await pd.get<{ incident: { id: string } }>(incidentPath, {}, ctx);
    expect(incident.id).toBe('Q1OHFWFP3GPXOG');
    expect(ctx.metrics.requests).toBe(1);
  });

  it('sends arrays as repeated key[]=value', async () => {
    const { client: pd } = client();
    const { incidents } = await pd.get<{ incidents: unknown[] }>('/incidents', { since: '2022-11-01T00:00:00Z', until: '2022-12-01T00:00:00Z', service_ids: ['PIKL83L', 'PNONE'], statuses: ['resolved'] }, testContext(now));
    expect(incidents).toHaveLength(1);
    expect(api.requests.at(-1)!.query.getAll('service_ids[]')).toEqual(['PIKL83L', 'PNONE']);
  });

  it('waits as long as ratelimit-reset says after a 429, then succeeds', async () => {
    const { client: pd, sleep } = client();
    const ctx = testContext(now);
    api.respondNext({ status: 429, headers: { 'ratelimit-limit': '960', 'ratelimit-remaining': '0', 'ratelimit-reset': '7' }, body: { error: { message: 'Rate Limit Exceeded', code: 2020 } } });
    await expect(pd.get(incidentPath, {}, ctx)).resolves.toMatchObject({ incident: { id: 'Q1OHFWFP3GPXOG' } });
    expect(sleep.waits).toEqual([7000]);
    expect(ctx.metrics.requests).toBe(2);
  });

  it('falls back to retry-after, in seconds or as an HTTP date', async () => {
    const { client: pd, sleep } = client();
    api.respondNext(
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 429, headers: { 'retry-after': 'Thu, 01 Dec 2022 00:00:05 GMT', date: 'Thu, 01 Dec 2022 00:00:01 GMT' } },
    );
    await pd.get(incidentPath, {}, testContext(now));
    expect(sleep.waits).toEqual([3000, 4000]);
  });

  it('gives up on a 429 that does not end, with a RateLimitedError', async () => {
    const { client: pd, sleep } = client({ maxAttempts: 3 });
    const ctx = testContext(now);
    api.respondNext(...Array.from({ length: 3 }, () => ({ status: 429, headers: { 'ratelimit-reset': '30' } })));
    const error = await pd.get(incidentPath, {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as Error).message).toBe(`GET ${incidentPath}: still rate limited (429) after 3 attempts`);
    expect(sleep.waits).toEqual([30_000, 30_000]);
    expect(ctx.metrics.requests).toBe(3);
  });

  it('retries a 503 with backoff', async () => {
    const { client: pd, sleep } = client();
    api.respondNext({ status: 503 }, { status: 502 });
    await expect(pd.get(incidentPath, {}, testContext(now))).resolves.toBeTruthy();
    expect(sleep.waits).toEqual([1000, 2000]);
  });

  it('fails clearly on a persistent 500, after a bounded number of attempts', async () => {
    const { client: pd, sleep } = client();
    const ctx = testContext(now);
    api.respondNext(...Array.from({ length: 5 }, () => ({ status: 500, body: { error: { message: 'Internal Server Error', code: 5000 } } })));
    const error = await pd.get(incidentPath, { time_zone: 'UTC' }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toBe(`GET ${incidentPath}?time_zone=UTC: PagerDuty answered 500 Internal Server Error 5 times: Internal Server Error [code 5000]`);
    expect(sleep.waits).toEqual([1000, 2000, 4000, 8000]);
    expect(ctx.metrics.requests).toBe(5);
  });

  it('does not retry a 400, and names the request and PagerDuty’s reason', async () => {
    const { client: pd, sleep } = client();
    const ctx = testContext(now);
    const error = await pd.get('/incidents', { since: '2022-01-01T00:00:00Z', until: '2022-12-01T00:00:00Z' }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).status).toBe(400);
    expect((error as Error).message).toBe(
      'GET /incidents?since=2022-01-01T00:00:00Z&until=2022-12-01T00:00:00Z: PagerDuty answered 400 Bad Request: Invalid Input Provided [code 2001] (Date range cannot exceed 6 months)',
    );
    expect(sleep.waits).toEqual([]);
    expect(ctx.metrics.requests).toBe(1);
  });

  it('reports a wrong token as an AuthError', async () => {
    const { client: pd } = client({ token: 'wrong' });
    await expect(pd.get(incidentPath, {}, testContext(now))).rejects.toBeInstanceOf(AuthError);
  });

  it('makes no request once the sync is aborted, and stops waiting when aborted during a wait', async () => {
    const { client: pd } = client();
    const aborted = new AbortController();
    aborted.abort();
    const ctx = testContext(now, { signal: aborted.signal });
    await expect(pd.get(incidentPath, {}, ctx)).rejects.toThrow(/abort/i);
    expect(ctx.metrics.requests).toBe(0);

    const during = new AbortController();
    const abortingSleep = createPagerDutyClient({ token: FAKE_TOKEN, baseUrl: api.url, sleep: async (_ms, signal) => { during.abort(); signal.throwIfAborted(); } });
    api.respondNext({ status: 429, headers: { 'ratelimit-reset': '60' } });
    await expect(abortingSleep.get(incidentPath, {}, testContext(now, { signal: during.signal }))).rejects.toThrow(/abort/i);
  });

  it('fails clearly when PagerDuty cannot be reached', async () => {
    const sleep = recordingSleep();
    const unreachable = createPagerDutyClient({ token: FAKE_TOKEN, baseUrl: 'http://127.0.0.1:1', sleep, maxAttempts: 2 });
    await expect(unreachable.get(incidentPath, {}, testContext(now))).rejects.toThrow(`GET ${incidentPath}: PagerDuty could not be reached in 2 attempts`);
    expect(sleep.waits).toEqual([1000]);
  });
});

describe('retryDelayMs', () => {
  it.each<[Record<string, string>, number | null]>([
    [{ 'ratelimit-reset': '12' }, 12_000],
    [{ 'ratelimit-reset': '0.5', 'retry-after': '9' }, 500],
    [{ 'retry-after': '9' }, 9_000],
    [{ 'retry-after': 'soon' }, null],
    [{}, null],
  ])('%j → %s', (headers, expected) => {
    expect(retryDelayMs(new Headers(headers))).toBe(expected);
  });
});
