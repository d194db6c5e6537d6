// node-cron only triggers work; each run takes a Postgres advisory lock (inside the
// compute transaction) so one replica computes per tick, and every run is a job_runs row.
// After a successful compute, last month's report is snapshotted once it is due.
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { computeKpis } from '../kpi/engine.js';
import type { Clock } from '../lib/clock.js';
import { withSpan } from '../lib/tracing.js';
import { snapshotClosedMonth } from '../reports/snapshots.js';

export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  cells: number;
  error?: string;
}

export async function runComputeJob(db: Db, org: OrgConfig, clock: Clock, log: Logger, options: { all?: boolean } = {}): Promise<JobOutcome> {
  const job = options.all ? 'compute-all' : 'compute';
  const run = await db.insertInto('job_runs').values({ job, started_at: clock(), status: 'running' }).returning('id').executeTakeFirstOrThrow();
  let outcome: JobOutcome;
  try {
    const result = await withSpan('bellwether.compute', { job }, () => computeKpis(db, org, { all: options.all ?? false, now: clock(), wait: false }));
    outcome = result.ran ? { status: 'succeeded', cells: result.cells } : { status: 'skipped', cells: 0 };
  } catch (error) {
    outcome = { status: 'failed', cells: 0, error: (error as Error).message };
    log.error({ err: error, job }, 'compute job failed');
  }
  await db.updateTable('job_runs')
    .set({ finished_at: clock(), status: outcome.status, cells_recomputed: outcome.cells, error: outcome.error ?? null })
    .where('id', '=', run.id)
    .execute();
  if (outcome.status === 'succeeded' && outcome.cells > 0) log.info({ job, cells: outcome.cells }, 'kpi cells recomputed');
  if (outcome.status === 'succeeded') await snapshotClosedMonthAfterCompute(db, org, clock, log);
  return outcome;
}

/**
 * Freezes last month's report once it has been over for a day (issue #4), right after a
 * compute so the snapshot holds the freshest values. A failure is logged, not thrown: the
 * compute itself succeeded, and the next tick tries again.
 */
async function snapshotClosedMonthAfterCompute(db: Db, org: OrgConfig, clock: Clock, log: Logger): Promise<void> {
  try {
    const report = await snapshotClosedMonth(db, org, clock());
    if (report) log.info({ job: 'report-snapshot', month: report.month, version: report.version }, 'monthly report snapshotted');
  } catch (error) {
    log.error({ err: error, job: 'report-snapshot' }, 'monthly report snapshot failed');
  }
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Starts the compute schedule; runs once at boot to catch up on anything left dirty. */
export function startScheduler(db: Db, org: OrgConfig, clock: Clock, log: Logger): Scheduler {
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running.then(() => runComputeJob(db, org, clock, log)).catch(() => undefined);
    return running;
  };
  void tick();
  const task: ScheduledTask = cron.schedule(org.computeSchedule, () => void tick(), { name: 'compute', noOverlap: true });
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
