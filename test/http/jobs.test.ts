// Compute jobs over HTTP on a real database: POST starts one in the service and answers 202
// with its job_runs row, GET follows it to its end; a bad request starts nothing; the token
// guards it; shutdown waits for a running job; a fixed clock can be moved by a request.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { parseEnv, parseOrgConfig, type Config } from '../../server/config.js';
import { openDatabase } from '../../server/db/database.js';
import { startComputeJob } from '../../server/jobs/scheduler.js';
import { fixedClock, settableClock } from '../../server/lib/clock.js';
import { syncOrg } from '../../server/org/sync-org.js';
import { createTestDatabase, isPglite, type TestDatabase } from '../db.js';
import { createHarness, tableCounts, type Harness } from '../harness.js';

const orgYaml = `
organisation: { name: Test Org, time_zone: Europe/Berlin }
teams: [{ id: eng }, { id: payments, parent: eng }]
services:
  - { id: api, owner: payments, repositories: [acme/api] }
`;
const now = new Date('2026-11-20T12:00:00Z');
const deployment = (id: string, finishedAt: string) => ({
  source: 'ci', external_id: id, service: 'api', environment: 'production', status: 'success', finished_at: finishedAt,
});
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface JobRun {
  id: number;
  job: string;
  started_at: string;
  finished_at: string | null;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  cells_recomputed: number | null;
  error: string | null;
}

async function push(app: FastifyInstance, ...records: object[]) {
  const res = await app.inject({ method: 'POST', url: '/api/v1/deployments', payload: records });
  expect(res.statusCode, res.body).toBe(200);
}

async function startCompute(app: FastifyInstance, payload?: object, headers: Record<string, string> = {}): Promise<JobRun> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/jobs/compute', headers, ...(payload ? { payload } : {}) });
  expect(res.statusCode, res.body).toBe(202);
  const run = res.json() as JobRun;
  expect(res.headers.location).toBe(`/api/v1/jobs/${run.id}`);
  return run;
}

async function waitForJob(app: FastifyInstance, id: number, headers: Record<string, string> = {}): Promise<JobRun> {
  for (let i = 0; i < 600; i++) {
    const res = await app.inject({ url: `/api/v1/jobs/${id}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    const run = res.json() as JobRun;
    if (run.status !== 'running') return run;
    await sleep(50);
  }
  throw new Error(`job ${id} still running`);
}

const kpiCells = async (h: { db: Harness['db'] }) => (await sql<{ n: number }>`select count(*)::int as n from kpi_values`.execute(h.db)).rows[0]!.n;

describe('POST /api/v1/jobs/compute and GET /api/v1/jobs/:id', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ orgYaml, now });
    await push(h.app, deployment('d1', '2026-11-02T10:00:00Z'), deployment('d2', '2026-11-10T10:00:00Z'), deployment('d3', '2026-11-18T10:00:00Z'));
  });
  afterAll(async () => h?.close());

  it('recomputes every cell and records the run', async () => {
    const started = await startCompute(h.app, { all: true });
    expect(started).toEqual({
      id: expect.any(Number), job: 'compute-all', started_at: now.toISOString(), finished_at: null, status: 'running', cells_recomputed: null, error: null,
    });
    const run = await waitForJob(h.app, started.id);
    expect(run).toMatchObject({ id: started.id, job: 'compute-all', status: 'succeeded', finished_at: now.toISOString(), error: null });
    expect(run.cells_recomputed).toBeGreaterThan(0);
    expect(await kpiCells(h)).toBe(run.cells_recomputed);
    const row = await h.db.selectFrom('job_runs').selectAll().where('id', '=', started.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ job: 'compute-all', status: 'succeeded', cells_recomputed: run.cells_recomputed, error: null });
    expect(await h.db.selectFrom('dirty_periods').selectAll().execute()).toEqual([]);
  });

  it('recomputes only the dirty cells without a body', async () => {
    await push(h.app, deployment('d4', '2026-11-19T10:00:00Z'));
    const before = await kpiCells(h);
    const started = await startCompute(h.app);
    expect(started).toMatchObject({ job: 'compute', status: 'running' });
    const run = await waitForJob(h.app, started.id);
    expect(run).toMatchObject({ job: 'compute', status: 'succeeded' });
    // The dirty week, month and quarter of the service, its team, the parent team and the org.
    expect(run.cells_recomputed).toBeGreaterThan(0);
    expect(run.cells_recomputed).toBeLessThan(before);
    const org = await h.db.selectFrom('kpi_values').select('n').where('kpi_key', '=', 'deployment_frequency')
      .where('scope_type', '=', 'org').where('period_type', '=', 'month').where(sql<boolean>`period_start = '2026-11-01'::date`).executeTakeFirstOrThrow();
    expect(org.n).toBe(4);
    const empty = await startCompute(h.app, {});
    expect(empty.job).toBe('compute');
    await waitForJob(h.app, empty.id); // the next test needs this process idle
  });

  it('skips a compute while another one runs in this process', async () => {
    await push(h.app, deployment('d5', '2026-11-19T11:00:00Z'));
    const first = startComputeJob(h.db, h.config.org, fixedClock(now), quiet, { all: true });
    const second = startComputeJob(h.db, h.config.org, fixedClock(now), quiet);
    expect((await first).run).toMatchObject({ job: 'compute-all', status: 'running' });
    expect((await second).run).toMatchObject({ job: 'compute', status: 'skipped', cells_recomputed: 0 });
    expect(await (await second).done).toEqual({ status: 'skipped', cells: 0 });
    expect(await (await first).done).toMatchObject({ status: 'succeeded' });
    expect(await waitForJob(h.app, (await second).run.id)).toMatchObject({ status: 'skipped', finished_at: now.toISOString() });
  });

  // PGlite runs a compute's queries without yielding to I/O, so there a second request is only
  // read once the first job is over; against a server it arrives while the first one runs.
  it.skipIf(isPglite)('answers a request that comes while a compute runs with a skipped job', async () => {
    await push(h.app, deployment('d6', '2026-11-19T12:00:00Z'));
    const [a, b] = await Promise.all([startCompute(h.app, { all: true }), startCompute(h.app, { all: true })]);
    const skipped = [a, b].find((run) => run.status === 'skipped');
    const running = [a, b].find((run) => run.status === 'running');
    expect(skipped).toMatchObject({ job: 'compute-all', cells_recomputed: 0, finished_at: now.toISOString() });
    expect(await waitForJob(h.app, running!.id)).toMatchObject({ status: 'succeeded' });
  });

  it.skipIf(isPglite)('skips while another replica holds the compute lock', async () => {
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(h.db)).rows[0]!.name;
    const other = await openDatabase({ databaseUrl: process.env.DATABASE_URL!.replace(/\/[^/]*$/, `/${name}`), poolSize: 1 });
    try {
      await other.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('bellwether:compute'))`.execute(trx);
        const started = await startCompute(h.app);
        expect(await waitForJob(h.app, started.id)).toMatchObject({ status: 'skipped', cells_recomputed: 0 });
      });
    } finally {
      await other.close();
    }
  });

  it('rejects a bad body and starts nothing', async () => {
    const before = await tableCounts(h.db);
    const bad = [
      { payload: { all: 'yes' } },
      { payload: { all: true, everything: true } },
      { payload: [true] },
      { payload: '{"all":', headers: { 'content-type': 'application/json' } },
      { payload: JSON.stringify({ all: true, pad: 'x'.repeat(2000) }), headers: { 'content-type': 'application/json' } },
    ];
    for (const { payload, headers } of bad) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload, ...(headers ? { headers } : {}) });
      expect(res.statusCode, `${JSON.stringify(payload).slice(0, 40)}: ${res.body}`).toBeOneOf([400, 413]);
      expect(res.json().error.code).toBeTypeOf('string');
    }
    const invalid = await h.app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { all: 'yes', other: 1 } });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.problems.map((p: { path: string }) => p.path)).toEqual(expect.arrayContaining(['body/all', 'body/other']));
    // The harness's clock is fixed but not settable: `now` is refused, and the clock stays put.
    const moved = await h.app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { now: '2026-12-01T00:00:00Z' } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error.problems).toEqual([expect.objectContaining({ path: 'body/now' })]);
    expect(await tableCounts(h.db)).toEqual(before);
  });

  it('404s an unknown job and 400s an id that is not a positive integer', async () => {
    const unknown = await h.app.inject({ url: '/api/v1/jobs/999999' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    for (const id of ['abc', '1.5', '0', '-3', '99999999999']) {
      const res = await h.app.inject({ url: `/api/v1/jobs/${id}` });
      expect(res.statusCode, `${id}: ${res.body}`).toBe(400);
      expect(res.json().error.code).toBe('invalid_input');
    }
  });

  it('is described in the OpenAPI document', async () => {
    const spec = (await h.app.inject({ url: '/docs/json' })).json();
    expect(spec.paths['/api/v1/jobs/compute'].post.description).toContain('skipped');
    expect(spec.paths['/api/v1/jobs/compute'].post.responses).toHaveProperty('202');
    expect(spec.paths['/api/v1/jobs/{id}'].get.responses).toHaveProperty('404');
  });
});

describe('with an API token', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ orgYaml, now, apiToken: 's3cret' });
  });
  afterAll(async () => h?.close());

  it('requires the bearer token to start or read a job', async () => {
    const before = await tableCounts(h.db);
    const anonymous = await h.app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { all: true } });
    expect(anonymous.statusCode).toBe(401);
    const wrong = await h.app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { all: true }, headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(await tableCounts(h.db)).toEqual(before);
    const auth = { authorization: 'Bearer s3cret' };
    const started = await startCompute(h.app, { all: true }, auth);
    expect((await h.app.inject({ url: `/api/v1/jobs/${started.id}` })).statusCode).toBe(401);
    expect(await waitForJob(h.app, started.id, auth)).toMatchObject({ status: 'succeeded' });
  });
});

describe('shutdown', () => {
  it('waits for a running compute before the app is closed', async () => {
    const h = await createHarness({ orgYaml, now });
    try {
      await push(h.app, deployment('s1', '2026-11-02T10:00:00Z'), deployment('s2', '2026-11-18T10:00:00Z'));
      const started = await startCompute(h.app, { all: true });
      await h.app.close();
      const row = await h.db.selectFrom('job_runs').selectAll().where('id', '=', started.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('succeeded');
      expect(row.cells_recomputed).toBeGreaterThan(0);
    } finally {
      await h.close();
    }
  });
});

describe('on a fixed clock (BELLWETHER_NOW)', () => {
  let database: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    database = await createTestDatabase();
    const config: Config = { env: parseEnv({ BELLWETHER_NOW: '2026-11-16T00:00:00Z' }), org: parseOrgConfig(orgYaml), orgSource: 'file' };
    await syncOrg(database.db, config.org);
    app = await buildApp({ config, db: database.db, clock: settableClock(config.env.now!) });
    await push(app, deployment('f1', '2026-11-10T10:00:00Z'));
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('computes at the fixed instant, and `now` moves the clock forward, never back', async () => {
    const first = await waitForJob(app, (await startCompute(app, { all: true })).id);
    expect(first).toMatchObject({ status: 'succeeded', started_at: '2026-11-16T00:00:00.000Z', finished_at: '2026-11-16T00:00:00.000Z' });
    await push(app, deployment('f2', '2026-11-18T10:00:00Z'));
    const later = await waitForJob(app, (await startCompute(app, { now: '2026-11-23T00:00:00Z' })).id);
    expect(later).toMatchObject({ status: 'succeeded', started_at: '2026-11-23T00:00:00.000Z' });
    expect(later.cells_recomputed).toBeGreaterThan(0);
    const watermark = await database.db.selectFrom('org_settings').select('value').where('key', '=', 'computed_through').executeTakeFirstOrThrow();
    expect(watermark.value).toBe('2026-11-23T00:00:00.000Z');
    const back = await app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { now: '2026-11-20T00:00:00Z' } });
    expect(back.statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/v1/jobs/compute', payload: { now: '2026-11-23' } })).statusCode).toBe(400);
  });
});

describe('BELLWETHER_NOW', () => {
  it('is parsed as an instant with a zone', () => {
    expect(parseEnv({ BELLWETHER_NOW: '2026-11-16T01:00:00+01:00' }).now).toEqual(new Date('2026-11-16T00:00:00Z'));
    expect(parseEnv({}).now).toBeUndefined();
    expect(parseEnv({ BELLWETHER_NOW: '' }).now).toBeUndefined();
    for (const value of ['2026-11-16', '2026-11-16T00:00:00', 'tomorrow', '2026-13-45T00:00:00Z']) {
      expect(() => parseEnv({ BELLWETHER_NOW: value }), value).toThrow(/env\.BELLWETHER_NOW/);
    }
  });
});
