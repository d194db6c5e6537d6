// Lead time for changes (KPIS.md): for each commit a production deployment shipped,
// deployment finished − commit authored; exact median, p75 and p90 over the population.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, percentile, scopeJoin, type CellFilter } from './population.js';
import { percentileCont, sortedValues } from '../rollup.js';

const anchor = sql`dc.deployed_at`;

/** A deployment_changes row `dc`'s lead time in hours: the KPI's population and a deployment's explained commits show the same number. */
export const leadTimeHours = sql<number>`dc.lead_time_seconds / 3600::float8`;

export function shippedChanges(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, anchor)} as period_start, ${anchor} as anchor_at,
      dc.service_id, dc.repository, dc.sha, dc.authored_at, dc.deployed_at,
      ${leadTimeHours} as lead_time_hours, dc.pull_request_number,
      dc.deployment_id, d.source as deployment_source, d.external_id as deployment_external_id, d.url as deployment_url
    from deployment_changes dc
    left join deployments d on d.id = dc.deployment_id -- left: unused by the aggregate, the planner drops it
    ${scopeJoin(filter, sql`dc.service_id`, anchor)}
    where ${cellCondition(filter, anchor)}`;
}

export const leadTimeForChanges: KpiDefinition = {
  key: 'lead_time_for_changes',
  name: 'Lead time for changes',
  unit: 'hours',
  direction: 'lower_is_better',
  defaultTarget: 72,
  minimumSample: 5,
  recordKind: 'change',
  description: 'Median time from a commit being authored to the production deployment that shipped it; p75 and p90 alongside.',
  population: shippedChanges,
  readsDerivedFacts: true,
  aggregates: sql`count(*)::int as n, ${percentile(0.5, sql`lead_time_hours`)} as p50,
    ${percentile(0.75, sql`lead_time_hours`)} as p75, ${percentile(0.9, sql`lead_time_hours`)} as p90`,
  rollup: {
    columns: { lead_time_hours: sql`p.lead_time_hours` },
    orderBy: 'lead_time_hours',
    reduce(records, columns) {
      const hours = sortedValues(records, columns.lead_time_hours!);
      return { n: records.length, p50: percentileCont(hours, 0.5), p75: percentileCont(hours, 0.75), p90: percentileCont(hours, 0.9) };
    },
  },
  toValue: (row) => ({ value: row.p50 as number | null, n: row.n, details: { p50: row.p50, p75: row.p75, p90: row.p90 } }),
  explainColumns: sql`(select cm.author from commits cm where cm.repository = p.repository and cm.sha = p.sha) as author,
    (select pr.url from pull_requests pr where pr.repository = p.repository and pr.number = p.pull_request_number) as pull_request_url`,
  explainOrder: sql`p.lead_time_hours desc, p.sha`,
};
