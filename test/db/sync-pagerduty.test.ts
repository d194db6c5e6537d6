// `bellwether sync pagerduty` end to end on a real database: the PagerDuty connector against a
// local server answering like PagerDuty from the recorded incidents (cloned for volume), run
// through the sync runner. Each batch commits with its cursor, so a sync killed between
// batches resumes where it stopped and ends with the same rows as one never interrupted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonValue, Logger } from '../../connectors/contract.js';
import { pagerDutyConnector } from '../../connectors/pagerduty/index.js';
import { FAKE_TOKEN, startFakePagerDuty, type FakePagerDuty } from '../../connectors/pagerduty/testing/fake-pagerduty.js';
import { clonedIncidents } from '../../connectors/pagerduty/testing/recorded.js';
import { recordingSleep } from '../../connectors/pagerduty/testing/context.js';
import { runSync, type SyncProgress } from '../../server/sync/run-sync.js';
import { createHarness, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services:
  - { id: dev-service, owner: eng }
pagerduty:
  services: { PIKL83L: dev-service }
  since: 2026-01-01
`;
const NOW = new Date('2026-11-20T12:00:00Z');
const quiet: Logger = { info: () => {}, warn: () => {}, error: () => {} };
// 1,200 incidents, one every 6 hours from January: windows of at most 100 make a dozen batches.
const INCIDENTS = clonedIncidents(1200, new Date('2026-01-02T00:00:00Z'), 6 * 3_600_000);

let server: FakePagerDuty;
beforeAll(async () => {
  server = await startFakePagerDuty();
  server.add(...INCIDENTS);
});
afterAll(async () => server?.close());

function connector(h: Harness) {
  return pagerDutyConnector({ token: FAKE_TOKEN, baseUrl: server.url, config: h.config.org.pagerduty!, sleep: recordingSleep(), maxIncidentsPerWindow: 100 }) as unknown as Parameters<typeof runSync<unknown>>[2];
}
const sync = (h: Harness, options: { signal?: AbortSignal; onProgress?: (p: SyncProgress) => void } = {}) =>
  runSync(h.db, h.config.org, connector(h), h.config.org.pagerduty, { now: NOW, log: quiet, ...options });
const stored = (h: Harness) =>
  h.db.selectFrom('incidents').select(['external_id', 'service_id', 'severity', 'created_at', 'acknowledged_at', 'resolved_at', 'status_changed_at', 'urgency'])
    .orderBy('external_id').execute();

describe('sync pagerduty', () => {
  let whole: Harness;
  let wholeRows: Awaited<ReturnType<typeof stored>>;
  let wholeRequests: string[];

  beforeAll(async () => {
    whole = await createHarness({ orgYaml, now: NOW });
    const before = server.requests.length;
    const summary = await sync(whole);
    expect(summary).toMatchObject({ status: 'succeeded', records: 1200, inserted: 1200, rejected: 0 });
    wholeRows = await stored(whole);
    wholeRequests = server.requests.slice(before).filter((r) => r.path === '/incidents').map((r) => r.query.toString());
  });
  afterAll(async () => whole?.close());

  it('stores every incident once, with its times, and records the run', async () => {
    expect(wholeRows).toHaveLength(1200);
    // The recorded #6 (resolved 368 s after creation, acknowledged after 10 s) as its first clone.
    const six = wholeRows.find((row) => row.resolved_at !== null)!;
    expect(six.resolved_at!.getTime() - six.created_at.getTime()).toBe(368_000);
    expect(six.acknowledged_at!.getTime() - six.created_at.getTime()).toBe(10_000);
    const runs = await whole.db.selectFrom('sync_runs').selectAll().execute();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ connector: 'pagerduty', status: 'succeeded', records: 1200, inserted: 1200, error: null });
    expect(runs[0]!.batches).toBeGreaterThanOrEqual(12);
    expect(runs[0]!.requests).toBeGreaterThan(0);
    expect(await whole.db.selectFrom('connector_cursors').select(['connector', 'stream']).execute()).toEqual([{ connector: 'pagerduty', stream: 'incidents' }]);
  });

  it('a sync killed between batches resumes there and ends with the same rows, fetching no list page twice', async () => {
    const h = await createHarness({ orgYaml, now: NOW });
    try {
      const abort = new AbortController();
      const before = server.requests.length;
      const killed = await sync(h, { signal: abort.signal, onProgress: (p) => { if (p.batches === 4) abort.abort(new Error('killed')); } });
      expect(killed.status).toBe('failed');
      const afterKill = (await stored(h)).length;
      const { cursor } = await h.db.selectFrom('connector_cursors').select('cursor').executeTakeFirstOrThrow();
      const resumeAt = Date.parse((cursor as { read_until: string }).read_until);
      const killedRequests = server.requests.length;
      expect(afterKill).toBeGreaterThan(0);
      expect(afterKill).toBeLessThan(1200);

      const resumed = await sync(h);
      // The resumed run lists nothing created before where the killed one stopped (PagerDuty's
      // bounds are asked a second wider, as the connector does at every window edge).
      const resumedSince = server.requests.slice(killedRequests).filter((r) => r.path === '/incidents' && r.query.has('since')).map((r) => Date.parse(r.query.get('since')!));
      expect(Math.min(...resumedSince)).toBeGreaterThanOrEqual(resumeAt - 1000);
      expect(resumed.status).toBe('succeeded');
      expect(resumed.inserted).toBe(1200 - afterKill);
      expect(await stored(h)).toEqual(wholeRows);
      // No list page fetched twice, and no more pages than the uninterrupted run (the resumed run
      // plans its own windows from the stored cursor, so they need not be the same ones).
      const made = server.requests.slice(before).filter((r) => r.path === '/incidents').map((r) => r.query.toString());
      expect(new Set(made).size).toBe(made.length);
      expect(made.length).toBeLessThanOrEqual(wholeRequests.length);
    } finally {
      await h.close();
    }
  });

  it('an incremental sync of unchanged incidents writes nothing and re-reads only the overlap', async () => {
    const first = await whole.db.selectFrom('sync_runs').select('requests').executeTakeFirstOrThrow();
    const again = await sync(whole);
    expect(again).toMatchObject({ status: 'succeeded', inserted: 0, updated: 0 });
    // Two thirds of the clones are open (the recorded #4 and #5): they are followed each run;
    // the resolved third is read again only when created in the last 7 days.
    const resolvedAgain = again.records - 800;
    expect(resolvedAgain).toBeGreaterThanOrEqual(0);
    expect(resolvedAgain).toBeLessThanOrEqual(Math.ceil((7 * 4) / 3) + 1);
    expect(again.requests).toBeLessThan(first.requests);
    expect(await stored(whole)).toEqual(wholeRows);
  });

  it('skips a sync while another of the same connector is running', async () => {
    await whole.db.insertInto('sync_runs').values({ connector: 'pagerduty', started_at: new Date(), status: 'running' }).execute();
    try {
      expect((await sync(whole)).status).toBe('skipped');
    } finally {
      await whole.db.deleteFrom('sync_runs').where('status', '=', 'running').execute();
    }
  });

  it('leaves out and counts a record that fails validation, writing the rest', async () => {
    // A connector whose second record names a service bellwether.yaml does not have.
    const h = await createHarness({ orgYaml, now: NOW });
    try {
      const records = wholeRows.slice(0, 2).map((row, i) => ({
        kind: 'incident' as const,
        record: { source: 'pagerduty', external_id: row.external_id, service: i === 1 ? 'ghost' : 'dev-service', severity: row.severity, title: 'x', created_at: row.created_at.toISOString() },
      }));
      const bad = { id: 'pagerduty', streams: () => [{ connector: 'pagerduty', stream: 'incidents' }], async *pull() { yield { records, cursor: { at: 1 } as JsonValue }; } };
      const summary = await runSync(h.db, h.config.org, bad, null, { now: NOW, log: quiet });
      expect(summary).toMatchObject({ status: 'succeeded', records: 2, inserted: 1, rejected: 1 });
      expect((await h.db.selectFrom('sync_runs').select('rejected').executeTakeFirstOrThrow()).rejected).toBe(1);
    } finally {
      await h.close();
    }
  });
});
