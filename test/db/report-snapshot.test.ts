// The compute job's hook that freezes last month's report: not before the month has been over
// for a day, not for a month without data, exactly once, and later data does not change it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runComputeJob } from '../../server/jobs/scheduler.js';
import { fixedClock } from '../../server/lib/clock.js';
import { latestSnapshot, listSnapshots } from '../../server/reports/snapshots.js';
import { createHarness, type Harness } from '../harness.js';

// Europe/Berlin: October ends at 2026-10-31T23:00Z (CET), so the snapshot is due from 2026-11-01T23:00Z.
const orgYaml = `
organisation: { name: Acme, time_zone: Europe/Berlin }
teams: [{ id: eng }]
services: [{ id: api, owner: eng }]
`;
const due = new Date('2026-11-01T23:00:00Z');
const justBefore = new Date(due.getTime() - 1000);
const info: { obj: object; msg?: string }[] = [];
const errors: unknown[] = [];
const log = { info: (obj: object, msg?: string) => info.push({ obj, msg }), warn: () => {}, error: (obj: object) => errors.push(obj) };

let h: Harness;
const deploy = (id: string, finishedAt: string) => h.app.inject({
  method: 'POST', url: '/api/v1/deployments',
  payload: { source: 'ci', external_id: id, service: 'api', environment: 'production', status: 'success', finished_at: finishedAt },
});
const snapshots = () => h.db.selectFrom('report_snapshots').select(['month', 'version', 'reason']).orderBy('id').execute();

beforeAll(async () => {
  h = await createHarness({ orgYaml, now: due });
});
afterAll(async () => h?.close());

describe('the monthly report snapshot after a compute job', () => {
  it('does not freeze a month without data', async () => {
    expect((await runComputeJob(h.db, h.config.org, fixedClock(due), log)).status).toBe('succeeded');
    expect(await snapshots()).toEqual([]);
  });

  it('waits until the month has been over for 24 hours', async () => {
    for (const [i, day] of ['03', '10', '17', '24', '31'].entries()) expect((await deploy(`oct-${i}`, `2026-10-${day}T09:00:00Z`)).statusCode).toBe(200);
    expect((await runComputeJob(h.db, h.config.org, fixedClock(justBefore), log)).status).toBe('succeeded');
    expect(await snapshots()).toEqual([]);
  });

  it('freezes the previous month once, as version 1 "month closed", and logs it', async () => {
    expect((await runComputeJob(h.db, h.config.org, fixedClock(due), log)).status).toBe('succeeded');
    expect(await snapshots()).toEqual([{ month: '2026-10', version: 1, reason: 'month closed' }]);
    expect(info).toContainEqual({ obj: { job: 'report-snapshot', month: '2026-10', version: 1 }, msg: 'monthly report snapshotted' });
    const frozen = await latestSnapshot(h.db, '2026-10');
    expect(frozen).toMatchObject({ status: 'final', version: 1, issued_at: due.toISOString() });
    expect(frozen!.kpis.find((k) => k.key === 'deployment_frequency')).toMatchObject({ n: 5 });

    // Later ticks, even with new October data, leave the snapshot as it was sent.
    expect((await deploy('oct-late', '2026-10-30T09:00:00Z')).statusCode).toBe(200);
    const later = new Date(due.getTime() + 3 * 3600e3);
    expect((await runComputeJob(h.db, h.config.org, fixedClock(later), log)).cells).toBeGreaterThan(0);
    await runComputeJob(h.db, h.config.org, fixedClock(later), log);
    expect(await snapshots()).toEqual([{ month: '2026-10', version: 1, reason: 'month closed' }]);
    expect(await latestSnapshot(h.db, '2026-10')).toEqual(frozen);
    expect((await listSnapshots(h.db)).months).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
