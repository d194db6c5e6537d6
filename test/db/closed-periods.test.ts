// A cell computed while its period was open holds a partial value (deployment frequency
// over the days so far). Once the period closes, the next incremental run recomputes it
// even though no record changed, so closed periods (and the monthly report's snapshot)
// never keep a mid-period number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeKpis, periodsClosedBetween } from '../../server/kpi/engine.js';
import { createHarness, kpiValues, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services: [{ id: api, owner: eng }]
`;
// Wednesday of ISO week 2026-W47 (Mon 16 Nov – Sun 22 Nov, Berlin).
const midWeek = new Date('2026-11-18T12:00:00Z');
const nextWeek = new Date('2026-11-24T12:00:00Z');

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml, now: midWeek });
  const deployments = [16, 17, 18].map((day) => ({
    source: 'ci', external_id: `d${day}`, service: 'api', environment: 'production', status: 'success', finished_at: `2026-11-${day}T08:00:00Z`,
  }));
  const res = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: deployments });
  expect(res.statusCode, res.body).toBe(200);
});
afterAll(async () => h?.close());

const weekCell = async () => (await kpiValues(h.db)).find((v) => v.kpi_key === 'deployment_frequency' && v.scope_type === 'org' && v.period_type === 'week' && v.period_start === '2026-11-16');

describe('periods closed since the last run', () => {
  it('lists the weeks, months and quarters that ended in between, and nothing else', () => {
    expect(periodsClosedBetween(midWeek, nextWeek, 'Europe/Berlin').map((p) => `${p.periodType} ${p.start}`)).toEqual(['week 2026-11-16']);
    expect(periodsClosedBetween(new Date('2026-12-28T12:00:00Z'), new Date('2027-01-05T12:00:00Z'), 'Europe/Berlin').map((p) => `${p.periodType} ${p.start}`))
      .toEqual(['week 2026-12-28', 'month 2026-12-01', 'quarter 2026-10-01']);
    expect(periodsClosedBetween(midWeek, midWeek, 'Europe/Berlin')).toEqual([]);
  });
});

describe('incremental compute after a period closes', () => {
  it('recomputes the closed week over all its days, as a full recompute would', async () => {
    await computeKpis(h.db, h.config.org, { now: midWeek });
    // Monday 00:00 Berlin to Wednesday 13:00 Berlin: 2 days and 13 hours.
    expect((await weekCell())!.value).toBeCloseTo(3 / ((2 * 24 + 13) / 24), 10);

    const run = await computeKpis(h.db, h.config.org, { now: nextWeek });
    expect(run.cells).toBeGreaterThan(0);
    expect((await weekCell())!.value).toBeCloseTo(3 / 7, 10);
    // Every closed cell equals a full recompute's (November and Q4 are still open: their
    // rates stay as of the last run that had something to recompute).
    const closedCells = async () => (await kpiValues(h.db)).filter((v) => v.period_type === 'week');
    const incremental = await closedCells();
    expect(incremental.length).toBeGreaterThan(0);
    await computeKpis(h.db, h.config.org, { now: nextWeek, all: true });
    expect(await closedCells()).toEqual(incremental);
  });

  it('does nothing more once the closed cells are recomputed', async () => {
    expect((await computeKpis(h.db, h.config.org, { now: nextWeek })).cells).toBe(0);
  });
});
