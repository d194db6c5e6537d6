// Ownership changes in bellwether.yaml: a dated change keeps history where it was; an
// undated one moves the service's whole history, and old teams' cells are recomputed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOrgConfig } from '../../server/config.js';
import { computeKpis } from '../../server/kpi/engine.js';
import { syncOrg } from '../../server/org/sync-org.js';
import { createHarness, kpiValues, type Harness } from '../harness.js';

const yaml = (owners: string) => `
organisation: { time_zone: America/New_York }
teams: [{ id: a }, { id: b }]
services:
  - { id: api, owners: ${owners} }
`;
const now = new Date('2026-11-20T12:00:00Z');
const deploymentsIn = async (h: Harness, team: string, weekStart: string) => {
  const row = (await kpiValues(h.db)).find((v) => v.kpi_key === 'deployment_frequency' && v.scope_type === 'team' && v.scope_id === team && v.period_type === 'week' && v.period_start === weekStart);
  return row?.n ?? 0;
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml: yaml('[{ team: a }]'), now });
  const payload = ['2026-11-03T15:00:00Z', '2026-11-10T15:00:00Z', '2026-11-17T15:00:00Z'].map((finished_at, i) => ({
    source: 'ci', external_id: String(i), service: 'api', environment: 'production', status: 'success', finished_at,
  }));
  expect((await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload })).statusCode).toBe(200);
  await h.compute();
});
afterAll(async () => h?.close());

describe('ownership changes', () => {
  it('a dated change keeps earlier records with the old team', async () => {
    const org = parseOrgConfig(yaml('[{ team: a }, { team: b, from: 2026-11-09 }]'));
    const result = await syncOrg(h.db, org);
    expect(result.changedServices).toEqual(['api']);
    await computeKpis(h.db, org, { now });
    expect(await deploymentsIn(h, 'a', '2026-11-02')).toBe(1);
    expect(await deploymentsIn(h, 'a', '2026-11-09')).toBe(0);
    expect(await deploymentsIn(h, 'b', '2026-11-09')).toBe(1);
    expect(await deploymentsIn(h, 'b', '2026-11-16')).toBe(1);
  });

  it('an undated change moves everything and leaves no stale cells behind', async () => {
    const org = parseOrgConfig(yaml('[{ team: b }]'));
    await syncOrg(h.db, org);
    await computeKpis(h.db, org, { now });
    expect(await deploymentsIn(h, 'a', '2026-11-02')).toBe(0);
    expect(await deploymentsIn(h, 'b', '2026-11-02')).toBe(1);
    expect((await kpiValues(h.db)).some((v) => v.scope_type === 'team' && v.scope_id === 'a')).toBe(false);
  });

  it('an unchanged file changes nothing', async () => {
    const org = parseOrgConfig(yaml('[{ team: b }]'));
    expect(await syncOrg(h.db, org)).toEqual({ changedServices: [], rederived: false });
    const before = await kpiValues(h.db);
    expect((await computeKpis(h.db, org, { now })).cells).toBe(0);
    expect(await kpiValues(h.db)).toEqual(before);
  });
});

describe('settings that change values but no ownership', () => {
  it('a team time zone, the recurrence window, the CI default branches or a service\'s repositories recompute every cell on the next run', async () => {
    const base = `organisation: { time_zone: America/New_York }\nservices:\n  - { id: api, owners: [{ team: b }] }\n`;
    const withZone = parseOrgConfig(`teams: [{ id: a }, { id: b, time_zone: Asia/Tokyo }]\n${base}`);
    await syncOrg(h.db, withZone);
    expect((await h.db.selectFrom('teams').select(['id', 'time_zone']).orderBy('id').execute())).toEqual([{ id: 'a', time_zone: null }, { id: 'b', time_zone: 'Asia/Tokyo' }]);
    expect((await h.db.selectFrom('org_settings').select('value').where('key', '=', 'full_recompute_pending').executeTakeFirst())?.value).toBe(true);
    expect((await computeKpis(h.db, withZone, { now })).mode).toBe('all');

    const widerWindow = parseOrgConfig(`incidents: { recurrence_window_days: 30 }\nteams: [{ id: a }, { id: b, time_zone: Asia/Tokyo }]\n${base}`);
    await syncOrg(h.db, widerWindow);
    expect((await computeKpis(h.db, widerWindow, { now })).mode).toBe('all');
    // Build health's default branches decide which CI runs count.
    const moreBranches = parseOrgConfig(`incidents: { recurrence_window_days: 30 }\nci: { default_branches: [main, master, trunk] }\nteams: [{ id: a }, { id: b, time_zone: Asia/Tokyo }]\n${base}`);
    await syncOrg(h.db, moreBranches);
    expect((await computeKpis(h.db, moreBranches, { now })).mode).toBe('all');
    // A service's repositories decide which pull requests and CI runs count for it.
    const withRepository = parseOrgConfig(`incidents: { recurrence_window_days: 30 }\nci: { default_branches: [main, master, trunk] }\nteams: [{ id: a }, { id: b, time_zone: Asia/Tokyo }]\n${base.replace('owners: [{ team: b }]', 'owners: [{ team: b }], repositories: [acme/api]')}`);
    expect(withRepository.services[0]!.repositories).toEqual(['acme/api']);
    await syncOrg(h.db, withRepository);
    expect((await computeKpis(h.db, withRepository, { now })).mode).toBe('all');
    // Unchanged again: back to dirty runs.
    await syncOrg(h.db, withRepository);
    expect((await computeKpis(h.db, withRepository, { now })).mode).toBe('dirty');
  });
});
