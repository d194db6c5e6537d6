// Shared SQL for KPI populations: the anchor time bucketed into the org's periods and the
// scope join through scope_members (ownership at the record's anchor time). Every KPI's
// stored value (the engine's rollup), its explained value (the SQL aggregate) and its record
// list are read from one population query; a parity test holds the two aggregates equal.
import { sql, type RawBuilder } from 'kysely';
import type { OrgConfig } from '../../config.js';
import type { PeriodType, ScopeType } from '../keys.js';

/**
 * What a population reads from the organisation's configuration. Every caller (engine,
 * explain, tests) passes it, so a stored value and its explanation use the same settings.
 */
export interface PopulationSettings {
  /** The org time zone: periods and local dates. */
  timeZone: string;
  /** Incident recurrence looks this many days (of 24 h) back (`incidents.recurrence_window_days`). */
  recurrenceWindowDays: number;
  /** Build health counts the CI runs of these branches (`ci.default_branches`). */
  ciDefaultBranches: readonly string[];
}

export function populationSettings(org: OrgConfig): PopulationSettings {
  return { timeZone: org.timeZone, recurrenceWindowDays: org.incidents.recurrenceWindowDays, ciDefaultBranches: org.ci.defaultBranches };
}

/** Which cells a population covers. */
export type CellFilter = PopulationSettings & (
  | { mode: 'all'; periodType: PeriodType }
  /** One cell (explain and tests). */
  | { mode: 'cell'; periodType: PeriodType; scopeType: ScopeType; scopeId: string; periodStart: string; from: Date; to: Date }
  /**
   * Each record once, under its own service, with `period_start` its local date, of the given
   * services and with anchors within [from, to) when given: what the engine's rollup (rollup.ts) expands into cells.
   */
  | { mode: 'records'; services?: string[]; from?: Date; to?: Date }
);

export function bucket(filter: CellFilter, anchor: RawBuilder<unknown>): RawBuilder<string> {
  if (filter.mode === 'records') return sql<string>`timezone(${filter.timeZone}, ${anchor})::date`;
  return sql<string>`date_trunc(${filter.periodType}, timezone(${filter.timeZone}, ${anchor}))::date`;
}

/** Joins the records (by their service column) to every scope they count for at `anchor`. */
export function scopeJoin(filter: CellFilter, serviceColumn: RawBuilder<unknown>, anchor: RawBuilder<unknown>): RawBuilder<unknown> {
  // The rollup joins scopes itself, from the same scope_members rows (rollup.ts).
  if (filter.mode === 'records') return sql`cross join lateral (select 'service'::text as scope_type, ${serviceColumn} as scope_id) sm`;
  return sql`join scope_members sm on sm.service_id = ${serviceColumn} and ${anchor} >= sm.valid_from and ${anchor} < sm.valid_to`;
}

/** The WHERE condition selecting the filter's cells. */
export function cellCondition(filter: CellFilter, anchor: RawBuilder<unknown>): RawBuilder<unknown> {
  switch (filter.mode) {
    case 'all':
      return sql`${anchor} is not null`;
    case 'cell':
      return sql`sm.scope_type = ${filter.scopeType} and sm.scope_id = ${filter.scopeId}
        and ${anchor} >= ${filter.from.toISOString()}::timestamptz and ${anchor} < ${filter.to.toISOString()}::timestamptz
        and ${bucket(filter, anchor)} = ${filter.periodStart}::date`;
    case 'records': {
      const from = filter.from ? sql` and ${anchor} >= ${filter.from.toISOString()}::timestamptz` : sql``;
      const to = filter.to ? sql` and ${anchor} < ${filter.to.toISOString()}::timestamptz` : sql``;
      const services = filter.services ? sql` and sm.scope_id = any(${filter.services}::text[])` : sql``;
      return sql`${anchor} is not null${services}${from}${to}`;
    }
  }
}

/** Exact percentile over the population (percentile_cont, cast so pg and PGlite return numbers). */
export function percentile(fraction: number, expression: RawBuilder<unknown>, where?: RawBuilder<unknown>): RawBuilder<number | null> {
  const filter = where ? sql` filter (where ${where})` : sql``;
  return sql<number | null>`(percentile_cont(${sql.lit(fraction)}) within group (order by ${expression})${filter})::float8`;
}

const SECONDS = { minutes: 60, hours: 3600 } as const;

/**
 * The time from `from` to `to` in minutes or hours, as float8 arithmetic: numeric's (extract's
 * epoch, a division by 60.0) cost twice as much per record, and the conversion of its result
 * to float8 goes through text. The rollup reads these numbers as they are; explain's aggregate
 * reads the same population, so both take percentiles of the same values.
 */
export function duration(unit: keyof typeof SECONDS, from: RawBuilder<unknown>, to: RawBuilder<unknown>, options: { atLeastZero?: boolean } = {}): RawBuilder<number> {
  const seconds = sql`date_part('epoch', ${to} - ${from})`;
  return sql<number>`(${options.atLeastZero ? sql`greatest(${seconds}, 0)` : seconds} / ${sql.lit(SECONDS[unit])})`;
}
