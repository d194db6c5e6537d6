// The shape of one KPI in the registry: what it means (unit, direction, default target,
// minimum sample) and the one population query its value and its explanation come from.
import type { RawBuilder } from 'kysely';
import type { KpiKey } from './keys.js';
import type { CellFilter } from './queries/population.js';
import type { Rollup } from './rollup.js';
import type { Direction } from './rules/status.js';

/** One cell's aggregate: the columns of the KPI's `aggregates` (its rollup's `reduce` gives the same). */
export interface CellAggregate {
  n: number;
  [column: string]: unknown;
}

/** One aggregated row per (scope, period) cell, straight from SQL. */
export interface AggregateRow extends CellAggregate {
  scope_type: 'org' | 'team' | 'service';
  scope_id: string;
  period_start: string;
}

export interface CellValue {
  value: number | null;
  n: number;
  details: Record<string, unknown>;
}

export interface KpiDefinition {
  key: KpiKey;
  name: string;
  /** What the headline value measures, e.g. 'hours' or '%'. */
  unit: string;
  direction: Direction;
  /** KPIS.md example target, in `unit`; overridable per org, team and service. */
  defaultTarget: number;
  /** Below this n the value is low-confidence (KPIS.md: 5 for medians, 10 for rates). */
  minimumSample: number;
  /** Which records make up the population, for the explain page. */
  recordKind: 'deployment' | 'change' | 'incident' | 'failed_deployment' | 'bug' | 'pull_request' | 'ci_run';
  description: string;
  /** Rows: scope_type, scope_id, period_start plus the record's own columns. */
  population(filter: CellFilter): RawBuilder<unknown>;
  /**
   * The population reads what the derivation writes (deployment_facts, deployment_changes):
   * in a compute that derived, only the compute transaction itself sees it as it now is
   * (engine.ts reads the other populations on snapshot readers). A test holds it to the SQL.
   */
  readsDerivedFacts: boolean;
  /** Aggregate select list over `population` (must include `count(*)::int as n`). */
  aggregates: RawBuilder<unknown>;
  /** The same aggregate computed in memory, for the engine (rollup.ts). */
  rollup: Rollup;
  /** Turns a cell's aggregate into the stored value; `hours` is the period's length so far. */
  toValue(row: CellAggregate, hours: number): CellValue;
  /** Extra columns for each explained record, over alias `p`. */
  explainColumns?: RawBuilder<unknown>;
  explainOrder: RawBuilder<unknown>;
}
