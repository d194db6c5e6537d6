// How the engine stores its cells: only what changed. A recompute reads the stored cells it
// may replace, compares each rolled-up cell with its stored twin, writes the new and the
// changed ones, and deletes the stored cells no record produces any more. A full recompute
// of unchanged data so writes nothing: at a large organisation, deleting and inserting its
// 320k cells again was most of the run, and left as many dead rows behind.
// A cell left as it was keeps its computed_at: the time of the compute that wrote its value.
// Each cell is stored with a hash of its content, and the comparison reads back the hashes only.
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { CellValue } from './definition.js';
import type { PeriodType } from './keys.js';
import { dateOfDayNumber, dayNumberOfDate } from './periods.js';
import { jsonColumn } from '../db/json-columns.js';

type Trx = Transaction<Database>;

/** A cell a dirty run recomputes, as the engine lists them. */
export interface ListedCell {
  period_type: PeriodType;
  scope_type: string;
  scope_id: string;
  period_start: string;
}

/** A cell to store: its content as the engine writes it. */
export interface CellRow {
  scopeType: string;
  scopeId: string;
  periodStart: string;
  value: CellValue['value'];
  n: number;
  details: CellValue['details'];
}

/** A cell to store with the hash of its content, stored alongside (contentHash); `stored`: it replaces a stored twin. */
export type HashedCellRow = CellRow & { contentHash: number; stored: boolean };

/** Days since 1970 of each local date seen: a run's cells share a few hundred period starts. */
const dayNumbers = new Map<string, number>();
const dayOf = (date: string) => {
  let day = dayNumbers.get(date);
  if (day === undefined) dayNumbers.set(date, (day = dayNumberOfDate(date)));
  return day;
};
/** A kpi and period type as one map key (deleteLeftover splits it again). */
const groupKey = (kpi: string, periodType: string) => `${kpi}\u0000${periodType}`;
/** Days since 1970 fit 16 bits until 2149: a cell is (scope index, day) in one small integer. */
const DAYS = 65_536;
/** The hash of a stored cell that has none: contentHash is never negative. */
const UNKNOWN = -1;

// The content hash (cyrb53's mixing, public domain) of what JSON would write of a cell:
// equal JSON text, equal hash; two different contents share one with odds of 2^-53. It walks
// the values themselves rather than their text, so a cell whose hash matches its stored twin
// is never turned into JSON at all: at a large organisation a full recompute stringified and
// hashed 580k cells to write none of them.
let h1 = 0;
let h2 = 0;
/** A float8's bits: numbers are mixed in as the numbers they are, never as text. */
const numberBits = new Float64Array(1);
const numberWords = new Uint32Array(numberBits.buffer);
const enum Tag { Null = 1, False, True, Number, String, Array, Object, End }

function mix(word: number): void {
  h1 = Math.imul(h1 ^ word, 2654435761);
  h2 = Math.imul(h2 ^ word, 1597334677);
}

function mixText(text: string): void {
  mix(text.length);
  for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
}

/** Mixes in a JSON value as JSON.stringify writes it: non-finite numbers as null, -0 as 0, undefined members left out. */
function mixJson(value: unknown): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return mix(Tag.Null);
    numberBits[0] = value === 0 ? 0 : value;
    mix(Tag.Number);
    mix(numberWords[0]!);
    return mix(numberWords[1]!);
  }
  if (typeof value === 'string') {
    mix(Tag.String);
    return mixText(value);
  }
  if (typeof value === 'boolean') return mix(value ? Tag.True : Tag.False);
  if (value === null || typeof value !== 'object') return mix(Tag.Null); // undefined, a function or a symbol in an array
  if (Array.isArray(value)) {
    mix(Tag.Array);
    mix(value.length);
    for (const item of value) mixJson(item);
    return;
  }
  const object = value as Record<string, unknown> & { toJSON?: unknown };
  if (typeof object.toJSON === 'function') return mixJson(object.toJSON());
  mix(Tag.Object);
  // for-in over a plain object's own keys, in JSON.stringify's order, allocating nothing.
  for (const key in object) {
    const member = object[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol' || !Object.hasOwn(object, key)) continue;
    mixText(key);
    mixJson(member);
  }
  mix(Tag.End);
}

/**
 * The hash of a cell's content (value, n, details), stored as its content_hash. Changing
 * this function makes every stored hash stale: the next recompute writes each cell once more.
 */
export function contentHash(value: number | null, n: number, details: unknown): number {
  h1 = 0xdeadbeef;
  h2 = 0x41c6ce57;
  mixJson(value);
  mix(n);
  mixJson(details);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * The stored cells a run may replace, as content hashes: one map per (kpi, period type) from
 * (scope, day) to hash, small integers rather than 320k key strings. A cell the run produces
 * is taken out; what is left at the end was not produced again and is deleted.
 */
export class StoredCells {
  private readonly groups = new Map<string, Map<number, number>>();
  /** Scope type → scope id → index into `scopes`. */
  private readonly scopeIndex = new Map<string, Map<string, number>>();
  private readonly scopes: { scopeType: string; scopeId: string }[] = [];

  private constructor() {}

  /** Every stored cell, or those of the listed (period type, scope, period) cells (a dirty run). */
  static async load(trx: Trx, only: 'all' | ListedCell[]): Promise<StoredCells> {
    const stored = new StoredCells();
    // Every cell in one scan of the table: read a scope at a time through the index, the heap
    // (written a quarter at a time) was read out of order, 3 s for a large organisation's
    // 580k cells against 0.7 s. Days and hashes only, 15 MB of text at that size.
    await stored.read(trx, only === 'all' ? sql`kpi_values k` : sql`unnest(${only.map((c) => c.period_type)}::text[], ${only.map((c) => c.scope_type)}::text[],
        ${only.map((c) => c.scope_id)}::text[], ${only.map((c) => c.period_start)}::date[]) as cc(period_type, scope_type, scope_id, period_start)
      join kpi_values k on k.period_type = cc.period_type and k.scope_type = cc.scope_type and k.scope_id = cc.scope_id and k.period_start = cc.period_start`);
    return stored;
  }

  private async read(trx: Trx, from: RawBuilder<unknown>): Promise<void> {
    // One row per scope and period type rather than a row per cell: its cells' KPIs, days and
    // hashes as three JSON arrays, which JSON.parse reads far faster than the driver builds
    // rows. Grouped by KPI too, the planner expected 58k groups at a large organisation, sorted
    // the 580k rows by their text (2 s) where hashing the 1.6k groups of this one takes 1 s.
    const { rows } = await sql<{ scope_type: string; scope_id: string; period_type: PeriodType; cells: string }>`
      select k.scope_type, k.scope_id, k.period_type,
        json_build_array(json_agg(k.kpi_key), json_agg(k.period_start - date '1970-01-01'), json_agg(k.content_hash))::text as cells
      from ${from} group by k.scope_type, k.scope_id, k.period_type`.execute(trx);
    for (const row of rows) {
      const scope = this.indexOf(row.scope_type, row.scope_id) * DAYS;
      const [kpis, days, hashes] = JSON.parse(row.cells) as [string[], number[], (number | null)[]];
      let kpi = '';
      let group: Map<number, number> | undefined;
      for (let i = 0; i < days.length; i++) {
        if (kpis[i] !== kpi || !group) group = this.group((kpi = kpis[i]!), row.period_type); // a scope's cells come mostly a KPI at a time
        // No hash stored (a cell written before hashes were kept): one no content hashes to, so it is written again.
        group.set(scope + days[i]!, hashes[i] ?? UNKNOWN);
      }
    }
  }

  /** Stored cells not yet taken out. */
  get size(): number {
    let size = 0;
    for (const group of this.groups.values()) size += group.size;
    return size;
  }

  /** The cells not stored with this content, with their hash; each is taken out of the stored set. */
  changed(kpi: string, periodType: PeriodType, cells: CellRow[]): HashedCellRow[] {
    const group = this.groups.get(groupKey(kpi, periodType));
    const changed: HashedCellRow[] = [];
    for (const cell of cells) {
      const hash = contentHash(cell.value, cell.n, cell.details);
      let stored = false;
      if (group?.size) {
        const id = this.indexOf(cell.scopeType, cell.scopeId) * DAYS + dayOf(cell.periodStart);
        const before = group.get(id);
        if (before !== undefined) {
          group.delete(id);
          if (before === hash) continue;
          stored = true;
        }
      }
      changed.push({ ...cell, contentHash: hash, stored });
    }
    return changed;
  }

  /** Deletes the stored cells no pass produced: no record falls in them any more. */
  async deleteLeftover(trx: Trx): Promise<number> {
    const gone: { kpi: string; periodType: string; scopeType: string; scopeId: string; periodStart: string }[] = [];
    for (const [group, cells] of this.groups) {
      const [kpi, periodType] = group.split('\u0000') as [string, string];
      for (const id of cells.keys()) {
        const scope = this.scopes[Math.floor(id / DAYS)]!;
        gone.push({ kpi, periodType, ...scope, periodStart: dateOfDayNumber(id % DAYS) });
      }
    }
    this.groups.clear();
    for (let i = 0; i < gone.length; i += CELLS_PER_STATEMENT) {
      const chunk = gone.slice(i, i + CELLS_PER_STATEMENT);
      await sql`delete from kpi_values where (kpi_key, period_type, scope_type, scope_id, period_start) in (
        select * from unnest(${chunk.map((c) => c.kpi)}::text[], ${chunk.map((c) => c.periodType)}::text[], ${chunk.map((c) => c.scopeType)}::text[],
          ${chunk.map((c) => c.scopeId)}::text[], ${chunk.map((c) => c.periodStart)}::date[]))`.execute(trx);
    }
    return gone.length;
  }

  private group(kpi: string, periodType: PeriodType): Map<number, number> {
    const key = groupKey(kpi, periodType);
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = new Map()));
    return group;
  }

  private indexOf(scopeType: string, scopeId: string): number {
    let ofType = this.scopeIndex.get(scopeType);
    if (!ofType) this.scopeIndex.set(scopeType, (ofType = new Map()));
    let index = ofType.get(scopeId);
    if (index === undefined) {
      index = this.scopes.push({ scopeType, scopeId }) - 1;
      ofType.set(scopeId, index);
    }
    return index;
  }
}

/** Cells per statement. */
const CELLS_PER_STATEMENT = 5000;

/**
 * Gathers the cells to store, of any KPI and period type, into statements stamped `now`; `run`
 * runs each one (a statement a KPI and period type made an incremental week 39 round trips, most
 * of them small). New cells are inserted and changed ones update their stored twins: an
 * `insert ... on conflict do update` of both costs a fifth more (5,000 cells: 42 ms against
 * 32 ms where all were stored, 28 ms against 19 ms where none was). The stored cells were read
 * in this transaction's snapshot, under the lock no other compute writes through, so the two
 * cannot be mistaken. The cells go in column by column (json-columns.ts); `details` is stored
 * as the text JSON.stringify wrote.
 */
export class CellWrites {
  private inserts = new CellColumns();
  private updates = new CellColumns();

  constructor(private readonly now: Date, private readonly run: (statement: RawBuilder<unknown>) => Promise<void>) {}

  async add(kpi: string, periodType: PeriodType, cells: HashedCellRow[]): Promise<void> {
    for (const cell of cells) {
      const columns = this.columnsOf(cell.stored);
      columns.push(kpi, periodType, cell);
      if (columns.size >= CELLS_PER_STATEMENT) await this.write(cell.stored);
    }
  }

  /** Runs the statements of the cells gathered so far. */
  async flush(): Promise<void> {
    await this.write(false);
    await this.write(true);
  }

  private columnsOf(stored: boolean): CellColumns {
    return stored ? this.updates : this.inserts;
  }

  /** The statement of the stored cells gathered (updates) or of the new ones (inserts). */
  private async write(stored: boolean): Promise<void> {
    const columns = this.columnsOf(stored);
    if (!columns.size) return;
    const rows = columns.take();
    const computedAt = sql`${this.now.toISOString()}::timestamptz`;
    await this.run(stored
      ? sql`
        update kpi_values k set value = r.value::float8, n = r.n::integer, details = r.details, content_hash = r.content_hash::int8, computed_at = ${computedAt}
        from ${rows}
        where k.scope_type = r.scope_type and k.scope_id = r.scope_id and k.period_type = r.period_type and k.period_start = r.period_start::date
          and k.kpi_key = r.kpi_key`
      : sql`
        insert into kpi_values (kpi_key, scope_type, scope_id, period_type, period_start, value, n, details, content_hash, computed_at)
        select r.kpi_key, r.scope_type, r.scope_id, r.period_type, r.period_start::date, r.value::float8, r.n::integer, r.details, r.content_hash::int8,
          ${computedAt}
        from ${rows}`);
  }
}

/** Cells column by column (json-columns.ts), until taken as the rows of a statement. */
class CellColumns {
  private kpi: string[] = [];
  private periodType: string[] = [];
  private scopeType: string[] = [];
  private scopeId: string[] = [];
  private periodStart: string[] = [];
  private value: (number | null)[] = [];
  private n: number[] = [];
  private details: string[] = [];
  private contentHash: number[] = [];

  get size(): number {
    return this.kpi.length;
  }

  push(kpi: string, periodType: PeriodType, cell: HashedCellRow): void {
    this.kpi.push(kpi);
    this.periodType.push(periodType);
    this.scopeType.push(cell.scopeType);
    this.scopeId.push(cell.scopeId);
    this.periodStart.push(cell.periodStart);
    this.value.push(cell.value);
    this.n.push(cell.n);
    this.details.push(JSON.stringify(cell.details));
    this.contentHash.push(cell.contentHash);
  }

  /** The cells gathered as `rows from (...) as r(...)`, and none left here. */
  take(): RawBuilder<unknown> {
    // json_array_elements keeps each value's text as sent: details are stored as the engine wrote them.
    const rows = sql`rows from (${jsonColumn(this.kpi)}, ${jsonColumn(this.periodType)}, ${jsonColumn(this.scopeType)}, ${jsonColumn(this.scopeId)},
      ${jsonColumn(this.periodStart)}, ${jsonColumn(this.value)}, ${jsonColumn(this.n)}, json_array_elements(${`[${this.details.join(',')}]`}::json),
      ${jsonColumn(this.contentHash)}) as r(kpi_key, period_type, scope_type, scope_id, period_start, value, n, details, content_hash)`;
    this.kpi = [];
    this.periodType = [];
    this.scopeType = [];
    this.scopeId = [];
    this.periodStart = [];
    this.value = [];
    this.n = [];
    this.details = [];
    this.contentHash = [];
    return rows;
  }
}
