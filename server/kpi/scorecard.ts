// Reads precomputed kpi_values and applies the rules (confidence, target, RAG, DORA band,
// trend) for the scorecard and series endpoints. Never computes a KPI: a page view only
// reads what the engine stored (issue #3, Incremental).
import { entryAt, type Effective, type OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { KpiDefinition } from './definition.js';
import type { KpiKey, PeriodType, ScopeType } from './keys.js';
import { isPartial, periodOfLocalDate, shiftPeriod, type Period } from './periods.js';
import { KPIS } from './registry.js';
import { bandMetricFor, classifyBand, deployIntervalHours, type Band } from './rules/bands.js';
import { computeConfidence, computeStatus, computeTrend, type Confidence, type Status, type Trend } from './rules/status.js';

export interface Scope {
  type: ScopeType;
  id: string;
}

export interface PeriodView {
  type: PeriodType;
  start: string;
  end: string;
  label: string;
  partial: boolean;
}

export interface KpiEntry {
  key: KpiKey;
  name: string;
  value: number | null;
  unit: string;
  n: number;
  status: Status;
  confidence: Confidence;
  /** Why the status is grey, for the dashboard's hover text. */
  status_reason: string | null;
  target: number;
  direction: KpiDefinition['direction'];
  band: Band | null;
  band_year: number | null;
  previous: number | null;
  trend: { direction: Trend['direction']; delta: number; delta_pct: number | null } | null;
  period: PeriodView;
  computed_at: string | null;
  details: Record<string, unknown>;
}

interface StoredCell {
  value: number | null;
  n: number;
  details: Record<string, unknown>;
  computed_at: Date;
}

export function periodView(period: Period, now: Date): PeriodView {
  return { type: period.type, start: period.start, end: period.end, label: period.label, partial: isPartial(period, now) };
}

/**
 * The instant a period's ownership, hierarchy and targets are read at: its last moment, or
 * now while it is still running.
 */
export function asOfPeriod(period: Period, now: Date): Date {
  return new Date(Math.min(now.getTime(), period.endAt.getTime() - 1));
}

/** Target for a KPI at a scope: service → owner team → its ancestors → org → default. */
export function resolveTarget(org: OrgConfig, kpi: KpiDefinition, scope: Scope, at: Date): number {
  const teamChain = (teamId: string | null): string[] => {
    const chain: string[] = [];
    const seen = new Set<string>();
    while (teamId && !seen.has(teamId)) {
      seen.add(teamId);
      chain.push(teamId);
      const team = org.teams.find((t) => t.id === teamId);
      teamId = team ? activeAt(team.parents, at) : null;
    }
    return chain;
  };
  const candidates: (number | undefined)[] = [];
  if (scope.type === 'service') {
    candidates.push(org.targets.services[scope.id]?.[kpi.key]);
    const service = org.services.find((s) => s.id === scope.id);
    for (const team of teamChain(service ? activeAt(service.owners, at) : null)) candidates.push(org.targets.teams[team]?.[kpi.key]);
  } else if (scope.type === 'team') {
    for (const team of teamChain(scope.id)) candidates.push(org.targets.teams[team]?.[kpi.key]);
  }
  candidates.push(org.targets.org[kpi.key]);
  return candidates.find((t): t is number => t !== undefined) ?? kpi.defaultTarget;
}

/** The value in force at `at`; before the first entry, the latest one (targets still resolve). */
export function activeAt<T>(entries: readonly Effective<T>[], at: Date): T | null {
  return (entryAt(entries, at) ?? entries[entries.length - 1])?.value ?? null;
}

function band(kpi: KpiDefinition, cell: StoredCell, confidence: Confidence, year: OrgConfig['doraBandYear']): Band | null {
  const metric = bandMetricFor(kpi.key, year);
  if (!metric || confidence !== 'ok' || cell.value === null) return null;
  switch (metric) {
    case 'deployIntervalHours':
      return classifyBand(metric, deployIntervalHours(Number(cell.details.period_hours), cell.n), year);
    case 'recoveryHours':
      return classifyBand(metric, cell.value / 60, year);
    default:
      return classifyBand(metric, cell.value, year);
  }
}

/** Combines a stored cell with its previous periods into what the API shows. */
export function buildEntry(
  org: OrgConfig,
  kpi: KpiDefinition,
  scope: Scope,
  period: Period,
  history: (StoredCell | undefined)[], // [current, previous, the one before, …]
  now: Date,
): KpiEntry {
  const cell = history[0];
  const n = cell?.n ?? 0;
  const value = n > 0 ? (cell?.value ?? null) : null;
  const confidence = computeConfidence(n, kpi.minimumSample);
  const target = resolveTarget(org, kpi, scope, asOfPeriod(period, now));
  const previousValues = history.slice(1).map((c) => (c && c.n > 0 ? c.value : null));
  const status = computeStatus({ value, target, direction: kpi.direction, confidence, previousValues });
  const previous = previousValues[0] ?? null;
  const trend = computeTrend(value, previous, kpi.direction);
  const doraBand = cell ? band(kpi, cell, confidence, org.doraBandYear) : null;
  const statusReason =
    confidence === 'no_data' ? 'no data: no records in this period'
    : confidence === 'low' ? `low confidence: n = ${n}, below the minimum sample of ${kpi.minimumSample}`
    : null;
  return {
    key: kpi.key,
    name: kpi.name,
    value,
    unit: kpi.unit,
    n,
    status,
    confidence,
    status_reason: statusReason,
    target,
    direction: kpi.direction,
    band: doraBand,
    band_year: bandMetricFor(kpi.key, org.doraBandYear) ? org.doraBandYear : null,
    previous,
    trend: trend ? { direction: trend.direction, delta: trend.delta, delta_pct: trend.deltaPct } : null,
    period: periodView(period, now),
    computed_at: cell?.computed_at.toISOString() ?? null,
    details: cell?.details ?? {},
  };
}

/** Stored cells between two period starts (inclusive) for one scope, or every scope of a type. */
async function loadCells(
  db: Db,
  scope: Scope | { type: ScopeType; id: null },
  periodType: PeriodType,
  fromStart: string,
  toStart: string,
  keys?: readonly KpiKey[],
) {
  let query = db
    .selectFrom('kpi_values')
    .select(['kpi_key', 'scope_id', (eb) => eb.cast<string>('period_start', 'text').as('period_start'), 'value', 'n', 'details', 'computed_at'])
    .where('scope_type', '=', scope.type)
    .where('period_type', '=', periodType)
    .where('period_start', '>=', fromStart)
    .where('period_start', '<=', toStart);
  if (scope.id !== null) query = query.where('scope_id', '=', scope.id);
  if (keys) query = query.where('kpi_key', 'in', keys);
  const rows = await query.execute();
  const cells = new Map<string, StoredCell>();
  for (const row of rows) {
    cells.set(cellKey(row.scope_id, row.kpi_key, row.period_start), {
      value: row.value,
      n: row.n,
      details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>,
      computed_at: row.computed_at,
    });
  }
  return cells;
}

const cellKey = (scopeId: string, kpi: string, periodStart: string) => `${scopeId}|${kpi}|${periodStart}`;

// The amber rule looks at the two periods before the current one (rules/status.ts).
const HISTORY = 3;

export async function readScorecard(db: Db, org: OrgConfig, scope: Scope, periodType: PeriodType, at: string, now: Date) {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  const periods = Array.from({ length: HISTORY }, (_, i) => shiftPeriod(period, -i, org.timeZone));
  const cells = await loadCells(db, scope, periodType, periods[periods.length - 1]!.start, period.start);
  const kpis = KPIS.map((kpi) => buildEntry(org, kpi, scope, period, periods.map((p) => cells.get(cellKey(scope.id, kpi.key, p.start))), now));
  return { period: periodView(period, now), kpis };
}

/**
 * KPIs over `count` consecutive periods ending with the one containing `at` (oldest first),
 * from one query: each point carries the status and trend the scorecard showed for it.
 */
export async function readSeries(
  db: Db,
  org: OrgConfig,
  kpis: readonly KpiDefinition[],
  scope: Scope,
  periodType: PeriodType,
  at: string,
  count: number,
  now: Date,
) {
  const last = periodOfLocalDate(periodType, at, org.timeZone);
  // Every period from the earliest one a point's history needs up to the last, oldest first.
  const periods = Array.from({ length: count + HISTORY - 1 }, (_, i) => shiftPeriod(last, i - (count + HISTORY - 2), org.timeZone));
  const cells = await loadCells(db, scope, periodType, periods[0]!.start, last.start, kpis.map((k) => k.key));
  const series = kpis.map((kpi) => {
    const stored = periods.map((p) => cells.get(cellKey(scope.id, kpi.key, p.start)));
    const points = Array.from({ length: count }, (_, i) => {
      const index = i + HISTORY - 1;
      const history = stored.slice(i, index + 1).reverse(); // [this period, the one before, …]
      return buildEntry(org, kpi, scope, periods[index]!, history, now);
    });
    return { kpi, points };
  });
  return { periods: periods.slice(HISTORY - 1).map((p) => periodView(p, now)), series };
}

export interface RedCell {
  scope: Scope & { name: string };
  ownerTeam: { id: string; name: string } | null;
  entry: KpiEntry;
  /** Not red in the period before (a newly failing KPI rather than a standing one). */
  newlyRed: boolean;
}

/**
 * Every red KPI of every team and service in one period ("what went red this week"),
 * teams before services, in registry order within a scope. Two queries in all.
 */
export async function readRedCells(db: Db, org: OrgConfig, periodType: PeriodType, at: string, now: Date): Promise<{ period: PeriodView; cells: RedCell[] }> {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  // The previous period's status needs its own HISTORY, hence one period more.
  const periods = Array.from({ length: HISTORY + 1 }, (_, i) => shiftPeriod(period, -i, org.timeZone));
  const endAt = asOfPeriod(period, now);
  const teamName = (id: string | null) => {
    const team = id ? org.teams.find((t) => t.id === id) : undefined;
    return team ? { id: team.id, name: team.name } : null;
  };
  const scopes: { scope: Scope & { name: string }; ownerTeam: RedCell['ownerTeam'] }[] = [
    ...org.teams.map((t) => ({ scope: { type: 'team' as const, id: t.id, name: t.name }, ownerTeam: { id: t.id, name: t.name } })),
    ...org.services.map((s) => ({ scope: { type: 'service' as const, id: s.id, name: s.name }, ownerTeam: teamName(activeAt(s.owners, endAt)) })),
  ];
  const from = periods[periods.length - 1]!.start;
  const [teamCells, serviceCells] = await Promise.all([
    loadCells(db, { type: 'team', id: null }, periodType, from, period.start),
    loadCells(db, { type: 'service', id: null }, periodType, from, period.start),
  ]);
  const red: RedCell[] = [];
  for (const { scope, ownerTeam } of scopes) {
    const cells = scope.type === 'team' ? teamCells : serviceCells;
    for (const kpi of KPIS) {
      const history = periods.map((p) => cells.get(cellKey(scope.id, kpi.key, p.start)));
      if (!history[0]) continue;
      const entry = buildEntry(org, kpi, scope, period, history.slice(0, HISTORY), now);
      if (entry.status !== 'red') continue;
      const before = buildEntry(org, kpi, scope, periods[1]!, history.slice(1), now);
      red.push({ scope, ownerTeam, entry, newlyRed: before.status !== 'red' });
    }
  }
  return { period: periodView(period, now), cells: red };
}
