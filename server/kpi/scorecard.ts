// Reads precomputed kpi_values and applies the rules (confidence, target, RAG, DORA band,
// trend) for the scorecard and series endpoints. Never computes a KPI: a page view only
// reads what the engine stored (issue #3, Incremental). Reading (load*) and building
// (build*) are separate steps so the read API can cache the first per data version.
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

/** Teams and services by id, built once per organisation (the org object is never changed). */
interface OrgIndex {
  teams: Map<string, OrgConfig['teams'][number]>;
  services: Map<string, OrgConfig['services'][number]>;
}
const orgIndexes = new WeakMap<OrgConfig, OrgIndex>();

function orgIndex(org: OrgConfig): OrgIndex {
  let index = orgIndexes.get(org);
  if (!index) {
    // The first entry of an id wins, as `find` would.
    const byId = <T extends { id: string }>(items: readonly T[]) => {
      const map = new Map<string, T>();
      for (const item of items) if (!map.has(item.id)) map.set(item.id, item);
      return map;
    };
    index = { teams: byId(org.teams), services: byId(org.services) };
    orgIndexes.set(org, index);
  }
  return index;
}

/** The organisation's team `id`, or undefined. */
export function findTeam(org: OrgConfig, id: string) {
  return orgIndex(org).teams.get(id);
}

/** The organisation's service `id`, or undefined. */
export function findService(org: OrgConfig, id: string) {
  return orgIndex(org).services.get(id);
}

/** Target for a KPI at a scope: service → owner team → its ancestors → org → default. */
export function resolveTarget(org: OrgConfig, kpi: KpiDefinition, scope: Scope, at: Date): number {
  const teamChain = (teamId: string | null): string[] => {
    const chain: string[] = [];
    const seen = new Set<string>();
    while (teamId && !seen.has(teamId)) {
      seen.add(teamId);
      chain.push(teamId);
      const team = findTeam(org, teamId);
      teamId = team ? activeAt(team.parents, at) : null;
    }
    return chain;
  };
  const candidates: (number | undefined)[] = [];
  if (scope.type === 'service') {
    candidates.push(org.targets.services[scope.id]?.[kpi.key]);
    const service = findService(org, scope.id);
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

/**
 * The cells' whole content as one string, in a stable order: equal strings, equal cells, so
 * equal answers (a response cache reuses what it built when a new data version left them
 * as they were).
 */
export function cellsFingerprint(cells: ReadonlyMap<string, StoredCell>): string {
  const value = (v: number | null) => (v === null ? 'null' : Object.is(v, -0) ? '-0' : String(v));
  return [...cells.keys()].sort().map((key) => {
    const cell = cells.get(key)!;
    return `${key}\u0001${value(cell.value)}\u0001${cell.n}\u0001${cell.computed_at.getTime()}\u0001${JSON.stringify(cell.details)}`;
  }).join('\u0002');
}

// The amber rule looks at the two periods before the current one (rules/status.ts).
const HISTORY = 3;

// shiftPeriod builds a period with luxon (a fresh Intl time-zone check and offset lookups,
// about 0.5 ms): a 52-week series asked for 54 of them per request, most of its CPU. The
// previous period of a period never changes, so it is built once; bounded like periods.ts.
const previousPeriods = new Map<string, Period>();
const PREVIOUS_PERIOD_LIMIT = 20_000;

/** shiftPeriod(period, -1), memoized. */
function previousPeriod(period: Period, timeZone: string): Period {
  const key = `${period.type}|${period.start}|${timeZone}`;
  let previous = previousPeriods.get(key);
  if (!previous) {
    previous = Object.freeze(shiftPeriod(period, -1, timeZone));
    if (previousPeriods.size >= PREVIOUS_PERIOD_LIMIT) previousPeriods.clear();
    previousPeriods.set(key, previous);
  }
  return previous;
}

/** `count` consecutive periods ending with `last`, oldest first (shiftPeriod(last, -k) for k = count - 1 … 0). */
export function periodsEndingWith(last: Period, count: number, timeZone: string): Period[] {
  const periods = [last];
  for (let i = 1; i < count; i++) periods.push(previousPeriod(periods[i - 1]!, timeZone));
  return periods.reverse();
}

/** What a scorecard reads: its period, the periods its history needs and their stored cells. */
export interface ScorecardData {
  period: Period;
  /** [this period, the one before, …] */
  periods: Period[];
  cells: Map<string, StoredCell>;
}

export async function loadScorecard(db: Db, org: OrgConfig, scope: Scope, periodType: PeriodType, at: string): Promise<ScorecardData> {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  const periods = periodsEndingWith(period, HISTORY, org.timeZone).reverse();
  const cells = await loadCells(db, scope, periodType, periods[periods.length - 1]!.start, period.start);
  return { period, periods, cells };
}

export function buildScorecard(org: OrgConfig, scope: Scope, data: ScorecardData, now: Date) {
  const { period, periods, cells } = data;
  const kpis = KPIS.map((kpi) => buildEntry(org, kpi, scope, period, periods.map((p) => cells.get(cellKey(scope.id, kpi.key, p.start))), now));
  return { period: periodView(period, now), kpis };
}

export async function readScorecard(db: Db, org: OrgConfig, scope: Scope, periodType: PeriodType, at: string, now: Date) {
  return buildScorecard(org, scope, await loadScorecard(db, org, scope, periodType, at), now);
}

/** What a series reads: every period its points and their history need (oldest first) and their cells. */
export interface SeriesData {
  periods: Period[];
  /** The periods with a point: the last `count` of `periods`. */
  shown: Period[];
  cells: Map<string, StoredCell>;
}

export async function loadSeries(db: Db, org: OrgConfig, kpis: readonly KpiDefinition[], scope: Scope, periodType: PeriodType, at: string, count: number): Promise<SeriesData> {
  const last = periodOfLocalDate(periodType, at, org.timeZone);
  // Every period from the earliest one a point's history needs up to the last, oldest first.
  const periods = periodsEndingWith(last, count + HISTORY - 1, org.timeZone);
  const cells = await loadCells(db, scope, periodType, periods[0]!.start, last.start, kpis.map((k) => k.key));
  return { periods, shown: periods.slice(HISTORY - 1), cells };
}

export function buildSeries(org: OrgConfig, kpis: readonly KpiDefinition[], scope: Scope, data: SeriesData, now: Date) {
  const { periods, shown, cells } = data;
  const series = kpis.map((kpi) => {
    const stored = periods.map((p) => cells.get(cellKey(scope.id, kpi.key, p.start)));
    const points = shown.map((period, i) => {
      const history = stored.slice(i, i + HISTORY).reverse(); // [this period, the one before, …]
      return buildEntry(org, kpi, scope, period, history, now);
    });
    return { kpi, points };
  });
  return { periods: shown.map((p) => periodView(p, now)), series };
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
  return buildSeries(org, kpis, scope, await loadSeries(db, org, kpis, scope, periodType, at, count), now);
}

/**
 * Everything `buildEntry` takes from `now` for entries of `periods`, as a string: which of
 * them are partial and, when one is (its as-of instant is then `now` itself), each KPI's
 * target in force now. Entries built from the same cells under the same key are the same,
 * so a response cache can key on it (server/http/response-cache.ts); whatever else buildEntry
 * comes to read from `now` must be added here.
 */
export function clockKey(org: OrgConfig, kpis: readonly KpiDefinition[], scope: Scope, periods: readonly Period[], now: Date): string {
  const partial = periods.map((p) => (isPartial(p, now) ? '1' : '0')).join('');
  if (!partial.includes('1')) return partial;
  return `${partial}|${kpis.map((kpi) => resolveTarget(org, kpi, scope, now)).join(',')}`;
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
  const periods = periodsEndingWith(period, HISTORY + 1, org.timeZone).reverse();
  const endAt = asOfPeriod(period, now);
  const teamName = (id: string | null) => {
    const team = id ? findTeam(org, id) : undefined;
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
