// Issued monthly reports (issue #4): "a month's report, once the month is over, is snapshotted
// so that later recomputations do not silently change what was sent (a re-issue is explicit
// and versioned)". Version 1 is written when the month closes; each re-issue adds the next
// version with its reason, and every earlier version stays readable.
import { sql } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { periodContaining, shiftPeriod, type Period } from '../kpi/periods.js';
import { AppError, InvalidInput, NotFound } from '../lib/errors.js';
import { buildMonthlyReport, monthPeriod, type MonthlyReport, type ReportVersion } from './monthly-report.js';

/** The reason the scheduler gives version 1. */
export const MONTH_CLOSED = 'month closed';
/** Late records for a month (a resolved incident, a delayed webhook) get a day to arrive before it is frozen. */
export const SNAPSHOT_GRACE_HOURS = 24;
export const MAX_REASON_LENGTH = 500;

export interface ReportListResponse {
  months: { month: string; versions: ReportVersion[] }[];
}

interface SnapshotRow {
  month: string;
  version: number;
  issued_at: Date;
  reason: string;
  payload: unknown;
}

function toVersion(row: Pick<SnapshotRow, 'version' | 'issued_at' | 'reason'>): ReportVersion {
  return { version: row.version, issued_at: row.issued_at.toISOString(), reason: row.reason };
}

/** A stored report as the API shows it: final, with its own version and every version of its month. */
function toReport(row: SnapshotRow, versions: ReportVersion[]): MonthlyReport {
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as MonthlyReport;
  return { ...payload, status: 'final', version: row.version, issued_at: row.issued_at.toISOString(), versions };
}

function assertMonthOver(period: Period, now: Date): void {
  if (now.getTime() < period.endAt.getTime()) {
    throw new AppError('month_not_over', 409, `${period.label} is not over yet (it ends ${period.end} in the organisation's time zone): only a finished month's report can be issued`);
  }
}

/** Every version of one month, oldest first. */
export async function listVersions(db: Db, month: string): Promise<ReportVersion[]> {
  const rows = await db.selectFrom('report_snapshots').select(['version', 'issued_at', 'reason']).where('month', '=', month).orderBy('version').execute();
  return rows.map(toVersion);
}

/** Every snapshotted month (newest first) with its versions (oldest first). */
export async function listSnapshots(db: Db): Promise<ReportListResponse> {
  const rows = await db.selectFrom('report_snapshots').select(['month', 'version', 'issued_at', 'reason']).orderBy('month', 'desc').orderBy('version').execute();
  const months: ReportListResponse['months'] = [];
  for (const row of rows) {
    if (months[months.length - 1]?.month !== row.month) months.push({ month: row.month, versions: [] });
    months[months.length - 1]!.versions.push(toVersion(row));
  }
  return { months };
}

export async function snapshotVersion(db: Db, month: string, version: number): Promise<MonthlyReport | undefined> {
  const row = await db.selectFrom('report_snapshots').select(['month', 'version', 'issued_at', 'reason', 'payload'])
    .where('month', '=', month).where('version', '=', version).executeTakeFirst();
  return row ? toReport(row, await listVersions(db, month)) : undefined;
}

export async function latestSnapshot(db: Db, month: string): Promise<MonthlyReport | undefined> {
  const row = await db.selectFrom('report_snapshots').select(['month', 'version', 'issued_at', 'reason', 'payload'])
    .where('month', '=', month).orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? toReport(row, await listVersions(db, month)) : undefined;
}

/**
 * Builds the month's report from the current KPI values and stores it as the next version, in
 * one transaction under a per-month advisory lock, so two replicas (or a re-issue racing the
 * scheduler) never write the same version. With `onlyIfNone`, writes version 1 or nothing.
 */
async function issue(db: Db, org: OrgConfig, month: string, now: Date, reason: string, onlyIfNone: boolean): Promise<MonthlyReport | null> {
  const period = monthPeriod(month, org.timeZone);
  assertMonthOver(period, now);
  const trimmed = reason.trim();
  if (!trimmed || trimmed.length > MAX_REASON_LENGTH) {
    throw new InvalidInput(`a re-issue needs a reason of 1 to ${MAX_REASON_LENGTH} characters`, [{ path: '/reason', message: trimmed ? 'is too long' : 'must not be empty' }]);
  }
  const stored = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${`bellwether:report:${period.label}`}))`.execute(trx);
    const last = await trx.selectFrom('report_snapshots').select((eb) => eb.fn.max('version').as('version')).where('month', '=', period.label).executeTakeFirst();
    const lastVersion = last?.version ?? 0;
    if (onlyIfNone && lastVersion > 0) return null;
    const report = await buildMonthlyReport(trx, org, period.label, now);
    const version = lastVersion + 1;
    // Stored as issued; `versions` is left out because it grows with later re-issues.
    const payload: MonthlyReport = { ...report, status: 'final', version, issued_at: now.toISOString(), versions: [] };
    return trx.insertInto('report_snapshots')
      .values({ month: period.label, version, issued_at: now, reason: trimmed, payload: JSON.stringify(payload) })
      .returning(['month', 'version', 'issued_at', 'reason', 'payload'])
      .executeTakeFirstOrThrow();
  });
  return stored ? toReport(stored, await listVersions(db, period.label)) : null;
}

/**
 * Issues the month's report as its next version (version 1 if none exists yet). Only a month
 * that is over in the organisation's time zone can be issued (409 month_not_over otherwise),
 * and a reason is required: it is shown with the version.
 */
export async function snapshotMonth(db: Db, org: OrgConfig, month: string, now: Date, reason: string): Promise<MonthlyReport> {
  return (await issue(db, org, month, now, reason, false))!;
}

/** The month the scheduler should freeze now: the previous one, once it has been over for SNAPSHOT_GRACE_HOURS. */
export function monthDueForSnapshot(org: OrgConfig, now: Date): string | null {
  const previous = shiftPeriod(periodContaining('month', now, org.timeZone), -1, org.timeZone);
  return now.getTime() - previous.endAt.getTime() >= SNAPSHOT_GRACE_HOURS * 3_600_000 ? previous.label : null;
}

/**
 * The scheduler's hook: freezes the previous month as version 1 ("month closed") if it is due,
 * has no snapshot yet and has any data (an empty month frozen on a fresh install would hide
 * history imported later). Returns the new snapshot, or null when there was nothing to do.
 */
export async function snapshotClosedMonth(db: Db, org: OrgConfig, now: Date): Promise<MonthlyReport | null> {
  const month = monthDueForSnapshot(org, now);
  if (!month) return null;
  // Cheap checks first: this runs after every compute tick.
  const existing = await db.selectFrom('report_snapshots').select('id').where('month', '=', month).limit(1).executeTakeFirst();
  if (existing) return null;
  const period = monthPeriod(month, org.timeZone);
  const data = await db.selectFrom('kpi_values').select('n')
    .where('scope_type', '=', 'org').where('period_type', '=', 'month').where('period_start', '=', period.start).where('n', '>', 0)
    .limit(1).executeTakeFirst();
  if (!data) return null;
  return issue(db, org, month, now, MONTH_CLOSED, true);
}

/**
 * What GET /reports/monthly/{month} shows: the given version, else the latest snapshot, else
 * the live provisional report. A month that has not started yet has no report (404).
 */
export async function readMonthlyReport(db: Db, org: OrgConfig, month: string, now: Date, version?: number): Promise<MonthlyReport> {
  const period = monthPeriod(month, org.timeZone);
  if (now.getTime() < period.startAt.getTime()) throw new NotFound(`no report for ${month}: the month has not started`);
  if (version !== undefined) {
    const report = await snapshotVersion(db, month, version);
    if (!report) throw new NotFound(`${month} has no report version ${version}`);
    return report;
  }
  return (await latestSnapshot(db, month)) ?? buildMonthlyReport(db, org, month, now);
}
