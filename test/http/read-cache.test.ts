// The read endpoints answer from a cache keyed on the data version (server/http/response-cache.ts):
// every answer must be the one a fresh app (no cache) gives, before and after each write, and
// as the clock moves through an open period.
import { brotliDecompressSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { computeKpis } from '../../server/kpi/engine.js';
import { linearHistory as history } from '../factories.js';
import { createHarness, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams:
  - { id: product, name: Product }
  - { id: payments, name: Payments, parent: product }
  - { id: checkout, name: Checkout, parent: product }
services:
  - id: payments-api
    owners: [{ team: payments }, { team: checkout, from: 2026-11-18 }]
    repositories: [acme/payments-api]
  - { id: cart, owner: checkout, repositories: [acme/cart] }
targets:
  teams: { payments: { change_failure_rate: 10 }, checkout: { change_failure_rate: 20 } }
`;
const start = new Date('2026-11-16T12:00:00Z');
const a = history('acme/payments-api', 1, 'payments-api', [2, 3, 4, 10, 11, 16, 17]);
const b = history('acme/cart', 2, 'cart', [3, 5, 11, 16]);

const URLS = [
  '/api/v1/scorecard?period=week&at=2026-11-16',
  '/api/v1/scorecard?scope=service&id=payments-api&period=week&at=2026-11-16',
  '/api/v1/scorecard?scope=team&id=product&period=month&at=2026-11-16',
  '/api/v1/series?scope=team&id=checkout&period=week&periods=6&at=2026-11-16',
  '/api/v1/kpis/change_failure_rate/series?scope=service&id=payments-api&period=week&periods=4&at=2026-11-30',
  '/api/v1/kpis/deployment_frequency/explain?period=week&at=2026-11-16&limit=3',
  '/api/v1/kpis/lead_time_for_changes/explain?scope=team&id=product&period=month&at=2026-11-16&limit=500',
];

let h: Harness;
let clock = start;
/** One app for the whole file (its cache lives on); a fresh one, cache empty, for each comparison. */
let cached: FastifyInstance;
let fresh: FastifyInstance | undefined;
const appFollowingClock = () => buildApp({ config: h.config, db: h.db, clock: () => new Date(clock.getTime()) });

beforeAll(async () => {
  h = await createHarness({ orgYaml, now: start });
  await ingest([...a.commits, ...b.commits], [...a.deployments.slice(0, 5), ...b.deployments.slice(0, 3)]);
  await computeKpis(h.db, h.config.org, { all: true, now: start });
  cached = await appFollowingClock();
});
afterAll(async () => {
  await fresh?.close();
  await cached?.close();
  await h?.close();
});

async function ingest(commits: unknown[], deployments: unknown[]) {
  for (const [url, payload] of [['/api/v1/commits', commits], ['/api/v1/deployments', deployments]] as const) {
    const res = await h.app.inject({ method: 'POST', url, payload });
    expect(res.statusCode, res.body).toBe(200);
  }
}

async function expectSameAsFresh(when: string) {
  await fresh?.close();
  fresh = await appFollowingClock();
  for (const url of URLS) {
    for (const headers of [{}, { 'accept-encoding': 'gzip, deflate, br, zstd' }]) {
      for (let i = 0; i < 2; i++) {
        const [got, want] = [await cached.inject({ url, headers }), await fresh.inject({ url })];
        expect(got.statusCode, `${when}: ${url}`).toBe(200);
        const body = got.headers['content-encoding'] === 'br' ? brotliDecompressSync(got.rawPayload).toString() : got.body;
        expect(body, `${when}: ${url} ${JSON.stringify(headers)}`).toBe(want.body);
      }
    }
  }
}

it('answers as a fresh app would, before and after every write', async () => {
  await expectSameAsFresh('computed');
  // New records: explain reads them at once, the scorecard once they are computed.
  await ingest([], [...a.deployments.slice(5), ...b.deployments.slice(3)]);
  await expectSameAsFresh('ingested');
  await computeKpis(h.db, h.config.org, { now: start });
  await expectSameAsFresh('recomputed');
  // A write the app never sees coming: a stored value edited by hand.
  await h.db.updateTable('kpi_values').set((eb) => ({ n: eb('n', '+', 1) })).execute();
  await expectSameAsFresh('edited');
});

it('answers as a fresh app would while the clock moves through an open period', async () => {
  // Across payments-api's move to checkout (a new target) and the end of the week.
  for (const at of ['2026-11-17T10:00:00Z', '2026-11-17T10:00:01Z', '2026-11-17T23:30:00Z', '2026-11-22T22:59:59.999Z', '2026-11-22T23:00:00Z', '2026-12-02T00:00:00Z']) {
    clock = new Date(at);
    await expectSameAsFresh(`now ${at}`);
  }
});
