// The engine's rollup. Grouping a population by (scope, period) in SQL sorts every record
// once per scope it counts for and per period type: at a large organisation that is 4M
// lead-time rows sorted three times, most of a minute. Instead each KPI's records are read
// once, each under its own service with its local date, and expanded here into every
// (scope, period) cell through the same scope_members rows the SQL join reads; each cell is
// then reduced by the KPI's `rollup.reduce`, the in-memory twin of its SQL `aggregates`
// (explain uses those; a parity test holds the two equal on every KPI).
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import type { KpiDefinition } from './definition.js';
import type { PeriodType, ScopeType } from './keys.js';
import { dateOfDayNumber, periodOfLocalDate } from './periods.js';
import type { PopulationSettings } from './queries/population.js';

/** Column name → one value per loaded record (JSON values: numbers, strings, booleans, null). */
export type RecordColumns = Record<string, unknown[]>;

export interface Rollup {
  /**
   * The column whose percentiles `reduce` takes: the records are loaded in its order, so
   * each cell's values arrive sorted and sortedValues need not sort them (12 cells per record).
   */
  orderBy?: string;
  /** The record columns `reduce` reads, as SQL over the population alias `p`. */
  columns: Record<string, RawBuilder<unknown>>;
  /** The KPI's aggregate row (the keys of its SQL `aggregates`) from one cell's records. */
  reduce(records: ArrayLike<number>, columns: RecordColumns): { n: number } & Record<string, unknown>;
}

/** Every scope and its time-bounded memberships, per service (instants in µs since the epoch). */
export interface Scopes {
  list: { scopeType: ScopeType; scopeId: string }[];
  byService: Map<string, { scope: number; fromUs: number; toUs: number }[]>;
  /** Every finite bound of a membership: only where one falls does a record's own instant matter. */
  boundsUs: number[];
}

export async function loadScopes(db: Db): Promise<Scopes> {
  // µs as float8 are exact (< 2^53) and ±infinity stay ±Infinity.
  const { rows } = await sql<{ scope_type: ScopeType; scope_id: string; service_id: string; from_us: number; to_us: number }>`
    select scope_type, scope_id, service_id, (extract(epoch from valid_from) * 1000000)::float8 as from_us,
      (extract(epoch from valid_to) * 1000000)::float8 as to_us
    from scope_members order by scope_type, scope_id, service_id, valid_from`.execute(db);
  const list: Scopes['list'] = [];
  const indexOf = new Map<string, number>();
  const byService: Scopes['byService'] = new Map();
  const bounds = new Set<number>();
  for (const row of rows) {
    const key = `${row.scope_type}\u0000${row.scope_id}`;
    let scope = indexOf.get(key);
    if (scope === undefined) {
      scope = list.push({ scopeType: row.scope_type, scopeId: row.scope_id }) - 1;
      indexOf.set(key, scope);
    }
    const memberships = byService.get(row.service_id) ?? [];
    const membership = { scope, fromUs: Number(row.from_us), toUs: Number(row.to_us) };
    memberships.push(membership);
    byService.set(row.service_id, memberships);
    for (const bound of [membership.fromUs, membership.toUs]) if (Number.isFinite(bound)) bounds.add(bound);
  }
  return { list, byService, boundsUs: [...bounds] };
}

/**
 * An instant that stands for every record of the window, or null where a membership's bound
 * falls inside it. Without one there, each membership holds at every instant of the window
 * or at none, so every record of a service counts for the same scopes, whatever its anchor.
 */
export function windowInstantUs(window: { from?: Date; to?: Date }, boundsUs: readonly number[]): number | null {
  const fromUs = window.from ? window.from.getTime() * 1000 : -Infinity;
  const toUs = window.to ? window.to.getTime() * 1000 : Infinity;
  // A bound at the window's start or end holds (or fails) for the whole of it.
  if (boundsUs.some((bound) => bound > fromUs && bound < toUs)) return null;
  return window.from ? fromUs : window.to ? toUs - 1 : 0;
}

/** A KPI's records, column-wise: each record's service, anchor instant and local date. */
export interface LoadedRecords {
  count: number;
  services: string[];
  service: Int32Array;
  anchorUs: Float64Array;
  /** Distinct local dates; `day[i]` indexes into it. */
  days: string[];
  day: Int32Array;
  columns: RecordColumns;
}

/**
 * Records per query, about: bounds the JSON held at once (a quarter of a large organisation's
 * changes is 125k; all of them in one query raised the peak memory of the first compute after a
 * load by 50-80 MB, and 25k a query made its full recompute 5% slower than 12k). The services
 * a query reads are sized from the records per service so far (nextQueryServices): a fixed 50
 * read an incremental week's few incidents per service in 10 queries a population.
 */
const RECORDS_PER_QUERY = 12_000;
const FIRST_QUERY_SERVICES = 50;

/** As many services as hold about RECORDS_PER_QUERY records at the average so far, and at most four times the last query's. */
export const nextQueryServices = (last: number, records: number, services: number): number =>
  Math.max(1, Math.min(last * 4, Math.floor((RECORDS_PER_QUERY * services) / Math.max(records, 1))));

/** KPIs that share one population query (deployment frequency, change failure and rework rate) share one read. */
export function groupByPopulation(kpis: readonly KpiDefinition[]): KpiDefinition[][] {
  const groups = new Map<KpiDefinition['population'], KpiDefinition[]>();
  for (const kpi of kpis) groups.set(kpi.population, [...(groups.get(kpi.population) ?? []), kpi]);
  return [...groups.values()];
}

/** Every service id, in the order loadRecords reads them (a run reads them once for all its passes). */
export async function loadServiceIds(db: Db): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`select id from services order by id`.execute(db);
  return rows.map((row) => row.id);
}

/**
 * Reads the population of `kpis` (one population, see groupByPopulation) once, each record
 * under its own service, with every column their reducers read; anchors in [from, to).
 */
export async function loadRecords(
  db: Db, kpis: readonly KpiDefinition[], settings: PopulationSettings, window: { from?: Date; to?: Date } = {}, serviceIds?: readonly string[],
  scopes?: Pick<Scopes, 'boundsUs'>,
): Promise<LoadedRecords> {
  const [first] = kpis;
  if (!first || kpis.some((kpi) => kpi.population !== first.population)) throw new Error('loadRecords reads the KPIs of one population');
  const columns = Object.assign({}, ...kpis.map((kpi) => kpi.rollup.columns)) as Rollup['columns'];
  const names = Object.keys(columns);
  const service: number[] = [];
  const anchorUs: number[] = [];
  const day: number[] = [];
  const loaded = { count: 0, services: [] as string[], service, anchorUs, days: [] as string[], day, columns: Object.fromEntries(names.map((name) => [name, []])) as RecordColumns };
  /** Days since 1970 → index into `days`. */
  const dayIndex = new Map<number, number>();
  const services = serviceIds ?? (await loadServiceIds(db));
  // Each record's anchor costs Postgres numeric arithmetic (a third of a lead-time query's
  // time at a large organisation): it is read only where a membership changes in the window.
  const instant = scopes ? windowInstantUs(window, scopes.boundsUs) : null;
  const anchor = instant === null ? sql`'anchor', json_agg((extract(epoch from p.anchor_at) * 1000000)::int8), ` : sql``;
  for (let i = 0, size = FIRST_QUERY_SERVICES; i < services.length; i += size, size = nextQueryServices(size, loaded.count, i)) {
    const chunk = services.slice(i, i + size);
    const aggregated = names.map((name) => sql`, ${sql.lit(name)}, json_agg(${columns[name]!})`);
    // One row per service holding its records column-wise as JSON: the grouping needs no
    // sort, and JSON.parse reads numbers far faster than the driver builds a row per record.
    // Anchors in µs as int8, exact: as float8, numeric's result went through text. Local
    // dates as days since 1970: a small integer is cheaper than a date both to write and to read.
    const { rows } = await sql<{ service_id: string; data: string }>`
      with population as (${first.population({ ...settings, mode: 'records', services: chunk, ...window })})
      select p.scope_id as service_id, json_build_object(${anchor}'day', json_agg(p.period_start - date '1970-01-01')${sql.join(aggregated, sql``)})::text as data
      from population p group by p.scope_id`.execute(db);
    for (const row of rows) {
      const data = JSON.parse(row.data) as Record<string, unknown[]>;
      const serviceIndex = loaded.services.push(row.service_id) - 1;
      const anchors = data.anchor as number[] | undefined;
      const days = data.day as number[];
      for (let k = 0; k < days.length; k++) {
        service.push(serviceIndex);
        anchorUs.push(anchors ? anchors[k]! : instant!);
        let d = dayIndex.get(days[k]!);
        if (d === undefined) {
          d = loaded.days.push(dateOfDayNumber(days[k]!)) - 1;
          dayIndex.set(days[k]!, d);
        }
        day.push(d);
      }
      for (const name of names) {
        const target = loaded.columns[name]!;
        for (const value of data[name]!) target.push(value);
      }
      loaded.count += days.length;
    }
  }
  const orderBy = first.rollup.orderBy;
  if (orderBy && kpis.every((kpi) => kpi.rollup.orderBy === orderBy)) return orderedBy(loaded, orderBy);
  // Typed arrays, as orderedBy writes them: reading some populations from typed arrays and
  // others from plain ones made rollupCells 40% slower at a large organisation.
  return { ...loaded, service: Int32Array.from(service), anchorUs: Float64Array.from(anchorUs), day: Int32Array.from(day) };
}

/** The records in ascending order of a numeric column (nulls last, ties in load order). */
function orderedBy(records: Omit<LoadedRecords, 'service' | 'anchorUs' | 'day'> & Record<'service' | 'anchorUs' | 'day', ArrayLike<number>>, column: string): LoadedRecords {
  const order = ascendingOrder(records.columns[column]!);
  const count = order.length;
  const service = new Int32Array(count);
  const anchorUs = new Float64Array(count);
  const day = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    service[k] = records.service[i]!;
    anchorUs[k] = records.anchorUs[i]!;
    day[k] = records.day[i]!;
  }
  const columns: RecordColumns = {};
  for (const [name, values] of Object.entries(records.columns)) {
    const ordered: unknown[] = new Array(count);
    for (let k = 0; k < count; k++) ordered[k] = values[order[k]!];
    columns[name] = ordered;
  }
  return { ...records, service, anchorUs, day, columns };
}

/** Where a float8's low and high 32 bits are in a Uint32Array over it (the platform's byte order). */
const LOW = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * The indices of `values` in ascending order of value, nulls last, ties in index order: an LSD
 * radix sort of each float8's bits as an unsigned integer that orders as the numbers do (four
 * stable passes of 16 bits). A quarter's 130k lead times: 17 ms, against 70 ms for a
 * comparison sort of the indices.
 */
export function ascendingOrder(values: readonly unknown[]): Uint32Array {
  const count = values.length;
  const bits = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const value = values[i];
    bits[i] = value === null || value === undefined ? Infinity : value === 0 ? 0 : (value as number); // -0 ties with 0
  }
  const words = new Uint32Array(bits.buffer); // value i's halves are words 2i + LOW and 2i + HIGH
  for (let i = 0; i < count; i++) {
    // Negative numbers: every bit flipped (larger magnitude, smaller number); others: the sign bit set.
    if (words[2 * i + HIGH]! >>> 31) {
      words[2 * i + LOW] = ~words[2 * i + LOW]!;
      words[2 * i + HIGH] = ~words[2 * i + HIGH]!;
    } else {
      words[2 * i + HIGH] = words[2 * i + HIGH]! | 0x80000000;
    }
  }
  let order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let next = new Uint32Array(count);
  const counts = new Uint32Array(65_537);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? LOW : HIGH;
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let i = 0; i < count; i++) counts[((words[2 * i + word]! >>> shift) & 0xffff) + 1]!++;
    for (let d = 1; d < counts.length; d++) counts[d]! += counts[d - 1]!;
    for (let k = 0; k < count; k++) {
      const i = order[k]!;
      next[counts[(words[2 * i + word]! >>> shift) & 0xffff]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}

export interface RolledCell {
  scopeType: ScopeType;
  scopeId: string;
  periodStart: string;
  row: { n: number } & Record<string, unknown>;
}

export interface CellSelection {
  /** Only these cells (keys from `cellKey`). */
  wanted?: Set<string> | undefined;
  /** Only periods starting on or after this local date (YYYY-MM-DD). */
  startsFrom?: string | undefined;
  /** Only periods starting before this local date. */
  startsBefore?: string | undefined;
}

/**
 * Every (scope, period) cell holding at least one record, reduced; `select` narrows the cells
 * to those listed or to the periods starting within a range.
 */
export function rollupCells(records: LoadedRecords, scopes: Scopes, kpi: KpiDefinition, periodType: PeriodType, timeZone: string, select: CellSelection = {}): RolledCell[] {
  const { wanted, startsFrom, startsBefore } = select;
  const periodStarts: string[] = [];
  const periodIndex = new Map<string, number>();
  const periodOfDay = Int32Array.from(records.days, (day) => {
    const start = periodOfLocalDate(periodType, day, timeZone).start;
    let p = periodIndex.get(start);
    if (p === undefined) {
      p = periodStarts.push(start) - 1;
      periodIndex.set(start, p);
    }
    return p;
  });
  const periods = periodStarts.length;
  // A record of a period outside the range is read only for a neighbouring cell (a window's
  // last week runs past its end): it joins no cell here.
  const outside = Uint8Array.from(periodStarts, (start) => Number((startsFrom !== undefined && start < startsFrom) || (startsBefore !== undefined && start >= startsBefore)));
  const memberships = records.services.map((service) => scopes.byService.get(service) ?? []);
  let included: Uint8Array | undefined;
  if (wanted) {
    included = new Uint8Array(scopes.list.length * periods);
    const wantedPeriods = new Uint8Array(periods);
    scopes.list.forEach((scope, s) => {
      periodStarts.forEach((start, p) => {
        if (wanted.has(cellKey(scope.scopeType, scope.scopeId, start))) included![s * periods + p] = wantedPeriods[p] = 1;
      });
    });
    // A period none of whose cells is wanted (a dirty week's neighbours in its quarter): its records are skipped at once.
    for (let p = 0; p < periods; p++) if (!wantedPeriods[p]) outside[p] = 1;
  }
  // Counting sort of (cell, record) pairs: one pass counts each cell's records, the second
  // places them. A record joins a scope's cell when the membership holds at its anchor.
  const offsets = new Int32Array(scopes.list.length * periods + 1);
  let placed = new Int32Array(0);
  for (const pass of ['count', 'place'] as const) {
    const next = pass === 'place' ? offsets.slice(0, -1) : offsets;
    for (let i = 0; i < records.count; i++) {
      const anchor = records.anchorUs[i]!;
      const period = periodOfDay[records.day[i]!]!;
      if (outside[period]) continue;
      for (const membership of memberships[records.service[i]!]!) {
        if (anchor < membership.fromUs || anchor >= membership.toUs) continue;
        const cell = membership.scope * periods + period;
        if (included && !included[cell]) continue;
        if (pass === 'count') next[cell + 1]!++;
        else placed[next[cell]!++] = i;
      }
    }
    if (pass === 'count') {
      for (let c = 1; c < offsets.length; c++) offsets[c]! += offsets[c - 1]!;
      placed = new Int32Array(offsets[offsets.length - 1]!);
    }
  }
  const cells: RolledCell[] = [];
  for (let cell = 0; cell < offsets.length - 1; cell++) {
    if (offsets[cell] === offsets[cell + 1]) continue;
    const scope = scopes.list[Math.floor(cell / periods)]!;
    cells.push({
      scopeType: scope.scopeType,
      scopeId: scope.scopeId,
      periodStart: periodStarts[cell % periods]!,
      row: kpi.rollup.reduce(placed.subarray(offsets[cell]!, offsets[cell + 1]!), records.columns),
    });
  }
  return cells;
}

export function cellKey(scopeType: string, scopeId: string, periodStart: string): string {
  return `${scopeType}\u0000${scopeId}\u0000${periodStart}`;
}

// --- reducer helpers, each matching its SQL aggregate exactly ---------------------------

/** Postgres's percentile_cont over ascending values: linear interpolation, float8 arithmetic. */
export function percentileCont(sorted: Float64Array, fraction: number): number | null {
  if (!sorted.length) return null;
  const position = fraction * (sorted.length - 1);
  const first = Math.floor(position);
  const second = Math.ceil(position);
  if (second === first) return sorted[first]!;
  return sorted[first]! + (sorted[second]! - sorted[first]!) * (position - first);
}

let scratch = new Float64Array(1024);

/**
 * The non-null numbers of `column` over the records, sorted ascending (percentile_cont's
 * input). The result is a view of a shared buffer, valid until the next call.
 */
export function sortedValues(records: ArrayLike<number>, column: unknown[], where?: unknown[]): Float64Array {
  if (scratch.length < records.length) scratch = new Float64Array(records.length * 2);
  let size = 0;
  for (let k = 0; k < records.length; k++) {
    const i = records[k]!;
    const value = column[i];
    if (value !== null && value !== undefined && (!where || where[i] === true)) scratch[size++] = value as number;
  }
  const values = scratch.subarray(0, size);
  // Records loaded in this column's order (Rollup.orderBy) arrive sorted: checked, not assumed.
  for (let k = 1; k < size; k++) if (values[k]! < values[k - 1]!) return values.sort();
  return values;
}

/** count(*) filter (where column = value). */
export function countWhere(records: ArrayLike<number>, column: unknown[], value: unknown): number {
  let count = 0;
  for (let k = 0; k < records.length; k++) if (column[records[k]!] === value) count++;
  return count;
}

/** sum(column) over integers, nulls not counted (0 for no records, where SQL's sum is null: toValue reads n first). */
export function sumOf(records: ArrayLike<number>, column: unknown[]): number {
  let sum = 0;
  for (let k = 0; k < records.length; k++) sum += (column[records[k]!] as number | null) ?? 0;
  return sum;
}

/** count(distinct column), nulls not counted. */
export function countDistinct(records: ArrayLike<number>, column: unknown[]): number {
  const seen = new Set<unknown>();
  for (let k = 0; k < records.length; k++) {
    const value = column[records[k]!];
    if (value !== null && value !== undefined) seen.add(value);
  }
  return seen.size;
}
