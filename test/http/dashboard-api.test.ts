// The endpoints the dashboard reads beyond the scorecard: every KPI's series in one request,
// "what went red" across teams and services, and the explain list as a CSV download. Each
// is checked against the per-scope endpoints it summarises, plus hand-worked cases.
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_KEYS } from '../../server/kpi/keys.js';
import { linearHistory as history } from '../factories.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

// payments-api moves from team "payments" to "checkout" on 2026-11-09; checkout's lead-time
// target of 1 h turns its lead time (and that of the services it owns) red once it has
// enough changes.
const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams:
  - { id: product, name: Product }
  - { id: payments, name: Payments, parent: product }
  - { id: checkout, name: Checkout, parent: product }
services:
  - id: payments-api
    name: Payments API
    owners: [{ team: payments }, { team: checkout, from: 2026-11-09 }]
    repositories: [acme/payments-api]
  - { id: cart, owner: checkout, repositories: [acme/cart] }
targets:
  teams: { checkout: { lead_time_for_changes: 1 } }
`;
const now = new Date('2026-11-20T12:00:00Z');

let h: Harness;
const a = history('acme/payments-api', 1, 'payments-api', [2, 3, 4, 5, 6, 10, 11, 12]);
const b = history('acme/cart', 2, 'cart', [3, 5, 11, 13]);

const get = async (url: string) => {
  const res = await h.app.inject({ url });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json();
};

beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
  for (const [url, payload] of [
    ['/api/v1/commits', [...a.commits, ...b.commits]],
    ['/api/v1/deployments', [...a.deployments, ...b.deployments]],
  ] as const) {
    const res = await h.app.inject({ method: 'POST', url, payload });
    expect(res.statusCode, res.body).toBe(200);
  }
  await h.compute();
});
afterAll(async () => h?.close());

describe('GET /api/v1/org', () => {
  it("gives the hierarchy the dashboard navigates and today's date by the server's clock", async () => {
    const org = await get('/api/v1/org');
    expect(org).toMatchObject({ name: 'Acme', time_zone: 'Europe/Berlin', today: '2026-11-20', demo: false });
    const product = org.teams.find((t: { id: string }) => t.id === 'product');
    expect(product).toMatchObject({ parent: null, children: ['payments', 'checkout'] });
    // Ownership as of today: payments-api moved to checkout on 2026-11-09.
    expect(org.services.find((s: { id: string }) => s.id === 'payments-api')).toMatchObject({ name: 'Payments API', owner: 'checkout' });
  });
});

describe('GET /api/v1/series', () => {
  it('gives every KPI, point by point, the entry the single-KPI series gives it', async () => {
    for (const [scope, period] of [['scope=org', 'week'], ['scope=team&id=checkout', 'week'], ['scope=service&id=cart', 'month']] as const) {
      const all = await get(`/api/v1/series?${scope}&period=${period}&at=2026-11-18&periods=5`);
      expect(all.kpis.map((k: { key: string }) => k.key)).toEqual([...KPI_KEYS]);
      expect(all.periods).toHaveLength(5);
      for (const kpi of all.kpis) {
        const one = await get(`/api/v1/kpis/${kpi.key}/series?${scope}&period=${period}&at=2026-11-18&periods=5`);
        expect(kpi.points).toEqual(one.points);
        expect(kpi.points.map((p: { period: unknown }) => p.period)).toEqual(all.periods);
      }
    }
  });

  it('lists the periods oldest first, ending with the (partial) one containing `at`', async () => {
    const all = await get('/api/v1/series?period=week&at=2026-11-18&periods=3');
    expect(all.periods.map((p: { label: string }) => p.label)).toEqual(['2026-W45', '2026-W46', '2026-W47']);
    expect(all.periods.map((p: { partial: boolean }) => p.partial)).toEqual([false, false, true]);
  });

  it('rejects a bad scope or period count with a clear 400/404', async () => {
    expect((await h.app.inject({ url: '/api/v1/series?periods=0' })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/v1/series?periods=105' })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/v1/series?scope=team' })).statusCode).toBe(400);
    const unknown = await h.app.inject({ url: '/api/v1/series?scope=team&id=nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });
});

describe('GET /api/v1/scorecard/red', () => {
  /** Red entries found by asking the scorecard of every team and service, one by one. */
  async function redFromScorecards(period: string, at: string) {
    const found: { scope: string; key: string; value: number }[] = [];
    for (const [type, ids] of [['team', h.config.org.teams.map((t) => t.id)], ['service', h.config.org.services.map((s) => s.id)]] as const) {
      for (const id of ids) {
        const card = await get(`/api/v1/scorecard?scope=${type}&id=${id}&period=${period}&at=${at}`);
        for (const kpi of card.kpis) if (kpi.status === 'red') found.push({ scope: `${type}:${id}`, key: kpi.key, value: kpi.value });
      }
    }
    return found;
  }

  it('lists exactly the red cells of every team and service scorecard', async () => {
    for (const [period, at] of [['week', '2026-11-04'], ['week', '2026-11-11'], ['week', '2026-11-18'], ['month', '2026-11-18'], ['quarter', '2026-11-18']] as const) {
      const red = await get(`/api/v1/scorecard/red?period=${period}&at=${at}`);
      const items = red.items.map((i: { scope: { type: string; id: string }; kpi: { key: string; value: number } }) => ({ scope: `${i.scope.type}:${i.scope.id}`, key: i.kpi.key, value: i.kpi.value }));
      expect(items, `${period} ${at}`).toEqual(await redFromScorecards(period, at));
    }
  });

  it('names the owning team and whether the KPI was red the period before', async () => {
    const red = await get('/api/v1/scorecard/red?period=week&at=2026-11-11');
    expect(red.period).toMatchObject({ label: '2026-W46', partial: false });
    const item = (scope: string, key: string) => red.items.find((i: { scope: { id: string }; kpi: { key: string } }) => i.scope.id === scope && i.kpi.key === key);
    // checkout in W46: payments-api (3 deployments × 2 changes) + cart (2 × 2) = 10 changes, all ≥ 6 h.
    expect(item('checkout', 'lead_time_for_changes')).toMatchObject({ owner_team: { id: 'checkout', name: 'Checkout' }, newly_red: true, kpi: { n: 10, target: 1, status: 'red' } });
    // payments-api belongs to checkout from 2026-11-09, so it inherits the 1 h target in W46
    // (in W45 it belonged to payments, under the default target, and was green).
    expect(item('payments-api', 'lead_time_for_changes')).toMatchObject({ scope: { type: 'service', name: 'Payments API' }, owner_team: { id: 'checkout' }, newly_red: true, kpi: { n: 6, target: 1 } });
    // The default deployment-frequency target is 1/day (minimum sample 1): product made 7 in W45
    // (green) and 5 in W46 (newly red); checkout and the services were under it both weeks.
    const rows = red.items.map((i: { scope: { id: string }; kpi: { key: string; n: number }; newly_red: boolean }) => [i.scope.id, i.kpi.key, i.kpi.n, i.newly_red]);
    expect(rows).toEqual([
      ['product', 'deployment_frequency', 5, true],
      ['checkout', 'deployment_frequency', 5, false],
      ['checkout', 'lead_time_for_changes', 10, true],
      ['payments-api', 'deployment_frequency', 3, false],
      ['payments-api', 'lead_time_for_changes', 6, true],
      ['cart', 'deployment_frequency', 2, false],
    ]);
  });

  it('rejects an unknown period type or a malformed date', async () => {
    expect((await h.app.inject({ url: '/api/v1/scorecard/red?period=year' })).statusCode).toBe(400);
    expect((await h.app.inject({ url: '/api/v1/scorecard/red?at=2026-13-40' })).statusCode).toBe(400);
  });
});

describe('GET /api/v1/kpis/:key/explain?format=csv', () => {
  it('exports every record of the population, the same records the JSON pages list', async () => {
    const counts = await tableCounts(h.db);
    for (const key of KPI_KEYS) {
      const url = `/api/v1/kpis/${key}/explain?scope=team&id=checkout&period=month&at=2026-11-18`;
      const pages = await get(`${url}&limit=3`);
      const json = [];
      for (let offset = 0; offset < pages.total; offset += 3) json.push(...(await get(`${url}&limit=3&offset=${offset}`)).records);
      const res = await h.app.inject({ url: `${url}&format=csv&limit=1` });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toBe(`attachment; filename="${key}_team_checkout_2026-11.csv"`);
      const rows = parseCsv(res.body, { columns: true }) as Record<string, string>[];
      expect(rows).toHaveLength(pages.total);
      // Same records in the same order: every JSON field appears in the CSV as text.
      for (const [i, record] of json.entries()) {
        for (const [field, value] of Object.entries(record)) {
          const text = value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
          expect(rows[i]![field], `${key} row ${i} ${field}`).toBe(text);
        }
      }
    }
    expect(await tableCounts(h.db)).toEqual(counts); // an export reads, never writes
  });

  it('keeps links and shipped commits in the deployment rows', async () => {
    const res = await h.app.inject({ url: '/api/v1/kpis/deployment_frequency/explain?scope=service&id=cart&period=month&at=2026-11-18&format=csv' });
    const rows = parseCsv(res.body, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => r.url).sort()).toEqual([0, 1, 2, 3].map((i) => `https://ci.example/cart/${i}`));
  });

  it('rejects an unknown format', async () => {
    const res = await h.app.inject({ url: '/api/v1/kpis/deployment_frequency/explain?format=xml' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_input');
  });
});
