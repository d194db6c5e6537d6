// The dashboard is served from the same origin as the API: files from the build, index.html
// for every client-side route, hashed assets cached for good, a clear page when not built.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Acme, time_zone: UTC }
teams: [{ id: payments, name: Payments }]
services: [{ id: api, owner: payments }]
`;
const now = new Date('2026-11-20T12:00:00Z');
const indexHtml = '<!doctype html><title>Bellwether</title><script type="module" src="/assets/index-abc123.js"></script>';
const script = `console.log(${JSON.stringify('x'.repeat(4000))});`;

describe('a built dashboard', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bellwether-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), indexHtml);
    writeFileSync(join(dir, 'assets', 'index-abc123.js'), script);
    h = await createHarness({ orgYaml, now, apiToken: 's3cret', webDir: dir });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every client-side route with index.html, revalidated on each load, without a token', async () => {
    for (const url of ['/', '/teams/payments', '/services/api', '/explain/lead_time_for_changes?scope=team&id=payments', '/reports', '/reports/2026-10?print=1']) {
      const res = await h.app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(indexHtml);
    }
  });

  it('serves hashed assets with a long cache, compressed when the client accepts it', async () => {
    const res = await h.app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(res.rawPayload).toString()).toBe(script);
  });

  it('compresses API JSON too', async () => {
    const res = await h.app.inject({ url: '/api/v1/kpis', headers: { authorization: 'Bearer s3cret', 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(res.rawPayload).toString()).kpis.length).toBeGreaterThan(0);
  });

  it('keeps unknown paths a JSON 404 and the API behind its token', async () => {
    for (const url of ['/nope', '/assets/missing.js', '/teams', '/api/v1/nope']) {
      const res = await h.app.inject({ url, headers: { authorization: 'Bearer s3cret' } });
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await h.app.inject({ url: '/api/v1/scorecard' })).statusCode).toBe(401);
  });

  it('does not serve files outside the build', async () => {
    const res = await h.app.inject({ url: '/../package.json' });
    expect(res.statusCode).toBe(404);
    const encoded = await h.app.inject({ url: '/assets/..%2f..%2fpackage.json' });
    expect([403, 404]).toContain(encoded.statusCode);
  });
});

describe('an unbuilt dashboard', () => {
  it('explains how to build it instead of a bare 404, and the API still works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bellwether-noweb-'));
    const h = await createHarness({ orgYaml, now, webDir: dir });
    try {
      const res = await h.app.inject({ url: '/teams/payments' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('npm run build');
      expect((await h.app.inject({ url: '/api/v1/scorecard' })).statusCode).toBe(200);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
