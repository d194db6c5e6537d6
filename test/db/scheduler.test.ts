// The compute job under an advisory lock: one runner per tick across replicas, every run
// recorded in job_runs, and a failure recorded rather than swallowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../server/db/database.js';
import { runComputeJob } from '../../server/jobs/scheduler.js';
import { fixedClock } from '../../server/lib/clock.js';
import { consoleLogger } from '../../server/lib/logger.js';
import { isPglite } from '../db.js';
import { createHarness, type Harness } from '../harness.js';

const orgYaml = `
teams: [{ id: eng }]
services: [{ id: api, owner: eng }]
`;
const now = new Date('2026-11-20T12:00:00Z');
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ orgYaml, now });
  await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: { source: 'ci', external_id: '1', service: 'api', environment: 'production', status: 'success', finished_at: '2026-11-18T10:00:00Z' } });
});
afterAll(async () => h?.close());

describe('runComputeJob', () => {
  it('records a succeeded run with the cells it recomputed, then an empty one', async () => {
    const first = await runComputeJob(h.db, h.config.org, fixedClock(now), quiet);
    expect(first).toEqual({ status: 'succeeded', cells: expect.any(Number) });
    expect(first.cells).toBeGreaterThan(0);
    const second = await runComputeJob(h.db, h.config.org, fixedClock(now), quiet);
    expect(second).toEqual({ status: 'succeeded', cells: 0 });
    const runs = await h.db.selectFrom('job_runs').select(['job', 'status', 'cells_recomputed', 'error']).orderBy('id').execute();
    expect(runs).toEqual([
      { job: 'compute', status: 'succeeded', cells_recomputed: first.cells, error: null },
      { job: 'compute', status: 'succeeded', cells_recomputed: 0, error: null },
    ]);
  });

  it('records a failed run with its error', async () => {
    const broken = { ...h.config.org, timeZone: 'Not/AZone' };
    await h.app.inject({ method: 'POST', url: '/api/v1/deployments', payload: { source: 'ci', external_id: '2', service: 'api', environment: 'production', status: 'success', finished_at: '2026-11-19T10:00:00Z' } });
    const outcome = await runComputeJob(h.db, broken, fixedClock(now), quiet);
    expect(outcome.status).toBe('failed');
    const last = await h.db.selectFrom('job_runs').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last).toMatchObject({ status: 'failed', cells_recomputed: 0 });
    expect(last.error).toBeTruthy();
    // Nothing was lost: the service is still queued for the next run.
    expect(await h.db.selectFrom('derivation_queue').select('service_id').execute()).toEqual([{ service_id: 'api' }]);
    expect((await runComputeJob(h.db, h.config.org, fixedClock(now), quiet)).status).toBe('succeeded');
  });

  it.skipIf(isPglite)('skips when another replica holds the compute lock', async () => {
    const { db } = h;
    const url = (await sql<{ url: string }>`select current_database() as url`.execute(db)).rows[0]!.url;
    const other = await openDatabase({ databaseUrl: process.env.DATABASE_URL!.replace(/\/[^/]*$/, `/${url}`), poolSize: 1 });
    try {
      await other.db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext('bellwether:compute'))`.execute(trx);
        const outcome = await runComputeJob(db, h.config.org, fixedClock(now), consoleLogger);
        expect(outcome).toEqual({ status: 'skipped', cells: 0 });
      });
    } finally {
      await other.close();
    }
  });
});
