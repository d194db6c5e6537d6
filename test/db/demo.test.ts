// The demo organisation never mixes with real data: once an organisation file is configured,
// everything seeded for the demo (records, facts, KPI values, issued reports) is removed.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfigFile } from '../../server/config.js';
import { removeDemoDataIfConfigured, seedDemo } from '../../server/demo/seed.js';
import { fixedClock } from '../../server/lib/clock.js';
import { isDemo } from '../../server/org/settings.js';
import { snapshotClosedMonth } from '../../server/reports/snapshots.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const now = new Date('2026-11-20T12:00:00Z');
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ orgYaml: readFileSync(demoConfigFile(), 'utf8'), now });
});
afterAll(async () => h?.close());

describe('demo data', () => {
  it('is seeded through ingest, computed and marked demo; an organisation file removes all of it', async () => {
    await seedDemo(h.db, { ...h.config, orgSource: 'demo' }, fixedClock(now), { weeks: 8 });
    expect(await snapshotClosedMonth(h.db, h.config.org, now)).toMatchObject({ month: '2026-10', version: 1 });
    const seeded = await tableCounts(h.db);
    for (const table of ['deployments', 'commits', 'pull_requests', 'incidents', 'kpi_values', 'report_snapshots'] as const) expect(seeded[table], table).toBeGreaterThan(0);
    expect(await isDemo(h.db)).toBe(true);

    await removeDemoDataIfConfigured(h.db, { ...h.config, orgSource: 'file' }, quiet);
    const after = await tableCounts(h.db);
    for (const table of ['deployments', 'commits', 'pull_requests', 'incidents', 'deployment_facts', 'deployment_changes', 'kpi_values', 'dirty_periods', 'report_snapshots'] as const) {
      expect(after[table], table).toBe(0);
    }
    expect(after.teams).toBe(seeded.teams); // the organisation itself stays
    expect(await isDemo(h.db)).toBe(false);
  });
});
