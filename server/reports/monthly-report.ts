// The executives' monthly report (issue #4): the month's org KPIs against target, the previous
// month and the same month a quarter earlier, six-month trends, the red teams and services with
// their owners, and generated sentences. Reads only precomputed kpi_values through the
// scorecard helpers, so every number here is the number the scorecard shows for that month.
import type { OrgConfig, TeamConfig } from '../config.js';
import type { Db } from '../db/database.js';
import { parsePeriodLabel, type Period } from '../kpi/periods.js';
import { KPIS } from '../kpi/registry.js';
import { computeTrend, type Confidence, type Direction, type Status, type TrendDirection } from '../kpi/rules/status.js';
import { activeAt, asOfPeriod, readRedCells, readSeries, type KpiEntry, type PeriodView, type Scope } from '../kpi/scorecard.js';
import { InvalidInput } from '../lib/errors.js';
import { isDemo } from '../org/settings.js';
import { buildNarrative, type ReportSentence, type TeamBreakdown } from './narrative.js';

export type { ReportSentence } from './narrative.js';

/** YYYY-MM with a real month; the HTTP route and the CLI validate with the same pattern. */
export const MONTH_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])$';
/** Months in each KPI's trend chart, this month included. */
export const TREND_MONTHS = 6;

export interface ReportComparison {
  period: PeriodView;
  value: number | null;
  n: number;
  confidence: Confidence;
  status: Status;
  /** This month − that month; null when either has no data. */
  delta: number | null;
  delta_pct: number | null;
  trend: TrendDirection | null;
}

export interface ReportKpi {
  key: string;
  name: string;
  unit: string;
  direction: Direction;
  value: number | null;
  n: number;
  confidence: Confidence;
  target: number;
  status: Status;
  status_reason: string | null;
  band: KpiEntry['band'];
  band_year: number | null;
  previous_month: ReportComparison;
  /** The same month one quarter (three months) earlier. */
  quarter_ago: ReportComparison;
  /** The last TREND_MONTHS months, oldest first, this month last. */
  trend: { label: string; start: string; value: number | null; n: number; confidence: Confidence }[];
}

export interface ReportRedItem {
  scope: Scope & { name: string };
  owner_team: { id: string; name: string } | null;
  key: string;
  name: string;
  value: number | null;
  unit: string;
  target: number;
  n: number;
  /** Not red the month before: a newly failing KPI rather than a standing one. */
  newly_red: boolean;
}

export interface ReportVersion {
  version: number;
  issued_at: string;
  reason: string;
}

export interface MonthlyReport {
  month: string;
  organisation: string;
  time_zone: string;
  band_year: number;
  demo: boolean;
  period: PeriodView;
  /** provisional: built live from kpi_values; final: a stored snapshot (server/reports/snapshots.ts). */
  status: 'provisional' | 'final';
  version: number | null;
  issued_at: string | null;
  versions: ReportVersion[];
  generated_at: string;
  kpis: ReportKpi[];
  red_items: ReportRedItem[];
  narrative: ReportSentence[];
}

const ORG_SCOPE: Scope = { type: 'org', id: '' };
const MONTH_RE = new RegExp(MONTH_PATTERN);

/** The calendar month `month` (YYYY-MM) in the org time zone; InvalidInput on anything else. */
export function monthPeriod(month: string, timeZone: string): Period {
  if (!MONTH_RE.test(month)) throw new InvalidInput(`bad month ${JSON.stringify(month)}: expected YYYY-MM`, [{ path: '/month', message: 'must be YYYY-MM' }]);
  return parsePeriodLabel(month, timeZone);
}

function compare(current: KpiEntry, other: KpiEntry): ReportComparison {
  const trend = computeTrend(current.value, other.value, current.direction);
  return {
    period: other.period,
    value: other.value,
    n: other.n,
    confidence: other.confidence,
    status: other.status,
    delta: trend?.delta ?? null,
    delta_pct: trend?.deltaPct ?? null,
    trend: trend?.direction ?? null,
  };
}

/**
 * The teams "driven by" may name: the roots of the hierarchy at month end, or, when there is
 * a single root (an "Engineering" umbrella), its direct children. Their values are unions of
 * their sub-teams' records (KPIS.md), so together they cover the organisation's activity.
 */
export function topLevelTeams(org: OrgConfig, at: Date): TeamConfig[] {
  const parentOf = (team: TeamConfig) => activeAt(team.parents, at);
  const roots = org.teams.filter((team) => parentOf(team) === null);
  if (roots.length === 1) {
    const children = org.teams.filter((team) => parentOf(team) === roots[0]!.id);
    if (children.length) return children;
  }
  return roots;
}

/** Each top-level team's own KPI values this month and the month before, for "driven by". */
async function readTeamBreakdowns(db: Db, org: OrgConfig, period: Period, now: Date): Promise<TeamBreakdown[]> {
  const breakdowns: TeamBreakdown[] = [];
  for (const team of topLevelTeams(org, asOfPeriod(period, now))) {
    const { series } = await readSeries(db, org, KPIS, { type: 'team', id: team.id }, 'month', period.start, 2, now);
    const kpis: TeamBreakdown['kpis'] = {};
    for (const { kpi, points: [before, current] } of series) {
      kpis[kpi.key] = {
        value: current!.value,
        n: current!.n,
        confidence: current!.confidence,
        previous: { value: before!.value, n: before!.n, confidence: before!.confidence },
      };
    }
    breakdowns.push({ id: team.id, name: team.name, kpis });
  }
  return breakdowns;
}

/**
 * Builds the live (provisional, unversioned) report for `month` from stored KPI values.
 * Every KPI is listed; one without data has value null and status grey, never 0.
 */
export async function buildMonthlyReport(db: Db, org: OrgConfig, month: string, now: Date): Promise<MonthlyReport> {
  const period = monthPeriod(month, org.timeZone);
  // Oldest first: the last point is this month's scorecard entry, [-2] the previous month, [-4] a quarter ago.
  const { periods, series } = await readSeries(db, org, KPIS, ORG_SCOPE, 'month', period.start, TREND_MONTHS, now);
  const kpis: ReportKpi[] = series.map(({ points }) => {
    const entry = points[TREND_MONTHS - 1]!;
    return {
      key: entry.key,
      name: entry.name,
      unit: entry.unit,
      direction: entry.direction,
      value: entry.value,
      n: entry.n,
      confidence: entry.confidence,
      target: entry.target,
      status: entry.status,
      status_reason: entry.status_reason,
      band: entry.band,
      band_year: entry.band_year,
      previous_month: compare(entry, points[TREND_MONTHS - 2]!),
      quarter_ago: compare(entry, points[TREND_MONTHS - 4]!),
      trend: points.map((point) => ({ label: point.period.label, start: point.period.start, value: point.value, n: point.n, confidence: point.confidence })),
    };
  });
  // The same cells GET /scorecard/red?period=month lists, with the owner at month end.
  const redItems: ReportRedItem[] = (await readRedCells(db, org, 'month', period.start, now)).cells.map((cell) => ({
    scope: cell.scope,
    owner_team: cell.ownerTeam,
    key: cell.entry.key,
    name: cell.entry.name,
    value: cell.entry.value,
    unit: cell.entry.unit,
    target: cell.entry.target,
    n: cell.entry.n,
    newly_red: cell.newlyRed,
  }));
  const teams = await readTeamBreakdowns(db, org, period, now);

  return {
    month: period.label,
    organisation: org.name,
    time_zone: org.timeZone,
    band_year: org.doraBandYear,
    demo: await isDemo(db),
    period: periods[TREND_MONTHS - 1]!,
    status: 'provisional',
    version: null,
    issued_at: null,
    versions: [],
    generated_at: now.toISOString(),
    kpis,
    red_items: redItems,
    narrative: buildNarrative(kpis, teams),
  };
}
