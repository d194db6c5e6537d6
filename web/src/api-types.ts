// The JSON the dashboard reads, as the server's route schemas declare it (server/http/routes/v1/*).
// The dashboard only reads precomputed values; it never triggers a computation.

export type ScopeType = 'org' | 'team' | 'service';
export type PeriodType = 'week' | 'month' | 'quarter';
export type Status = 'green' | 'amber' | 'red' | 'grey';
export type Direction = 'lower_is_better' | 'higher_is_better';

export interface Scope {
  type: ScopeType;
  id: string;
  name: string;
}

export interface PeriodView {
  type: PeriodType;
  start: string; // local date, inclusive
  end: string; // local date, exclusive
  label: string; // 2026-W47, 2026-11, 2026-Q4
  partial: boolean; // the current, unfinished period
}

export interface KpiEntry {
  key: string;
  name: string;
  value: number | null; // null = no data (never shown as 0)
  unit: string; // 'deploys/day' | 'hours' | '%' | 'minutes'
  n: number;
  status: Status;
  confidence: 'ok' | 'low' | 'no_data';
  status_reason: string | null; // why grey, for hover text
  target: number;
  direction: Direction;
  band: 'elite' | 'high' | 'medium' | 'low' | null;
  band_year: number | null;
  previous: number | null;
  trend: { direction: 'improving' | 'worsening' | 'flat'; delta: number; delta_pct: number | null } | null;
  period: PeriodView;
  computed_at: string | null;
  details: Record<string, unknown>;
}

/** GET /api/v1/scorecard?scope&id&period&at */
export interface ScorecardResponse {
  organisation: string;
  demo: boolean;
  time_zone: string;
  band_year: number;
  scope: Scope;
  period: PeriodView;
  kpis: KpiEntry[];
}

/** GET /api/v1/series?scope&id&period&at&periods — every KPI over `periods` periods ending with the one containing `at`. */
export interface SeriesResponse {
  scope: Scope;
  periods: PeriodView[]; // oldest first
  kpis: { key: string; name: string; unit: string; direction: Direction; points: KpiEntry[] }[]; // points align with periods
}

/** GET /api/v1/scorecard/red?period&at — every red cell of any team or service in the period. */
export interface RedItem {
  scope: Scope; // team or service
  owner_team: { id: string; name: string } | null; // the team that owns a service (or the team itself)
  kpi: KpiEntry;
  newly_red: boolean; // was not red in the previous period
}
export interface RedItemsResponse {
  period: PeriodView;
  items: RedItem[]; // teams first, then services; DORA order within
}

/** GET /api/v1/org */
export interface OrgTeam {
  id: string;
  name: string;
  parent: string | null;
  children: string[];
  services: string[];
}
export interface OrgService {
  id: string;
  name: string;
  owner: string | null;
  repositories: string[];
}
export interface OrgResponse {
  name: string;
  time_zone: string;
  band_year: number;
  demo: boolean;
  today: string; // YYYY-MM-DD in the org's time zone, by the server's clock (the browser's may differ)
  teams: OrgTeam[];
  services: OrgService[];
}

/** GET /api/v1/kpis/{key}/explain?scope&id&period&at&limit&offset (add format=csv for every record as CSV). */
export interface ExplainResponse {
  key: string;
  unit: string;
  record_kind: 'deployment' | 'failed_deployment' | 'change' | 'incident' | 'bug' | 'pull_request' | 'ci_run';
  scope: Scope;
  period: PeriodView;
  value: number | null;
  n: number;
  details: Record<string, unknown>;
  total: number;
  limit: number;
  offset: number;
  records: Record<string, unknown>[];
}

/** One KPI row of the monthly report. */
export interface ReportComparison {
  period: PeriodView;
  value: number | null;
  n: number;
  confidence: KpiEntry['confidence'];
  status: Status;
  delta: number | null; // this month − that period
  delta_pct: number | null;
  trend: 'improving' | 'worsening' | 'flat' | null; // by the KPI's direction
}
export interface ReportKpi {
  key: string;
  name: string;
  unit: string;
  direction: Direction;
  value: number | null;
  n: number;
  confidence: KpiEntry['confidence'];
  target: number;
  status: Status;
  status_reason: string | null;
  band: KpiEntry['band'];
  band_year: number | null;
  previous_month: ReportComparison;
  quarter_ago: ReportComparison; // the same month one quarter earlier
  trend: { label: string; start: string; value: number | null; n: number; confidence: KpiEntry['confidence'] }[]; // the last 6 months, oldest first
}
export interface ReportRedItem {
  scope: Scope;
  owner_team: { id: string; name: string } | null;
  key: string;
  name: string;
  value: number | null;
  unit: string;
  target: number;
  n: number;
  newly_red: boolean; // not red the month before
}
/** A sentence generated from the data; `numbers` are the figures it names. */
export interface ReportSentence {
  kpi: string;
  kind: 'turned_red' | 'still_red' | 'change' | 'back_on_target' | 'steady' | 'no_previous' | 'low_confidence' | 'no_data';
  text: string;
  numbers: Record<string, number | string>;
}
export interface ReportVersion {
  version: number;
  issued_at: string;
  reason: string;
}

/** GET /api/v1/reports/monthly/{YYYY-MM}[?version=N]; .pdf renders the same page. */
export interface MonthlyReport {
  month: string; // YYYY-MM
  organisation: string;
  time_zone: string;
  band_year: number;
  demo: boolean;
  period: PeriodView;
  /** provisional: built live (month not over, or not yet snapshotted); final: a stored snapshot. */
  status: 'provisional' | 'final';
  version: number | null;
  issued_at: string | null;
  versions: ReportVersion[];
  generated_at: string;
  kpis: ReportKpi[];
  red_items: ReportRedItem[];
  narrative: ReportSentence[];
}

/** GET /api/v1/reports/monthly */
export interface ReportListResponse {
  months: { month: string; versions: ReportVersion[] }[];
}
