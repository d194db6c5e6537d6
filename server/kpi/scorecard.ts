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
function activeAt<T>(entries: readonly Effective<T>[], at: Date): T | null {
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
  const target = resolveTarget(org, kpi, scope, new Date(Math.min(now.getTime(), period.endAt.getTime() - 1)));
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

/** Stored cells for one scope and period type between two period starts (inclusive). */
async function loadCells(db: Db, scope: Scope, periodType: PeriodType, fromStart: string, toStart: string, keys?: KpiKey[]) {
  let query = db
    .selectFrom('kpi_values')
    .select(['kpi_key', (eb) => eb.cast<string>('period_start', 'text').as('period_start'), 'value', 'n', 'details', 'computed_at'])
    .where('scope_type', '=', scope.type)
    .where('scope_id', '=', scope.id)
    .where('period_type', '=', periodType)
    .where('period_start', '>=', fromStart)
    .where('period_start', '<=', toStart);
  if (keys) query = query.where('kpi_key', 'in', keys);
  const rows = await query.execute();
  const cells = new Map<string, StoredCell>();
  for (const row of rows) {
    cells.set(`${row.kpi_key}|${row.period_start}`, {
      value: row.value,
      n: row.n,
      details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<string, unknown>,
      computed_at: row.computed_at,
    });
  }
  return cells;
}

// The amber rule looks at the two periods before the current one (rules/status.ts).
const HISTORY = 3;

export async function readScorecard(db: Db, org: OrgConfig, scope: Scope, periodType: PeriodType, at: string, now: Date) {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  const periods = Array.from({ length: HISTORY }, (_, i) => shiftPeriod(period, -i, org.timeZone));
  const cells = await loadCells(db, scope, periodType, periods[periods.length - 1]!.start, period.start);
  const kpis = KPIS.map((kpi) => buildEntry(org, kpi, scope, period, periods.map((p) => cells.get(`${kpi.key}|${p.start}`)), now));
  return { period: periodView(period, now), kpis };
}

export async function readSeries(db: Db, org: OrgConfig, kpi: KpiDefinition, scope: Scope, periodType: PeriodType, at: string, count: number, now: Date) {
  const last = periodOfLocalDate(periodType, at, org.timeZone);
  // Every period from the earliest one a point's history needs up to the last, oldest first.
  const periods = Array.from({ length: count + HISTORY - 1 }, (_, i) => shiftPeriod(last, i - (count + HISTORY - 2), org.timeZone));
  const cells = await loadCells(db, scope, periodType, periods[0]!.start, last.start, [kpi.key]);
  const stored = periods.map((p) => cells.get(`${kpi.key}|${p.start}`));
  return Array.from({ length: count }, (_, i) => {
    const index = i + HISTORY - 1;
    const history = stored.slice(i, index + 1).reverse(); // [this period, the one before, …]
    return buildEntry(org, kpi, scope, periods[index]!, history, now);
  });
}
