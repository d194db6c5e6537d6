// "Explain this number": the records behind one KPI cell, read from the same population
// query the engine aggregates, plus that population's aggregate, so the value shown beside
// the list is computed from exactly those records.
import { sql } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { AggregateRow, CellValue, KpiDefinition } from './definition.js';
import { aggregateKpi } from './engine.js';
import type { PeriodType } from './keys.js';
import { elapsedHours, periodOfLocalDate, type Period } from './periods.js';
import { populationSettings, type CellFilter } from './queries/population.js';
import type { Scope } from './scorecard.js';

/** What explain reads: the cell's period, its population's aggregate row and one page of its records. */
export interface ExplainData {
  period: Period;
  aggregate: AggregateRow | undefined;
  records: Record<string, unknown>[];
}

export async function loadExplain(
  db: Db,
  org: OrgConfig,
  kpi: KpiDefinition,
  scope: Scope,
  periodType: PeriodType,
  at: string,
  page: { limit: number; offset: number },
): Promise<ExplainData> {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  const filter: CellFilter = {
    ...populationSettings(org), mode: 'cell', periodType, scopeType: scope.type, scopeId: scope.id,
    periodStart: period.start, from: period.startAt, to: period.endAt,
  };
  const extra = kpi.explainColumns ? sql`, ${kpi.explainColumns}` : sql``;
  // Two statements over one population, on two connections at once (on a server).
  const [[aggregate], { rows }] = await Promise.all([
    aggregateKpi(db, kpi, filter),
    sql<Record<string, unknown>>`
      with population as (${kpi.population(filter)})
      select p.* ${extra} from population p
      order by ${kpi.explainOrder}
      limit ${page.limit} offset ${page.offset}`.execute(db),
  ]);
  const records = rows.map(({ scope_type: _s, scope_id: _i, period_start: _p, anchor_at: _a, ...record }) => record);
  return { period, aggregate, records };
}

/** The cell's value from its population's aggregate; `now` sets a partial period's elapsed hours. */
export function explainValue(kpi: KpiDefinition, data: ExplainData, now: Date): CellValue {
  return data.aggregate ? kpi.toValue(data.aggregate, elapsedHours(data.period, now)) : { value: null, n: 0, details: {} };
}
