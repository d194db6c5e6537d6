// The Four Keys baseline (bench/four-keys.ts) on a small generated organisation ingested
// through the product: its events carry the same deployments and changes, its panels read
// them back, and the lead-time gate passes on agreement and fails on a single lost change.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommitRecord, DeploymentRecord } from '../connectors/contract.js';
import { parseOrgConfig } from '../server/config.js';
import { derivePending } from '../server/derive/rederive.js';
import { ingestRecords } from '../server/ingest/ingest.js';
import { syncOrg } from '../server/org/sync-org.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';
import { expectedCounts, generateBatches, generateExtraWeek, orgYaml, type Shipment } from './generate.js';
import {
  fourKeysEvents, leadTimeCorrectness, loadFourKeysEvents, measureDashboardBaseline, queryDeploymentsPerWeek, queryLeadTimePerDay,
} from './four-keys.js';
import type { Profile } from './profiles.js';

// A Monday 00:00 UTC, as in bench/run.ts.
const NOW = new Date('2026-11-16T00:00:00Z');
const WEEK = 7 * 24 * 3600e3;
/** org-S's shape at a fraction of its size: 4 services, 8 weeks, ~3k records, plus an extra week. */
const profile: Profile = {
  name: 'org-S',
  groups: 1,
  teamsPerGroup: 2,
  services: 4,
  weeks: 8,
  history: { deployments: 400, commits: 2_000, pullRequests: 400, incidents: 40, ciRuns: 1_000 },
  extraWeek: { deployments: 40, commits: 200, pullRequests: 40, incidents: 4, ciRuns: 100 },
};
const range = { from: new Date(NOW.getTime() - profile.weeks * WEEK), to: new Date(NOW.getTime() + WEEK) };

describe('fourKeysEvents', () => {
  const commit = (sha: string, authoredAt: string): CommitRecord => ({
    repository: 'bench/svc-001', sha, parents: [], authored_at: authoredAt, committed_at: authoredAt, author: 'Ava Okafor', message: `commit ${sha}`,
  });
  const deployment = (status: 'success' | 'failure', environment: string): DeploymentRecord => ({
    source: 'bench-ci', external_id: 'svc-001-7', service: 'svc-001', environment, status,
    started_at: '2026-03-02T09:50:00.000Z', finished_at: '2026-03-02T10:00:00.000Z', commit_sha: 'b'.repeat(40), ref: 'main',
  });

  it('sends a push with the shipped commits, keyed by the deployed sha, then the deployment status', () => {
    const shipment: Shipment = {
      deployment: deployment('success', 'production'), repository: 'bench/svc-001', previousSha: 'f'.repeat(40),
      commits: [commit('a'.repeat(40), '2026-03-01T08:00:00.123Z'), commit('b'.repeat(40), '2026-03-01T09:00:00.456Z')],
    };
    const [push, status, ...rest] = fourKeysEvents(shipment, 41);
    expect(rest).toEqual([]);
    expect(push).toMatchObject({ source: 'github', event_type: 'push', id: 'b'.repeat(40), time_created: '2026-03-01T09:00:00.456Z', msg_id: '41' });
    const pushed = JSON.parse(push!.metadata);
    expect(pushed).toMatchObject({ before: 'f'.repeat(40), after: 'b'.repeat(40), head_commit: { id: 'b'.repeat(40) } });
    expect(pushed.commits.map((c: { id: string; timestamp: string }) => [c.id, c.timestamp])).toEqual([
      ['a'.repeat(40), '2026-03-01T08:00:00.123Z'], ['b'.repeat(40), '2026-03-01T09:00:00.456Z'],
    ]);
    expect(push!.signature).toMatch(/^sha1=[0-9a-f]{40}$/);
    expect(status).toMatchObject({ event_type: 'deployment_status', id: 'svc-001-7', time_created: '2026-03-02T10:00:00.000Z', msg_id: '42' });
    expect(JSON.parse(status!.metadata)).toMatchObject({
      deployment_status: { state: 'success', environment: 'production' }, deployment: { sha: 'b'.repeat(40) },
    });
  });

  it('sends only the status for a deployment that ships nothing', () => {
    for (const [status, environment] of [['failure', 'production'], ['success', 'staging']] as const) {
      const events = fourKeysEvents({ deployment: deployment(status, environment), repository: 'bench/svc-001', previousSha: null, commits: null }, 1);
      expect(events.map((e) => e.event_type)).toEqual(['deployment_status']);
      expect(JSON.parse(events[0]!.metadata).deployment_status).toMatchObject({ state: status, environment });
    }
  });
});

describe('Four Keys baseline', () => {
  let database: BenchDatabase;
  let events = 0;

  beforeAll(async () => {
    database = await createBenchDatabase(process.env.DATABASE_URL, 'four_keys');
    const org = parseOrgConfig(orgYaml(profile), 'four-keys-test.yaml');
    await syncOrg(database.db, org);
    for (const batch of generateBatches(profile, { now: NOW })) await ingestRecords(database.db, org, batch);
    for (const batch of generateExtraWeek(profile, { now: NOW })) await ingestRecords(database.db, org, batch);
    await database.db.transaction().execute((trx) => derivePending(trx, org)); // as the next compute would
    ({ events } = await loadFourKeysEvents(database, profile, { now: NOW, extraWeek: true }));
  });
  afterAll(() => database?.close());

  it('holds a status for every deployment and a push for every successful production one', async () => {
    const { history, extraWeek } = expectedCounts(profile);
    const { rows } = await sql<{ event_type: string; n: number }>`
      select event_type, count(*)::int as n from four_keys.events_raw group by 1 order by 1`.execute(database.db);
    const production = await database.db.selectFrom('deployments').select((eb) => eb.fn.countAll<number>().as('n')).where('is_production', '=', true).executeTakeFirstOrThrow();
    expect(rows).toEqual([
      { event_type: 'deployment_status', n: history.deployment + extraWeek.deployment },
      { event_type: 'push', n: Number(production.n) },
    ]);
    expect(events).toBe(history.deployment + extraWeek.deployment + Number(production.n));
  });

  it('counts the production deployments per week, extra week included', async () => {
    const weeks = await queryDeploymentsPerWeek(database.db, range);
    expect(weeks).toHaveLength(profile.weeks + 1);
    expect(weeks[0]!.week).toBe(range.from.toISOString().slice(0, 10));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from deployments where is_production`.execute(database.db);
    expect(weeks.reduce((sum, week) => sum + week.deployments, 0)).toBe(rows[0]!.n);
  });

  it('measures the panels on every request', async () => {
    const measured = await measureDashboardBaseline(database, { ...range, repeats: 2 });
    expect(measured.rows).toEqual({ leadTimeDays: (await queryLeadTimePerDay(database.db, range)).length, deploymentWeeks: profile.weeks + 1 });
    expect(measured.rows.leadTimeDays).toBeGreaterThan(profile.weeks * 4);
    expect(measured.ms.p95).toBeGreaterThanOrEqual(measured.ms.median);
  });

  it('agrees with our daily median lead time on the same changes', async () => {
    const result = await leadTimeCorrectness(database, range);
    expect(result.mismatches).toEqual([]);
    expect(result.matches).toBe(true);
    expect(result.days).toBeGreaterThan(profile.weeks * 4);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from deployment_changes`.execute(database.db);
    expect(result.changes).toEqual({ ours: rows[0]!.n, baseline: rows[0]!.n });
  });

  // Last: it edits the events.
  it('fails when the baseline loses one change', async () => {
    await sql`
      update four_keys.events_raw set metadata = jsonb_set(metadata, '{commits}', (metadata -> 'commits') - 0)
      where msg_id = (
        select msg_id from four_keys.events_raw
        where event_type = 'push' and jsonb_array_length(metadata -> 'commits') >= 2
        order by time_created limit 1)`.execute(database.db);
    const result = await leadTimeCorrectness(database, range);
    expect(result.matches).toBe(false);
    expect(result.changes.baseline).toBe(result.changes.ours - 1);
    expect(result.mismatches).toHaveLength(1);
    expect(result.mismatches[0]!.changes.baseline).toBe(result.mismatches[0]!.changes.ours - 1);
  });
});
