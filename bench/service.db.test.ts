// The benchmark's load harness end to end on a small organisation: the bench database is
// lent to a real `bellwether serve` process, which must be done with its boot compute before
// the load starts, and the API load must report real requests against full-sized answers.
import { readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseOrgConfig } from '../server/config.js';
import { ingestRecords } from '../server/ingest/ingest.js';
import { computeKpis } from '../server/kpi/engine.js';
import { syncOrg } from '../server/org/sync-org.js';
import { measureApiLoad } from './api-load.js';
import { createBenchDatabase } from './database.js';
import { generateBatches, orgYaml } from './generate.js';
import { PROFILES, type Profile } from './profiles.js';
import { startService } from './service.js';

const NOW = new Date('2026-11-16T00:00:00Z');
/** org-S's shape, small: 3 teams, 4 services, 8 weeks; 2026 Q4 up to NOW holds about 1,000 changes. */
const SMALL: Profile = {
  ...PROFILES['org-S'],
  groups: 1,
  teamsPerGroup: 2,
  services: 4,
  weeks: 8,
  history: { deployments: 240, commits: 1_200, pullRequests: 240, incidents: 24 },
  extraWeek: { deployments: 10, commits: 50, pullRequests: 10, incidents: 2 },
};

it('serves the bench database from a separate process and loads its API', async () => {
  const yaml = orgYaml(SMALL);
  const org = parseOrgConfig(yaml, 'small.yaml');
  const database = await createBenchDatabase(process.env.DATABASE_URL, 'service');
  try {
    await syncOrg(database.db, org);
    for (const batch of generateBatches(SMALL, { now: NOW })) await ingestRecords(database.db, org, batch);
    await computeKpis(database.db, org, { all: true, now: NOW });

    const { load, loadStartedAt, peakRssMb, pidIsNode } = await database.lend(async () => {
      const service = await startService({ databaseUrl: database.url, dataDir: database.dataDir, orgYaml: yaml });
      try {
        const pidIsNode = readlinkSync(`/proc/${service.pid}/exe`) === process.execPath;
        const loadStartedAt = new Date();
        const load = await measureApiLoad(service.url, {
          team: 'area-1', kpi: 'lead_time_for_changes', at: '2026-11-09', explainPeriod: 'quarter', durationSec: 1, connections: 2,
        });
        return { load, loadStartedAt, peakRssMb: service.peakRssMb(), pidIsNode };
      } finally {
        await service.stop();
      }
    });

    expect(pidIsNode).toBe(true);
    expect(peakRssMb).toBeGreaterThan(50);
    // Ready waited for the boot compute: its job_runs row was finished before the load began.
    const runs = await database.db.selectFrom('job_runs').select(['job', 'status', 'finished_at']).orderBy('id').execute();
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs[0]).toMatchObject({ job: 'compute', status: 'succeeded' });
    expect(runs[0]!.finished_at!.getTime()).toBeLessThan(loadStartedAt.getTime());

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
  }
}, 120_000);
