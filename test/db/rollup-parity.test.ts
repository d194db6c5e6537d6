// The engine stores what rollup.ts computes in memory; explain shows what the SQL
// `aggregates` compute over the same population. Both must give the very same numbers, cell
// for cell, on data with a mid-history reorganisation, a DST change and every failure kind.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfigFile } from '../../server/config.js';
import { seedDemo } from '../../server/demo/seed.js';
import { aggregateKpi, computeKpis } from '../../server/kpi/engine.js';
import { PERIOD_TYPES } from '../../server/kpi/keys.js';
import { cellKey, loadRecords, loadScopes, rollupCells, windowInstantUs } from '../../server/kpi/rollup.js';
import { elapsedHours, periodOfLocalDate } from '../../server/kpi/periods.js';
import { populationSettings } from '../../server/kpi/queries/population.js';
import { KPIS } from '../../server/kpi/registry.js';
import { fixedClock } from '../../server/lib/clock.js';
import { createHarness, type Harness } from '../harness.js';

const now = new Date('2026-11-20T12:00:00Z');
let h: Harness;

beforeAll(async () => {
  h = await createHarness({ orgYaml: readFileSync(demoConfigFile(), 'utf8'), now });
  // A team in a zone of its own: on-call off-hours are judged in the owning team's zone.
  await h.db.updateTable('teams').set({ time_zone: 'Asia/Tokyo' }).where('id', '=', 'payments').execute();
  await seedDemo(h.db, { ...h.config, orgSource: 'demo' }, fixedClock(now), { weeks: 20 });
});
afterAll(async () => h?.close());

describe('the in-memory rollup', () => {
  it.each(KPIS.map((kpi) => [kpi.key, kpi] as const))('%s: equals the SQL aggregate in every cell of every period type', async (_key, kpi) => {
    const settings = populationSettings(h.config.org);
    const { timeZone } = settings;
    const scopes = await loadScopes(h.db);
    const records = await loadRecords(h.db, [kpi], settings);
    expect(records.count).toBeGreaterThan(0);
    for (const periodType of PERIOD_TYPES) {
      const expected = new Map((await aggregateKpi(h.db, kpi, { ...settings, mode: 'all', periodType }))
        .map(({ scope_type, scope_id, period_start, ...row }) => [cellKey(scope_type, scope_id, period_start), row]));
      const actual = new Map(rollupCells(records, scopes, kpi, periodType, timeZone)
        .map((cell) => [cellKey(cell.scopeType, cell.scopeId, cell.periodStart), cell.row]));
      expect(actual.size, periodType).toBe(expected.size);
      expect(Object.fromEntries(actual), periodType).toEqual(Object.fromEntries(expected));
    }
  });

  it('covers both values of every per-record incident flag', async () => {
    const settings = populationSettings(h.config.org);
    for (const [key, column] of [['incident_recurrence_rate', 'is_recurrence'], ['on_call_pages', 'off_hours']] as const) {
      const kpi = KPIS.find((k) => k.key === key)!;
      const values = (await loadRecords(h.db, [kpi], settings)).columns[column]!;
      expect(values.filter((v) => v === true).length, `${key}: ${column} true`).toBeGreaterThan(0);
      expect(values.filter((v) => v === false).length, `${key}: ${column} false`).toBeGreaterThan(0);
    }
  });

  it('reads no anchors in a window no membership bound falls inside, with the same cells as with them', async () => {
    const settings = populationSettings(h.config.org);
    const scopes = await loadScopes(h.db);
    const [bound] = scopes.boundsUs; // the reorganisation
    expect(bound).toBeDefined();
    const at = (us: number) => new Date(us / 1000);
    const day = 86_400_000_000;
    const around = { from: at(bound! - 40 * day), to: at(bound! + 40 * day) };
    const fromBound = { from: at(bound!), to: at(bound! + 80 * day) };
    expect(windowInstantUs(around, scopes.boundsUs)).toBeNull();
    expect(windowInstantUs(fromBound, scopes.boundsUs)).toBe(bound);
    for (const kpi of KPIS) {
      for (const window of [around, fromBound, { to: at(bound!) }]) {
        const withAnchors = await loadRecords(h.db, [kpi], settings, window);
        const standIn = await loadRecords(h.db, [kpi], settings, window, undefined, scopes);
        expect(standIn.count, kpi.key).toBe(withAnchors.count);
        for (const periodType of PERIOD_TYPES) {
          expect(rollupCells(standIn, scopes, kpi, periodType, settings.timeZone), `${kpi.key} ${periodType}`)
            .toEqual(rollupCells(withAnchors, scopes, kpi, periodType, settings.timeZone));
        }
      }
    }
  });

  it('keeps only the wanted cells, and reads only records inside the window', async () => {
    const kpi = KPIS.find((k) => k.key === 'lead_time_for_changes')!;
    const settings = populationSettings(h.config.org);
    const { timeZone } = settings;
    const scopes = await loadScopes(h.db);
    const all = rollupCells(await loadRecords(h.db, [kpi], settings), scopes, kpi, 'week', timeZone);
    const pick = all.filter((_, i) => i % 7 === 0);
    const wanted = new Set(pick.map((c) => cellKey(c.scopeType, c.scopeId, c.periodStart)));
    expect(rollupCells(await loadRecords(h.db, [kpi], settings), scopes, kpi, 'week', timeZone, { wanted })).toEqual(pick);

    const from = new Date('2026-10-01T00:00:00Z');
    const to = new Date('2026-11-01T00:00:00Z');
    const windowed = await loadRecords(h.db, [kpi], settings, { from, to });
    expect(windowed.count).toBeGreaterThan(0);
    expect(windowed.count).toBeLessThan((await loadRecords(h.db, [kpi], settings)).count);
    for (const anchor of windowed.anchorUs) {
      expect(anchor).toBeGreaterThanOrEqual(from.getTime() * 1000);
      expect(anchor).toBeLessThan(to.getTime() * 1000);
    }
  });

  it('a full recompute, one quarter at a time, stores exactly the cells of the SQL aggregates', async () => {
    const settings = populationSettings(h.config.org);
    const { timeZone } = settings;
    const result = await computeKpis(h.db, h.config.org, { all: true, now });
    const stored = await h.db.selectFrom('kpi_values')
      .select(['kpi_key', 'scope_type', 'scope_id', 'period_type', (eb) => eb.cast<string>('period_start', 'text').as('period_start'), 'value', 'n', 'details'])
      .execute();
    const quarters = new Set(stored.filter((row) => row.period_type === 'quarter').map((row) => String(row.period_start)));
    expect(quarters.size, 'the demo spans more than one quarter').toBeGreaterThan(1);
    const expected = [];
    for (const kpi of KPIS) {
      for (const periodType of PERIOD_TYPES) {
        for (const row of await aggregateKpi(h.db, kpi, { ...settings, mode: 'all', periodType })) {
          const { value, n, details } = kpi.toValue(row, elapsedHours(periodOfLocalDate(periodType, row.period_start, timeZone), now));
          expected.push({ key: [kpi.key, row.scope_type, row.scope_id, periodType, row.period_start].join('|'), value, n, details });
        }
      }
    }
    const actual = stored.map((row) => ({
      key: [row.kpi_key, row.scope_type, row.scope_id, row.period_type, row.period_start].join('|'),
      value: row.value, n: row.n, details: row.details,
    }));
    const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    expect(result.cells).toBe(expected.length);
    expect(actual.sort(byKey)).toEqual(expected.sort(byKey));
  });
});


