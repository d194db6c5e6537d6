// node-cron only triggers work; each run takes a Postgres advisory lock (inside the
// compute transaction) so one replica computes per tick, and every run is a job_runs row.
// The HTTP API starts the same jobs (POST /api/v1/jobs/compute), one at a time per process.
// After a successful compute, last month's report is snapshotted once it is due.
import type { Selectable } from 'kysely';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../../connectors/contract.js';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { JobRunsTable } from '../db/schema.js';
import { computeKpis, type ComputeResult } from '../kpi/engine.js';
import type { Clock } from '../lib/clock.js';
import { withSpan } from '../lib/tracing.js';
import { snapshotClosedMonth } from '../reports/snapshots.js';

export interface JobOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  cells: number;
  error?: string;
}

export interface StartedJob {
  /** Its job_runs row as first written: running, or already skipped. */
  run: Selectable<JobRunsTable>;
  /** Settles once the row is final (and a due report snapshotted); rejects only if the row could not be written. */
  done: Promise<JobOutcome>;
}

// Compute jobs under way in this process, per database: the HTTP API and the scheduler start
// them, and shutdown waits for them (computeJobsIdle).
const inFlight = new WeakMap<Db, Set<Promise<void>>>();
const jobsOf = (db: Db) => {
  let jobs = inFlight.get(db);
  if (!jobs) inFlight.set(db, (jobs = new Set()));
  return jobs;
};

/**
 * Starts a compute job and returns once its job_runs row exists. It is skipped when another
 * compute is under way: in this process (checked here; PGlite's one connection would
 * otherwise queue it behind the running one) or in another replica (the advisory lock).
 */
export async function startComputeJob(db: Db, org: OrgConfig, clock: Clock, log: Logger, options: { all?: boolean } = {}): Promise<StartedJob> {
  const job = options.all ? 'compute-all' : 'compute';
  const jobs = jobsOf(db);
  if (jobs.size) {
    const at = clock();
    const run = await db.insertInto('job_runs').values({ job, started_at: at, finished_at: at, status: 'skipped', cells_recomputed: 0 }).returningAll().executeTakeFirstOrThrow();
    log.info({ job, id: run.id }, 'compute job skipped: another one is running in this process');
    return { run, done: Promise.resolve({ status: 'skipped', cells: 0 }) };
  }
  // Registered before the first await, so a second call in the same tick sees this one.
  const claimed = db.insertInto('job_runs').values({ job, started_at: clock(), status: 'running' }).returningAll().executeTakeFirstOrThrow();
  const done = claimed.then((run) => finishComputeJob(db, org, clock, log, job, run.id, options.all ?? false));
  const tracked = done.then(
    () => undefined,
    (error: unknown) => log.error({ err: error, job }, 'compute job could not record its outcome'),
  );
  jobs.add(tracked);
  void tracked.then(() => jobs.delete(tracked));
  return { run: await claimed, done };
}

/** Runs a compute job to its end (the CLI's `compute`, the scheduler's ticks). */
export async function runComputeJob(db: Db, org: OrgConfig, clock: Clock, log: Logger, options: { all?: boolean } = {}): Promise<JobOutcome> {
  return (await startComputeJob(db, org, clock, log, options)).done;
}

/** Resolves once no compute job of this process is under way on `db` (shutdown). */
export async function computeJobsIdle(db: Db): Promise<void> {
  const jobs = jobsOf(db);
  while (jobs.size) await Promise.all([...jobs]);
}

async function finishComputeJob(db: Db, org: OrgConfig, clock: Clock, log: Logger, job: string, id: number, all: boolean): Promise<JobOutcome> {
  let outcome: JobOutcome;
  let derived: ComputeResult['derived'] | undefined;
  try {
    // job_run ties the span to its row: a trace (or the benchmark) times the compute itself.
    const result = await withSpan('bellwether.compute', { job, job_run: id }, () => computeKpis(db, org, { all, now: clock(), wait: false }));
    outcome = result.ran ? { status: 'succeeded', cells: result.cells } : { status: 'skipped', cells: 0 };
    derived = result.derived;
  } catch (error) {
    outcome = { status: 'failed', cells: 0, error: (error as Error).message };
    log.error({ err: error, job }, 'compute job failed');
  }
  if (outcome.status === 'succeeded' && (outcome.cells > 0 || derived?.services)) log.info({ job, cells: outcome.cells, derived }, 'kpi cells recomputed');
  // Before the row is final: a client that sees the job end can start the next one at once.
  if (outcome.status === 'succeeded') await snapshotClosedMonthAfterCompute(db, org, clock, log);
  await db.updateTable('job_runs')
    .set({ finished_at: clock(), status: outcome.status, cells_recomputed: outcome.cells, error: outcome.error ?? null })
    .where('id', '=', id)
    .execute();
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
      await computeJobsIdle(db);
    },
  };
}
