// The benchmark's service harness end to end on a small organisation: a real `bellwether serve`
// process on the bench database, on the bench's fixed clock, ingests the generated batches
// through the push API, runs the full and the incremental recompute as compute jobs (with the
// same cells and values as the engine in-process), and serves the API load with real requests
// against full-sized answers.
import { readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { NormalizedRecord } from '../connectors/contract.js';
import { parseOrgConfig } from '../server/config.js';
import { ingestRecords } from '../server/ingest/ingest.js';
import { computeKpis } from '../server/kpi/engine.js';
import { syncOrg } from '../server/org/sync-org.js';
import { kpiValues } from '../test/harness.js';
import { measureApiLoad } from './api-load.js';
import { createBenchDatabase } from './database.js';
import { expectedCounts, generateBatches, generateExtraWeek, orgYaml } from './generate.js';
import { PROFILES, type Profile } from './profiles.js';
import { pushNdjson, toNdjson } from './push.js';
import { startService, withoutScheduledCompute, type RunningService } from './service.js';

const NOW = new Date('2026-11-16T00:00:00Z');
const WEEK_LATER = new Date(NOW.getTime() + 7 * 24 * 3600e3);
/** org-S's shape, small: 3 teams, 4 services, 8 weeks; 2026 Q4 up to NOW holds about 1,000 changes. */
const SMALL: Profile = {
  ...PROFILES['org-S'],
  groups: 1,
  teamsPerGroup: 2,
  services: 4,
  weeks: 8,
  history: { deployments: 240, commits: 1_200, pullRequests: 240, incidents: 24, ciRuns: 600 },
  extraWeek: { deployments: 10, commits: 50, pullRequests: 10, incidents: 2, ciRuns: 25 },
};

async function push(service: RunningService, batches: Iterable<NormalizedRecord[]>) {
  let received = 0;
  let inserted = 0;
  for (const batch of batches) {
    const counts = await pushNdjson(service.url, toNdjson(batch));
    received += counts.received;
    inserted += counts.inserted;
  }
  return { received, inserted };
}

it('ingests, computes and serves the bench database in a separate process', async () => {
  const yaml = orgYaml(SMALL);
  const database = await createBenchDatabase(process.env.DATABASE_URL, 'service');
  const reference = await createBenchDatabase(process.env.DATABASE_URL, 'reference');
  try {
    const { ingested, full, incremental, load, peakRssMb, pidIsNode, spans } = await database.lend(async () => {
      const service = await startService({ databaseUrl: database.url, dataDir: database.dataDir, orgYaml: withoutScheduledCompute(yaml), now: NOW });
      try {
        const pidIsNode = readlinkSync(`/proc/${service.pid}/exe`) === process.execPath;
        const ingested = await push(service, generateBatches(SMALL, { now: NOW, batchSize: 500 }));
        const full = await service.compute({ all: true });
        await push(service, generateExtraWeek(SMALL, { now: NOW }));
        const incremental = await service.compute({ now: WEEK_LATER });
        const load = await measureApiLoad(service.url, {
          team: 'area-1', kpi: 'lead_time_for_changes', at: '2026-11-09', explainPeriod: 'quarter', durationSec: 1, connections: 2,
        });
        return { ingested, full, incremental, load, peakRssMb: service.peakRssMb(), pidIsNode, spans: service.computeSpans() };
      } finally {
        await service.stop();
      }
    });

    expect(pidIsNode).toBe(true);
    expect(peakRssMb).toBeGreaterThan(50);
    const expected = expectedCounts(SMALL);
    const total = Object.values(expected.history).reduce((a, b) => a + b, 0);
    expect(ingested).toEqual({ received: total, inserted: total });

    // The boot compute (on the empty database, before anything was pushed), then the bench's two jobs, on the fixed clock.
    const runs = await database.db.selectFrom('job_runs').select(['id', 'job', 'status', 'started_at', 'finished_at', 'cells_recomputed']).orderBy('id').execute();
    expect(runs.map(({ id: _, ...run }) => run)).toEqual([
      { job: 'compute', status: 'succeeded', started_at: NOW, finished_at: NOW, cells_recomputed: 0 },
      { job: 'compute-all', status: 'succeeded', started_at: NOW, finished_at: NOW, cells_recomputed: full.cells },
      { job: 'compute', status: 'succeeded', started_at: WEEK_LATER, finished_at: WEEK_LATER, cells_recomputed: incremental.cells },
    ]);
    expect([full.id, incremental.id]).toEqual([runs[1]!.id, runs[2]!.id]);
    expect(full).toMatchObject({ job: 'compute-all', status: 'succeeded' });
    expect(full.ms).toBeGreaterThan(0);
    expect(full.wall_ms).toBeGreaterThanOrEqual(full.ms);
    expect(incremental.cells).toBeGreaterThan(0);
    expect(incremental.cells).toBeLessThan(full.cells);
    expect(spans.map((span) => span.jobRun)).toEqual(runs.map((run) => run.id));

    // The engine in-process on the same records, as the bench ran it before: the same cells and values.
    const org = parseOrgConfig(yaml, 'small.yaml');
    await syncOrg(reference.db, org);
    for (const batch of generateBatches(SMALL, { now: NOW })) await ingestRecords(reference.db, org, batch);
    const referenceFull = await computeKpis(reference.db, org, { all: true, now: NOW });
    for (const batch of generateExtraWeek(SMALL, { now: NOW })) await ingestRecords(reference.db, org, batch);
    const referenceIncremental = await computeKpis(reference.db, org, { now: WEEK_LATER });
    expect([full.cells, incremental.cells]).toEqual([referenceFull.cells, referenceIncremental.cells]);
    expect(await kpiValues(database.db)).toEqual(await kpiValues(reference.db));

    for (const endpoint of [load.scorecard, load.trend, load.explain]) {
      expect(endpoint.requests).toBeGreaterThan(0);
      expect(endpoint.non2xx).toBe(0);
      expect(endpoint.errors).toBe(0);
      expect(endpoint.p50_ms).toBeGreaterThan(0);
      expect(endpoint.p95_ms).toBeGreaterThanOrEqual(endpoint.p50_ms);
      expect(endpoint.p99_ms).toBeGreaterThanOrEqual(endpoint.p95_ms);
      expect(endpoint.rps).toBeGreaterThan(0);
      expect(endpoint.bytes_per_request).toBeGreaterThan(0);
    }
    expect(load.trend.periods).toBe(52);
    expect(load.explain.rows).toBe(500);
    expect(load.explain.population).toBeGreaterThanOrEqual(500);
    // The API compresses for clients that ask (as browsers do); the first-screen budget counts on it.
    expect(load.scorecard.content_encoding).not.toBeNull();
    expect(load.explain.content_encoding).not.toBeNull();
  } finally {
    await database.close();
    await reference.close();
  }
}, 180_000);
