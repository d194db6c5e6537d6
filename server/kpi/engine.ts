// The KPI engine: re-derives the facts of the services ingest queued, then turns dirty
// (service, period) marks into recomputed kpi_values cells, or recomputes everything. One transaction per run under an advisory lock, so replicas
// never compute the same cells at once and readers never see half a run.
import { sql, type Transaction } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { AggregateRow, KpiDefinition } from './definition.js';
import type { SnapshotReaders } from '../db/snapshot-readers.js';
import { PERIOD_TYPES, type PeriodType } from './keys.js';
import { elapsedHours, localDate, periodContaining, periodOfLocalDate, shiftPeriod } from './periods.js';
import { populationSettings, type CellFilter } from './queries/population.js';
import { cellKey, groupByPopulation, loadRecords, loadScopes, loadServiceIds, rollupCells, type LoadedRecords, type RolledCell } from './rollup.js';
import { KPIS } from './registry.js';
import { deleteSetting, readSetting, writeSetting } from '../org/settings.js';
import { derivePending, type DerivationStats } from '../derive/rederive.js';
import { withSnapshotReaders } from '../db/snapshot-readers.js';
import { CellWrites, StoredCells, type CellRow, type ListedCell } from './stored-cells.js';
import { settledLater } from '../lib/settled-later.js';

type Trx = Transaction<Database>;

export interface ComputeResult {
  /** False when another process held the lock and `wait` was off. */
  ran: boolean;
  cells: number;
  mode: 'all' | 'dirty';
  /** The services whose facts were re-derived first (those ingest queued). */
  derived: DerivationStats;
}

const LOCK = sql`hashtext('bellwether:compute')`;

export async function computeKpis(db: Db, org: OrgConfig, options: { all?: boolean; now: Date; wait?: boolean }): Promise<ComputeResult> {
  const mode = options.all ? 'all' : 'dirty';
  return db.transaction().execute(async (trx) => {
    if (options.wait ?? true) {
      await sql`select pg_advisory_xact_lock(${LOCK})`.execute(trx);
    } else {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${LOCK}) as locked`.execute(trx);
      if (!rows[0]?.locked) return { ran: false, cells: 0, mode, derived: { services: 0, windowed: 0, whole: 0 } };
    }
    // Exact percentiles sort each cell's population; the default 4 MB spills those sorts to
    // disk already at a tenth of a large organisation. Local to this transaction.
    await sql`set local work_mem = '64MB'`.execute(trx);
    // Other connections read what they can meanwhile, where the database has them to spare:
    // the next services' inputs while one derives, populations while one is rolled up.
    return withSnapshotReaders(db, trx, async (readers) => {
      // Facts first: re-deriving marks the cells whose facts changed dirty.
      const derived = await derivePending(trx, org, { readers });
      // The organisation file changed ownership or the time zone (sync-org.ts): do everything.
      const pending = (await readSetting(trx, 'full_recompute_pending')) === true;
      const all = mode === 'all' || pending;
      const readersOf = readersFor(readers, derived);
      const cells = all ? await computeAll(trx, org, options.now, readersOf) : await computeDirty(trx, org, options.now, readersOf);
      if (pending) await deleteSetting(trx, 'full_recompute_pending');
      await writeSetting(trx, 'computed_through', options.now.toISOString());
      return { ran: true, cells, mode: all ? 'all' : 'dirty', derived };
    });
  });
}

/** The snapshot readers (if any) that may read a population, or the stored cells (`null`). */
type ReadersFor = (kpis: readonly KpiDefinition[] | null) => SnapshotReaders | null;

/**
 * Readers see the data as this transaction saw it before it derived: they may read what the
 * derivation does not write (the stored cells, and the populations of raw records), and every
 * population when it wrote nothing (no service was derived).
 */
function readersFor(readers: SnapshotReaders | null, derived: DerivationStats): ReadersFor {
  return (kpis) => (readers && (derived.services === 0 || !kpis?.some((kpi) => kpi.readsDerivedFacts)) ? readers : null);
}

/** The stored cells a run may replace (every one, or the listed cells'), read on a reader if there is one while the transaction reads its first population. */
function storedCellsOf(trx: Trx, readersOf: ReadersFor, only: 'all' | ListedCell[]): Promise<StoredCells> {
  const readers = readersOf(null);
  return settledLater(readers ? readers.read((reader) => StoredCells.load(reader, only)) : StoredCells.load(trx, only));
}

async function computeAll(trx: Trx, org: OrgConfig, now: Date, readersOf: ReadersFor): Promise<number> {
  const stored = storedCellsOf(trx, readersOf, 'all');
  await trx.deleteFrom('dirty_periods').execute();
  return rollupInto(trx, org, now, await quarterPasses(trx, org.timeZone), stored, readersOf);
}

/** One pass of the rollup: the records it reads (anchors in [from, to)) and the cells it keeps. */
interface Pass {
  load: { from?: Date; to?: Date };
  /** Cells of periods starting in [startsFrom, startsBefore) (local dates), when given. */
  startsFrom?: string;
  startsBefore?: string;
  /** Only these cells, per period type (a dirty run). */
  wanted?: Map<PeriodType, Set<string>>;
}

/**
 * A full recompute works one quarter at a time: each pass holds one quarter's records, not the
 * whole history. (At a large organisation the whole history's 1M changes kept ~60 MB live, and
 * V8 let the heap grow to four times that between collections.) The first and last passes are
 * open-ended, so every record is read whatever the range below says; the range only balances
 * the passes.
 */
async function quarterPasses(trx: Trx, timeZone: string): Promise<Pass[]> {
  // Each service's first and last deployment through the (service_id, finished_at) index: a
  // min and a max over the whole table were two scans of it, 150-340 ms at a large organisation.
  const { rows } = await sql<{ first: Date | null; last: Date | null }>`
    select min(first) as first, max(last) as last from (
      select (select f.finished_at from deployment_facts f where f.service_id = s.id order by f.finished_at limit 1) as first,
        (select f.finished_at from deployment_facts f where f.service_id = s.id order by f.finished_at desc limit 1) as last
      from services s
      union all
      select min(resolved_at), max(resolved_at) from incidents) ends`.execute(trx);
  const { first, last } = rows[0] ?? {};
  if (!first || !last) return [{ load: {} }];
  return passesBetween(new Date(first), new Date(last), timeZone, {});
}

/**
 * One pass per quarter from `first`'s to `last`'s. A pass keeps the cells of the periods
 * starting in its quarter and reads their records: its last week runs up to 6 days past the
 * quarter's end. The first pass reads from `ends.from` on, the last up to `ends.to` (no end: every record).
 */
function passesBetween(first: Date, last: Date, timeZone: string, ends: Pass['load'], wanted?: Pass['wanted']): Pass[] {
  const quarters = [periodContaining('quarter', first, timeZone)];
  while (quarters.at(-1)!.endAt <= last) quarters.push(shiftPeriod(quarters.at(-1)!, 1, timeZone));
  return quarters.map((quarter, i) => {
    const next = quarters[i + 1];
    const from = i > 0 ? quarter.startAt : ends.from;
    const to = next ? periodContaining('week', new Date(quarter.endAt.getTime() - 1), timeZone).endAt : ends.to;
    return {
      load: { ...(from ? { from } : {}), ...(to ? { to } : {}) },
      ...(i > 0 ? { startsFrom: quarter.start } : {}),
      ...(next ? { startsBefore: next.start } : {}),
      ...(wanted ? { wanted } : {}),
    };
  });
}

/**
 * Periods that ended in (since, now], per type: a cell computed while its period was still
 * open holds a partial value (a rate over the days so far, the incidents resolved so far),
 * so it is recomputed once its period has closed, even if no record of it changed.
 */
export function periodsClosedBetween(since: Date, now: Date, timeZone: string): { periodType: PeriodType; start: string; endAt: Date }[] {
  const closed = [];
  for (const periodType of PERIOD_TYPES) {
    let period = periodOfLocalDate(periodType, localDate(since, timeZone), timeZone);
    while (period.endAt <= now) {
      if (period.endAt > since) closed.push({ periodType, start: period.start, endAt: period.endAt });
      period = shiftPeriod(period, 1, timeZone);
    }
  }
  return closed;
}

async function computeDirty(trx: Trx, org: OrgConfig, now: Date, readersOf: ReadersFor): Promise<number> {
  const dirty = await trx.deleteFrom('dirty_periods').returning(['service_id', 'period_type', sql<string>`period_start::text`.as('period_start')]).execute();
  const since = await lastComputedAt(trx);
  const closed = since ? periodsClosedBetween(since, now, org.timeZone) : [];
  if (!dirty.length && !closed.length) return 0;
  // A dirty service period dirties the same period of every scope the service counted for at
  // any time during it (ownership can change mid-period). A closed period recomputes the cells
  // computed while it was open: kpi_values' one index leads with the scope, so its scopes are
  // walked (a loose index scan, one descent each) and each scope's cells of the closed periods
  // looked up, where a join on the period alone read the whole table (90 ms at a large organisation).
  const { rows: listed } = await sql<ListedCell>`
    with recursive scopes as (
      (select scope_type, scope_id from kpi_values where ${closed.length > 0} order by scope_type, scope_id limit 1)
      union all
      select next.scope_type, next.scope_id from scopes s cross join lateral (
        select k.scope_type, k.scope_id from kpi_values k where (k.scope_type, k.scope_id) > (s.scope_type, s.scope_id)
        order by k.scope_type, k.scope_id limit 1) next
    )
    select d.period_type, sm.scope_type, sm.scope_id, d.period_start::text as period_start
    from unnest(${dirty.map((d) => d.service_id)}::text[], ${dirty.map((d) => d.period_type)}::text[], ${dirty.map((d) => d.period_start)}::date[])
      as d(service_id, period_type, period_start)
    join scope_members sm on sm.service_id = d.service_id
      and sm.valid_from < timezone(${org.timeZone}, (d.period_start + (case d.period_type when 'week' then interval '7 days'
        when 'month' then interval '1 month' else interval '3 months' end))::timestamp)
      and sm.valid_to > timezone(${org.timeZone}, d.period_start::timestamp)
    union
    select k.period_type, k.scope_type, k.scope_id, k.period_start::text
    from unnest(${closed.map((c) => c.periodType)}::text[], ${closed.map((c) => c.start)}::date[], ${closed.map((c) => c.endAt.toISOString())}::timestamptz[])
      as c(period_type, period_start, end_at)
    cross join scopes s
    join kpi_values k on k.scope_type = s.scope_type and k.scope_id = s.scope_id and k.period_type = c.period_type and k.period_start = c.period_start
      and k.computed_at < c.end_at`.execute(trx);
  if (!listed.length) return 0;
  const stored = storedCellsOf(trx, readersOf, listed);
  const wanted = new Map<PeriodType, Set<string>>();
  let from = Infinity;
  let to = -Infinity;
  for (const cell of listed) {
    const period = periodOfLocalDate(cell.period_type, cell.period_start, org.timeZone);
    from = Math.min(from, period.startAt.getTime());
    to = Math.max(to, period.endAt.getTime());
    const keys = wanted.get(cell.period_type) ?? new Set<string>();
    keys.add(cellKey(cell.scope_type, cell.scope_id, cell.period_start));
    wanted.set(cell.period_type, keys);
  }
  // Only records inside the listed periods can fall in a listed cell; a quarter of them at a
  // time, as a full recompute reads them (the first compute after a load lists every period).
  return rollupInto(trx, org, now, passesBetween(new Date(from), new Date(to - 1), org.timeZone, { from: new Date(from), to: new Date(to) }, wanted), stored, readersOf);
}

/** Populations read ahead of the one being rolled up, on snapshot readers (each is held in memory until its turn). */
const READ_AHEAD = 2;

/**
 * Rolls every KPI up into cells (rollup.ts), pass by pass, and stores those that differ from
 * the `stored` ones they replace (stored-cells.ts); the stored cells no pass produced go at
 * the end. Postgres writes earlier cells while later ones are rolled up. The populations
 * snapshot readers may read are read ahead on them, on the other core, while this one rolls
 * up; the rest are read on the transaction in turn (read ahead there, a second population
 * raised the peak memory of a large organisation's full recompute by 30 MB and saved nothing).
 */
async function rollupInto(
  trx: Trx, org: OrgConfig, now: Date, passes: Pass[], storedCells: StoredCells | Promise<StoredCells>, readersOf: ReadersFor,
): Promise<number> {
  const scopes = await loadScopes(trx);
  const services = await loadServiceIds(trx);
  const settings = populationSettings(org);
  const inFlight = new BoundedWrites(2);
  const cellWrites = new CellWrites(now, (statement) => inFlight.add(statement.execute(trx)));
  const steps = passes.flatMap((pass) => groupByPopulation(KPIS).map((kpis) => ({ pass, kpis })));
  const readAhead = new Map<number, Promise<LoadedRecords>>();
  const readAheadOf = (i: number) => {
    const step = steps[i];
    const readers = step ? readersOf(step.kpis) : null;
    if (!step || !readers || readAhead.has(i)) return;
    readAhead.set(i, settledLater(readers.read((reader) => loadRecords(reader, step.kpis, settings, step.pass.load, services, scopes))));
  };
  // One pass holds a quarter's records at most: all its populations can be read at once.
  const depth = passes.length === 1 ? steps.length : READ_AHEAD;
  let cells = 0;
  for (const [i, { pass, kpis }] of steps.entries()) {
    for (let ahead = 0; ahead <= depth; ahead++) readAheadOf(i + ahead);
    const records = await (readAhead.get(i) ?? loadRecords(trx, kpis, settings, pass.load, services, scopes));
    readAhead.delete(i);
    const stored = await storedCells;
    for (const kpi of kpis) {
      for (const periodType of PERIOD_TYPES) {
        const wanted = pass.wanted?.get(periodType);
        if (pass.wanted && !wanted) continue;
        const rolled = rollupCells(records, scopes, kpi, periodType, org.timeZone, { wanted, startsFrom: pass.startsFrom, startsBefore: pass.startsBefore });
        cells += rolled.length;
        await cellWrites.add(kpi.key, periodType, stored.changed(kpi.key, periodType, cellRows(kpi, periodType, rolled, org.timeZone, now)));
      }
    }
  }
  await cellWrites.flush();
  await inFlight.drain();
  await (await storedCells).deleteLeftover(trx);
  return cells;
}

/** Statements in flight, at most `limit` at once, so pending cells cannot pile up in memory. */
class BoundedWrites {
  private readonly pending: Promise<unknown>[] = [];
  constructor(private readonly limit: number) {}

  async add(write: Promise<unknown>): Promise<void> {
    this.pending.push(settledLater(write));
    if (this.pending.length > this.limit) await this.pending.shift();
  }

  async drain(): Promise<void> {
    while (this.pending.length) await this.pending.shift();
  }
}

/** The `now` of the last run (a watermark kept in org_settings; before the first, the oldest stored cell). */
async function lastComputedAt(trx: Trx): Promise<Date | null> {
  const stored = await readSetting(trx, 'computed_through');
  if (typeof stored === 'string') return new Date(stored);
  const row = await trx.selectFrom('kpi_values').select((eb) => eb.fn.min('computed_at').as('oldest')).executeTakeFirst();
  return row?.oldest ? new Date(row.oldest as Date) : null;
}

/** Aggregates one KPI over the filter's population, grouped by cell. */
export async function aggregateKpi(db: Db | Trx, kpi: KpiDefinition, filter: CellFilter): Promise<AggregateRow[]> {
  const { rows } = await sql<AggregateRow>`
    with population as (${kpi.population(filter)})
    select scope_type, scope_id, period_start::text as period_start, ${kpi.aggregates}
    from population
    group by scope_type, scope_id, period_start`.execute(db);
  return rows;
}

/** The rolled-up cells' stored content: value, n and details as the KPI turns its aggregate into them. */
function cellRows(kpi: KpiDefinition, periodType: PeriodType, cells: RolledCell[], timeZone: string, now: Date): CellRow[] {
  // Every scope's cell of a period has the same length so far: one period lookup (luxon) per period, not per cell.
  const hoursOf = new Map<string, number>();
  return cells.map((cell) => {
    let hours = hoursOf.get(cell.periodStart);
    if (hours === undefined) hoursOf.set(cell.periodStart, (hours = elapsedHours(periodOfLocalDate(periodType, cell.periodStart, timeZone), now)));
    // The aggregate as reduce returned it: a copy spread with the cell's scope and period made
    // an object per cell (580k at a large organisation; one profiled run spent 2.2 s copying).
    const { value, n, details } = kpi.toValue(cell.row, hours);
    return { scopeType: cell.scopeType, scopeId: cell.scopeId, periodStart: cell.periodStart, value, n, details };
  });
}
