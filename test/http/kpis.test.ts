// The read API over computed KPIs: scorecard fields and states, explain agreeing with the
// stored value for every cell, ownership history, incremental = full recompute, auth.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_KEYS, PERIOD_TYPES } from '../../server/kpi/keys.js';
import { linearHistory as history, sha } from '../factories.js';
import { createHarness, kpiValues, type Harness } from '../harness.js';

// payments-api moved from team "payments" to team "checkout" on 2026-11-09 (Europe/Berlin).
const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams:
  - { id: product, name: Product }
  - { id: payments, name: Payments, parent: product }
  - { id: checkout, name: Checkout, parent: product }
services:
  - id: payments-api
    owners: [{ team: payments }, { team: checkout, from: 2026-11-09 }]
    repositories: [acme/payments-api]
  - { id: cart, owner: checkout, repositories: [acme/cart] }
targets:
  org: { lead_time_for_changes: 48 }
  teams: { checkout: { change_failure_rate: 20 } }
`;
const now = new Date('2026-11-20T12:00:00Z');

let h: Harness;
const a = history('acme/payments-api', 1, 'payments-api', [2, 3, 4, 5, 6, 10, 11, 12]);
const b = history('acme/cart', 2, 'cart', [3, 5, 11, 13]);
const incidents = [
  { source: 'pd', external_id: 'i1', service: 'payments-api', severity: 'sev1', title: 'Payments down', created_at: '2026-11-04T11:00:00Z', resolved_at: '2026-11-04T11:45:00Z' },
  { source: 'pd', external_id: 'i2', service: 'cart', severity: 'sev3', title: 'Cart slow', created_at: '2026-11-11T10:00:00Z', resolved_at: '2026-11-11T16:00:00Z', deployment_external_id: 'cart-2' },
];

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
    ['/api/v1/incidents', incidents],
  ] as const) {
    const res = await h.app.inject({ method: 'POST', url, payload });
    expect(res.statusCode, res.body).toBe(200);
  }
  await h.compute();
});
afterAll(async () => h?.close());

describe('GET /api/v1/scorecard', () => {
  it('returns one entry per KPI key with the documented fields', async () => {
    const card = await get('/api/v1/scorecard?period=week&at=2026-11-04');
    expect(card.scope).toEqual({ type: 'org', id: '', name: 'Acme' });
    expect(card.period).toEqual({ type: 'week', start: '2026-11-02', end: '2026-11-09', label: '2026-W45', partial: false });
    expect(card.demo).toBe(false);
    expect(card.kpis.map((k: { key: string }) => k.key)).toEqual([...KPI_KEYS]);
    for (const entry of card.kpis) {
      for (const field of ['key', 'value', 'unit', 'n', 'status', 'band', 'band_year', 'previous', 'trend', 'confidence', 'target']) expect(entry).toHaveProperty(field);
    }
    const byKey = Object.fromEntries(card.kpis.map((k: { key: string }) => [k.key, k]));
    // 5 payments-api + 2 cart production deployments in W45.
    expect(byKey.deployment_frequency).toMatchObject({ n: 7, value: 1, unit: 'deploys/day', status: 'green', band: 'high', band_year: 2023, confidence: 'ok' });
    // payments-api's first deployment ships its own commit only (no history, no PR): 1 change; the others 2 each; cart 1 + 2.
    expect(byKey.lead_time_for_changes.n).toBe(12);
    expect(byKey.lead_time_for_changes.target).toBe(48);
    // Incident i1 (payments-api, created 11:00) after payments-api-2 (10:00): an implicit failure.
    expect(byKey.change_failure_rate).toMatchObject({ n: 7, status: 'grey', confidence: 'low', band: null });
    expect(byKey.change_failure_rate.value).toBeCloseTo(100 / 7, 10);
    expect(byKey.time_to_restore).toMatchObject({ n: 1, value: 45, confidence: 'low', status: 'grey' });
  });

  it('shows no data as null, never 0 and never green', async () => {
    const card = await get('/api/v1/scorecard?period=week&at=2026-10-14');
    for (const entry of card.kpis) {
      expect(entry).toMatchObject({ value: null, n: 0, status: 'grey', confidence: 'no_data', band: null });
      expect(entry.status_reason).toContain('no data');
    }
  });

  it('marks the current period partial and computes its rate over the days so far', async () => {
    const card = await get('/api/v1/scorecard?period=month&at=2026-11-20');
    expect(card.period).toMatchObject({ start: '2026-11-01', partial: true });
    const frequency = card.kpis.find((k: { key: string }) => k.key === 'deployment_frequency');
    // 12 deployments over 19.5 days (Nov 1 00:00 Berlin = Oct 31 23:00Z, to Nov 20 12:00Z).
    expect(frequency.value).toBeCloseTo(12 / (469 / 24), 10);
  });

  it('counts records for the team that owned the service at the time (ownership history)', async () => {
    const before = await get('/api/v1/scorecard?scope=team&id=payments&period=week&at=2026-11-04');
    const after = await get('/api/v1/scorecard?scope=team&id=payments&period=week&at=2026-11-11');
    const checkout = await get('/api/v1/scorecard?scope=team&id=checkout&period=week&at=2026-11-11');
    const product = await get('/api/v1/scorecard?scope=team&id=product&period=week&at=2026-11-11');
    const n = (card: { kpis: { key: string; n: number }[] }) => card.kpis.find((k) => k.key === 'deployment_frequency')!.n;
    expect(n(before)).toBe(5);
    expect(n(after)).toBe(0);
    expect(n(checkout)).toBe(5); // 3 payments-api (now checkout's) + 2 cart
    expect(n(product)).toBe(5); // the parent is the union of its children
    // Team targets apply to the team and to its services.
    expect(checkout.kpis.find((k: { key: string }) => k.key === 'change_failure_rate').target).toBe(20);
  });

  it('gives trend against the previous period', async () => {
    const card = await get('/api/v1/scorecard?scope=service&id=payments-api&period=week&at=2026-11-11');
    const frequency = card.kpis.find((k: { key: string }) => k.key === 'deployment_frequency');
    expect(frequency.previous).toBeCloseTo(5 / 7, 10);
    expect(frequency.trend).toMatchObject({ direction: 'worsening' });
    expect(frequency.trend.delta).toBeCloseTo(3 / 7 - 5 / 7, 10);
  });
});

describe('GET /api/v1/kpis/:key/series', () => {
  it('gives each period the same entry the scorecard gives it, oldest first', async () => {
    const series = await get('/api/v1/kpis/deployment_frequency/series?scope=team&id=product&period=week&at=2026-11-16&periods=4');
    expect(series.points.map((p: { period: { start: string } }) => p.period.start)).toEqual(['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16']);
    for (const point of series.points) {
      const card = await get(`/api/v1/scorecard?scope=team&id=product&period=week&at=${point.period.start}`);
      expect(point).toEqual(card.kpis.find((k: { key: string }) => k.key === 'deployment_frequency'));
    }
    expect(series.points[2]).toMatchObject({ n: 5, previous: 1 });
  });
});

describe('GET /api/v1/kpis/:key/explain', () => {
  it('lists exactly the records behind every stored value', async () => {
    const stored = await kpiValues(h.db);
    expect(stored.length).toBeGreaterThan(50);
    for (const cell of stored) {
      const id = cell.scope_type === 'org' ? '' : `&id=${cell.scope_id}`;
      const explained = await get(`/api/v1/kpis/${cell.kpi_key}/explain?scope=${cell.scope_type}${id}&period=${cell.period_type}&at=${cell.period_start}&limit=5000`);
      expect(explained.n, JSON.stringify(cell)).toBe(cell.n);
      expect(explained.records).toHaveLength(cell.n);
      if (cell.value === null) expect(explained.value).toBeNull();
      else expect(explained.value).toBeCloseTo(cell.value, 9);
    }
  });

  it('shows each deployment with its shipped commits and failure reason', async () => {
    const explained = await get('/api/v1/kpis/change_failure_rate/explain?scope=service&id=payments-api&period=week&at=2026-11-04');
    const failed = explained.records.filter((r: { is_failed: boolean }) => r.is_failed);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ external_id: 'payments-api-2', failure_reason: 'implicit_incident' });
    expect(failed[0].incidents[0]).toMatchObject({ external_id: 'i1' });
    expect(failed[0].shipped_commits.map((c: { sha: string }) => c.sha)).toEqual([sha(1, 5), sha(1, 6)]);
    const page = await get('/api/v1/kpis/change_failure_rate/explain?scope=service&id=payments-api&period=week&at=2026-11-04&limit=2&offset=1');
    expect(page).toMatchObject({ total: 5, limit: 2, offset: 1 });
    expect(page.records).toHaveLength(2);
  });
});

describe('computation', () => {
  it('a page view never computes: new records show only after compute', async () => {
    const url = '/api/v1/scorecard?scope=service&id=cart&period=week&at=2026-11-16';
    const before = await get(url);
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: { source: 'ci', external_id: 'cart-late', service: 'cart', environment: 'prod', status: 'success', finished_at: '2026-11-17T10:00:00Z' } });
    expect(res.statusCode).toBe(200);
    expect(await get(url)).toEqual(before);
    // Ingest only queues the service's facts for re-derivation from the deployment's finish on.
    expect(await h.db.selectFrom('derivation_queue').selectAll().execute()).toEqual([{ service_id: 'cart', from_at: new Date('2026-11-17T10:00:00Z') }]);
    const result = await h.compute();
    expect(result.cells).toBeGreaterThan(0);
    const after = await get(url);
    expect(after.kpis.find((k: { key: string }) => k.key === 'deployment_frequency').n).toBe(1);
  });

  it('incremental compute equals a full recompute', async () => {
    const incremental = await kpiValues(h.db);
    await h.compute({ all: true });
    const full = await kpiValues(h.db);
    expect(full).toEqual(incremental);
    for (const period of PERIOD_TYPES) expect(full.some((v) => v.period_type === period)).toBe(true);
  });
});

describe('authentication', () => {
  it('requires the bearer token on /api when one is configured', async () => {
    const secured = await createHarness({ orgYaml, now, apiToken: 's3cret' });
    try {
      expect((await secured.app.inject({ url: '/api/v1/scorecard' })).statusCode).toBe(401);
      expect((await secured.app.inject({ url: '/api/v1/scorecard', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
      expect((await secured.app.inject({ url: '/api/v1/scorecard', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200);
      expect((await secured.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await secured.close();
    }
  });
});

describe('OpenAPI', () => {
  it('serves the API description with the record schemas and the UI', async () => {
    const spec = await get('/docs/json');
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.components.schemas)).toEqual(expect.arrayContaining(['DeploymentRecord', 'CommitRecord', 'PullRequestRecord', 'IncidentRecord']));
    for (const path of ['/api/v1/scorecard', '/api/v1/kpis/{key}/explain', '/api/v1/deployments', '/api/v1/import']) expect(spec.paths).toHaveProperty([path]);
    const ui = await h.app.inject({ url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});
