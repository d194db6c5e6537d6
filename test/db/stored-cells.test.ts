// A recompute writes only the cells whose content changed (server/kpi/stored-cells.ts): a
// cell computed the same is left as it was (same row version, same computed_at), a changed
// one is rewritten, and a cell no record falls in any more is deleted. Whatever was skipped,
// the stored cells equal those of a recompute into an empty table.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfigFile } from '../../server/config.js';
import { seedDemo } from '../../server/demo/seed.js';
import type { Db } from '../../server/db/database.js';
import { ingestRecords } from '../../server/ingest/ingest.js';
import { computeKpis } from '../../server/kpi/engine.js';
import type { PeriodType } from '../../server/kpi/keys.js';
import { StoredCells, type CellRow } from '../../server/kpi/stored-cells.js';
import { fixedClock } from '../../server/lib/clock.js';
import { createHarness, kpiValues, normalized, type Harness } from '../harness.js';

const now = new Date('2026-11-20T12:00:00Z');
const dayLater = new Date(now.getTime() + 24 * 3600e3);

/** Each stored cell's row version, computed_at and content, by its key. */
async function storedRows(db: Db) {
  const { rows } = await sql<{ key: string; version: string; computed_at: Date; content: string }>`
    select concat_ws('|', kpi_key, scope_type, scope_id, period_type, period_start) as key, xmin::text as version, computed_at,
      concat_ws('|', value, n, details::text) as content
    from kpi_values`.execute(db);
  return new Map(rows.map((row) => [row.key, row]));
}

/** What a full recompute into an empty kpi_values stores (equal content: it replaces the cells). */
async function recomputedFromEmpty(h: Harness, at: Date) {
  await h.db.deleteFrom('kpi_values').execute();
  await computeKpis(h.db, h.config.org, { all: true, now: at });
  return kpiValues(h.db);
}

describe('a recompute over the demo organisation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ orgYaml: readFileSync(demoConfigFile(), 'utf8'), now });
    await seedDemo(h.db, { ...h.config, orgSource: 'demo' }, fixedClock(now), { weeks: 12 });
    await computeKpis(h.db, h.config.org, { all: true, now });
  });
  afterAll(async () => h?.close());

  it('rewrites no cell when nothing changed', async () => {
    const before = await storedRows(h.db);
    expect(before.size).toBeGreaterThan(1000);
    const run = await computeKpis(h.db, h.config.org, { all: true, now });
    expect(run.cells).toBe(before.size);
    expect(await storedRows(h.db)).toEqual(before);
  });

  it('reads every stored cell back, each one unchanged against its own content', async () => {
    const { rows } = await sql<{ kpi_key: string; period_type: PeriodType; scope_type: string; scope_id: string; period_start: string; value: number | null; n: number; details: string }>`
      select kpi_key, period_type, scope_type, scope_id, period_start::text as period_start, value, n, details::text as details from kpi_values`.execute(h.db);
    const groups = new Map<string, CellRow[]>();
    for (const row of rows) {
      const key = `${row.kpi_key} ${row.period_type}`;
      groups.set(key, [...(groups.get(key) ?? []), { scopeType: row.scope_type, scopeId: row.scope_id, periodStart: row.period_start, value: row.value, n: row.n, details: JSON.parse(row.details) as Record<string, unknown> }]);
    }
    await h.db.transaction().execute(async (trx) => {
      const stored = await StoredCells.load(trx, 'all');
      expect(stored.size).toBe(rows.length);
      for (const [key, cells] of groups) {
        const [kpi, periodType] = key.split(' ') as [string, PeriodType];
        expect(stored.changed(kpi, periodType, cells)).toEqual([]);
      }
      expect(stored.size).toBe(0);
    });
  });

  it('tells a changed cell, which updates its stored twin, from a new one, which is inserted', async () => {
    const { rows: [row] } = await sql<{ kpi_key: string; period_type: PeriodType; scope_type: string; scope_id: string; period_start: string; n: number }>`
      select kpi_key, period_type, scope_type, scope_id, period_start::text as period_start, n from kpi_values
      where period_type = 'week' order by period_start, scope_type, scope_id, kpi_key limit 1`.execute(h.db);
    const cell = { scopeType: row!.scope_type, scopeId: row!.scope_id, periodStart: row!.period_start, value: 123.25, n: row!.n + 1, details: {} };
    const earlier = { ...cell, periodStart: '1999-12-27' };
    await h.db.transaction().execute(async (trx) => {
      const stored = await StoredCells.load(trx, 'all');
      expect(stored.changed(row!.kpi_key, row!.period_type, [cell, earlier]).map((changed) => [changed.periodStart, changed.stored]))
        .toEqual([[row!.period_start, true], ['1999-12-27', false]]);
    });
  });

  it('writes a cell stored without a hash (before hashes were kept) once more, then leaves it', async () => {
    await sql`update kpi_values set content_hash = null where kpi_key = 'lead_time_for_changes'`.execute(h.db);
    const before = await storedRows(h.db);
    await computeKpis(h.db, h.config.org, { all: true, now });
    const after = await storedRows(h.db);
    const rewritten = [...after.values()].filter((row) => row.version !== before.get(row.key)!.version).map((row) => row.key);
    expect(rewritten.length).toBeGreaterThan(0);
    expect(rewritten.every((key) => key.startsWith('lead_time_for_changes|'))).toBe(true);
    expect(rewritten.length).toBe([...before.keys()].filter((key) => key.startsWith('lead_time_for_changes|')).length);
    for (const [key, row] of after) expect(row.content).toBe(before.get(key)!.content);
    const { rows: [missing] } = await sql<{ count: number }>`select count(*)::int as count from kpi_values where content_hash is null`.execute(h.db);
    expect(missing!.count).toBe(0);
    await computeKpis(h.db, h.config.org, { all: true, now });
    expect(await storedRows(h.db)).toEqual(after);
  });

  it('rewrites exactly the cells whose content changed, and leaves the others their computed_at', async () => {
    const before = await storedRows(h.db);
    // A day later the open week's, month's and quarter's rates are over more days.
    await computeKpis(h.db, h.config.org, { all: true, now: dayLater });
    const after = await storedRows(h.db);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const rewritten = [...after.values()].filter((row) => row.version !== before.get(row.key)!.version);
    const changed = [...after.values()].filter((row) => row.content !== before.get(row.key)!.content);
    expect(rewritten.length).toBeGreaterThan(0);
    expect(rewritten.length).toBeLessThan(after.size / 10);
    expect(rewritten.map((row) => row.key).sort()).toEqual(changed.map((row) => row.key).sort());
    for (const row of rewritten) expect(row.computed_at).toEqual(dayLater);
    for (const row of after.values()) if (!rewritten.includes(row)) expect(row.computed_at).toEqual(before.get(row.key)!.computed_at);
    expect(await kpiValues(h.db)).toEqual(await recomputedFromEmpty(h, dayLater));
  });
});

describe('cells that lose their records', () => {
  const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services: [{ id: api, owner: eng, repositories: [acme/api] }]
`;
  let h: Harness;
  const deployment = (id: string, finishedAt: string, status: string, sha: string) => ({
    kind: 'deployment' as const,
    value: { source: 'ci', external_id: id, service: 'api', environment: 'production', status, finished_at: finishedAt, commit_sha: sha },
  });
  beforeAll(async () => {
    h = await createHarness({ orgYaml, now });
    await ingestRecords(h.db, h.config.org, normalized(h, [
      { kind: 'commit', value: { repository: 'acme/api', sha: 'a'.repeat(40), parents: [], authored_at: '2026-10-05T08:00:00Z', committed_at: '2026-10-05T08:00:00Z' } },
      // Shipped 36 ms after it was authored: a lead time of 1e-05 hours, which float8 prints as '1e-05'.
      { kind: 'commit', value: { repository: 'acme/api', sha: 'b'.repeat(40), parents: ['a'.repeat(40)], authored_at: '2026-11-09T08:00:00.000Z', committed_at: '2026-11-09T08:00:00.000Z' } },
      deployment('d1', '2026-10-05T09:00:00Z', 'success', 'a'.repeat(40)),
      deployment('d2', '2026-11-09T08:00:00.036Z', 'success', 'b'.repeat(40)),
    ]));
  });
  afterAll(async () => h?.close());

  const weekCell = async () => (await kpiValues(h.db)).find((v) => v.kpi_key === 'deployment_frequency' && v.scope_type === 'service' && v.period_type === 'week' && v.period_start === '2026-11-09');

  it('stores a value float8 prints unlike JavaScript once, and leaves it there', async () => {
    await computeKpis(h.db, h.config.org, { all: true, now });
    const leadTime = (await kpiValues(h.db)).find((v) => v.kpi_key === 'lead_time_for_changes' && v.scope_type === 'service' && v.period_type === 'week' && v.period_start === '2026-11-09');
    expect(leadTime?.value).toBeCloseTo(1e-5, 12);
    const before = await storedRows(h.db);
    await computeKpis(h.db, h.config.org, { all: true, now });
    expect(await storedRows(h.db)).toEqual(before);
  });

  it('deletes the cells of a deployment that is no longer a production one, in a dirty run as in a full one', async () => {
    expect(await weekCell()).toBeDefined();
    await ingestRecords(h.db, h.config.org, normalized(h, [deployment('d2', '2026-11-09T08:00:00.036Z', 'failure', 'b'.repeat(40))]));
    await computeKpis(h.db, h.config.org, { now });
    expect(await weekCell()).toBeUndefined();
    expect(await kpiValues(h.db)).toEqual(await recomputedFromEmpty(h, now));

    await ingestRecords(h.db, h.config.org, normalized(h, [deployment('d2', '2026-11-09T08:00:00.036Z', 'success', 'b'.repeat(40))]));
    await computeKpis(h.db, h.config.org, { now });
    expect(await weekCell()).toBeDefined();
    await ingestRecords(h.db, h.config.org, normalized(h, [deployment('d2', '2026-11-09T08:00:00.036Z', 'failure', 'b'.repeat(40))]));
    // Derived first (the compute's own first step) by a dirty run, then a full one finds the cells to delete.
    await computeKpis(h.db, h.config.org, { all: true, now });
    expect(await weekCell()).toBeUndefined();
    expect(await kpiValues(h.db)).toEqual(await recomputedFromEmpty(h, now));
  });
});
