// "Explain this number": the records behind one KPI cell, read from the same population
// query the engine aggregates, plus that population's aggregate, so the value shown beside
// the list is computed from exactly those records.
import { sql } from 'kysely';
import type { OrgConfig } from '../config.js';
import type { Db } from '../db/database.js';
import type { KpiDefinition } from './definition.js';
import { aggregateKpi } from './engine.js';
import type { PeriodType } from './keys.js';
import { elapsedHours, periodOfLocalDate } from './periods.js';
import type { CellFilter } from './queries/population.js';
import type { Scope } from './scorecard.js';

export async function explainKpi(
  db: Db,
  org: OrgConfig,
  kpi: KpiDefinition,
  scope: Scope,
  periodType: PeriodType,
  at: string,
  page: { limit: number; offset: number },
  now: Date,
) {
  const period = periodOfLocalDate(periodType, at, org.timeZone);
  const filter: CellFilter = {
    mode: 'cell', periodType, timeZone: org.timeZone, scopeType: scope.type, scopeId: scope.id,
    periodStart: period.start, from: period.startAt, to: period.endAt,
  };
  const [aggregate] = await aggregateKpi(db, kpi, filter);
  const computed = aggregate ? kpi.toValue(aggregate, elapsedHours(period, now)) : { value: null, n: 0, details: {} };
  const extra = kpi.explainColumns ? sql`, ${kpi.explainColumns}` : sql``;
  const { rows } = await sql<Record<string, unknown>>`
    with population as (${kpi.population(filter)})
    select p.* ${extra} from population p
    order by ${kpi.explainOrder}
    limit ${page.limit} offset ${page.offset}`.execute(db);
  const records = rows.map(({ scope_type: _s, scope_id: _i, period_start: _p, anchor_at: _a, ...record }) => record);
  return { period, value: computed.value, n: computed.n, details: computed.details, records };
}
