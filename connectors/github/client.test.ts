// The client against recorded GitHub answers (@octokit/fixtures: paging Link headers, a 422,
// a renamed repository's 301, an ETag) and against the local fake for what no recording holds:
// 304s to If-None-Match, rate limits (403/429 with x-ratelimit-reset or retry-after), 5xx,
// App installation auth and a GitHub Enterprise base URL. No real time passes: waitUnitMs 1.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, createGitHubClient, RateLimitedError, SourceError, type GitHubClientOptions } from './client.js';
import { FAKE_TOKEN, INSTALLATION_TOKEN, startFakeGitHub, type FakeGitHub } from './testing/fake-github.js';
import { fixtureScenario, replay, type Replay } from './testing/replay-fixtures.js';
import { testContext } from './testing/context.js';

const now = new Date('2026-03-01T10:00:00Z');
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});
async function fake(): Promise<FakeGitHub> {
  const api = await startFakeGitHub();
  closers.push(api.close);
  const repo = api.repository('panjf2000/ants');
  repo.releases.push({ id: 1, tag_name: 'v1.0.0', draft: false, prerelease: false, created_at: '2024-01-01T00:00:00Z', published_at: '2024-01-01T00:00:00Z' });
  return api;
}
async function replaying(scenario: string, options: { asGet?: boolean; only?: string } = {}): Promise<Replay> {
  const entries = fixtureScenario(scenario).filter((entry) => !options.only || entry.method.toUpperCase() === options.only);
  const server = await replay(entries, options);
  closers.push(server.close);
  return server;
}
const client = (baseUrl: string, options: Partial<GitHubClientOptions> = {}) => createGitHubClient({ auth: { token: FAKE_TOKEN }, baseUrl, waitUnitMs: 1, ...options });
const releases = '/repos/panjf2000/ants/releases';

describe('recorded answers (@octokit/fixtures)', () => {
  it('follows Link rel="next" through every page of paginate-issues, counting each request', async () => {
    const server = await replaying('paginate-issues');
    const ctx = testContext(now);
    const issues = await client(server.url).all<{ number: number }>('/repos/octokit-fixture-org/paginate-issues/issues', { per_page: 3 }, ctx);
    expect(issues.map((issue) => issue.number)).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(server.received.map((r) => r.path)).toEqual([
      '/repos/octokit-fixture-org/paginate-issues/issues?per_page=3',
      '/repositories/1000/issues?per_page=3&page=2', '/repositories/1000/issues?per_page=3&page=3', '/repositories/1000/issues?per_page=3&page=4', '/repositories/1000/issues?per_page=3&page=5',
    ]);
    expect(ctx.metrics).toMatchObject({ requests: 5, notModified: 0 });
  });

  it('reads one page with its ETag and whether more follow', async () => {
    const server = await replaying('paginate-issues');
    const page = await client(server.url).page<{ number: number }>('/repos/octokit-fixture-org/paginate-issues/issues', { per_page: 3 }, testContext(now));
    expect(page).toMatchObject({ notModified: false, hasNext: true, etag: '"00000000000000000000000000000000"', totalCount: null });
    expect(page.notModified || page.items.length).toBe(3);
  });

  it('answers a conditional request for an unchanged resource with 304, counted as notModified', async () => {
    const server = await replaying('get-repository');
    const ctx = testContext(now);
    const first = await client(server.url).get<{ full_name: string }>('/repos/octokit-fixture-org/hello-world', {}, ctx);
    expect(first).toMatchObject({ notModified: false, data: { full_name: 'octokit-fixture-org/hello-world' } });
    const again = await client(server.url).get('/repos/octokit-fixture-org/hello-world', {}, ctx, { etag: first.notModified ? undefined : first.etag! });
    expect(again).toEqual({ notModified: true });
    expect(ctx.metrics).toMatchObject({ requests: 2, notModified: 1 });
  });

  it('follows the 301 of a renamed repository, counting both requests', async () => {
    const server = await replaying('rename-repository', { only: 'GET' });
    const ctx = testContext(now);
    const answer = await client(server.url).get<{ id: number; name: string }>('/repos/octokit-fixture-org/rename-repository', {}, ctx);
    expect(answer).toMatchObject({ notModified: false, data: { id: 1000, name: 'rename-repository-newname' } });
    expect(server.received.map((r) => `${r.status} ${r.path}`)).toEqual(['301 /repos/octokit-fixture-org/rename-repository', '200 /repositories/1000']);
    expect(ctx.metrics.requests).toBe(2);
  });

  it('turns the recorded 422 into a SourceError carrying GitHub’s message, without retrying', async () => {
    const server = await replaying('errors', { asGet: true });
    const ctx = testContext(now);
    const error = await client(server.url).get('/repos/octokit-fixture-org/errors/labels', {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 422, request: 'GET /repos/octokit-fixture-org/errors/labels' });
    expect((error as Error).message).toContain('Validation Failed');
    expect(ctx.metrics.requests).toBe(1);
  });
});

describe('rate limits and failures (fake GitHub, canned answers)', () => {
  const primary = (resetInSeconds = 1) => ({
    status: 403,
    headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetInSeconds) },
    body: { message: 'API rate limit exceeded for user ID 1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' },
  });
  const secondary = (status: 403 | 429, retryAfter = '1') => ({
    status,
    headers: { 'retry-after': retryAfter },
    body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
  });

  it.each([
    ['a primary limit (403, x-ratelimit-remaining 0, x-ratelimit-reset)', primary()],
    ['a secondary limit (403, retry-after)', secondary(403)],
    ['a secondary limit (429, retry-after)', secondary(429)],
  ])('waits out %s as GitHub asks, logs it, and goes on', async (_name, answer) => {
    const api = await fake();
    api.respondNext(answer);
    const ctx = testContext(now);
    const page = await client(api.url).page(releases, {}, ctx);
    expect(page.notModified || page.items.length).toBe(1);
    expect(ctx.metrics.requests).toBe(2);
    expect(ctx.logged).toEqual([expect.objectContaining({ level: 'warn', obj: expect.objectContaining({ connector: 'github', retrying: true, attempt: 1 }) })]);
  });

  it('gives up after the allowed retries with a RateLimitedError saying how long to wait', async () => {
    const api = await fake();
    api.respondNext(secondary(429, '7'), secondary(429, '7'), secondary(429, '7'));
    const ctx = testContext(now);
    const error = await client(api.url, { rateLimitRetries: 2 }).page(releases, {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(ctx.metrics.requests).toBe(3);
    expect(ctx.logged.map((l) => (l.obj as { retrying: boolean }).retrying)).toEqual([true, true, false]);
  });

  it('does not wait longer than allowed: the next sync resumes from the cursor instead', async () => {
    const api = await fake();
    api.respondNext(primary(3600));
    const ctx = testContext(now);
    const error = await client(api.url, { maxRateLimitWaitSeconds: 60 }).page(releases, {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBeGreaterThan(3_500_000);
    expect(ctx.metrics.requests).toBe(1);
  });

  it('retries a 5xx, and fails clearly when it persists', async () => {
    const api = await fake();
    api.respondNext({ status: 502, body: { message: 'Server Error' } });
    const ctx = testContext(now);
    await client(api.url).page(releases, {}, ctx);
    expect(ctx.metrics.requests).toBe(2);

    api.respondNext(...Array(4).fill({ status: 500, body: { message: 'Server Error' } }));
    const failing = testContext(now);
    const error = await client(api.url, { retries: 3 }).page(releases, {}, failing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ status: 500 });
    expect(failing.metrics.requests).toBe(4);
  });

  it.each([
    ['401', { status: 401, body: { message: 'Bad credentials' } }, AuthError],
    ['403 without a rate limit', { status: 403, body: { message: 'Resource not accessible by integration' } }, AuthError],
    ['404', { status: 404, body: { message: 'Not Found' } }, SourceError],
  ])('does not retry a %s', async (_name, answer, type) => {
    const api = await fake();
    api.respondNext(answer);
    const ctx = testContext(now);
    const error = await client(api.url).page(releases, {}, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(ctx.metrics.requests).toBe(1);
  });

  it('stops when the sync is aborted', async () => {
    const api = await fake();
    const controller = new AbortController();
    controller.abort(new Error('shutting down'));
    const ctx = testContext(now, { signal: controller.signal });
    await expect(client(api.url).page(releases, {}, ctx)).rejects.toThrow('shutting down');
    expect(api.requests).toEqual([]);
  });
});

describe('authentication and base URL', () => {
  it('sends a personal access token', async () => {
    const api = await fake();
    await client(api.url).page(releases, {}, testContext(now));
    expect(api.requests[0]).toMatchObject({ authorization: `token ${FAKE_TOKEN}`, path: releases });
  });

  it('authenticates as a GitHub App installation: a token exchange signed with the App key, then the installation token', async () => {
    const api = await fake();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const app = client(api.url, { auth: { appId: 42, privateKey, installationId: 7 } });
    const ctx = testContext(now);
    await app.page(releases, {}, ctx);
    await app.page(releases, {}, ctx);
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.authorization?.split(' ')[0]}`)).toEqual([
      'POST /app/installations/7/access_tokens bearer', `GET ${releases} token`, `GET ${releases} token`,
    ]);
    expect(api.requests[1]!.authorization).toBe(`token ${INSTALLATION_TOKEN}`);
    // The exchange is a request too; the token is kept for the next ones.
    expect(ctx.metrics.requests).toBe(3);
  });

  it('reaches GitHub Enterprise Server under /api/v3', async () => {
    const api = await fake();
    const page = await client(`${api.url}/api/v3/`).page(releases, {}, testContext(now));
    expect(page.notModified || page.items.length).toBe(1);
  });
});
