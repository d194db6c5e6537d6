// Incident-based DORA keys. Time to restore: incident resolved − created (or started),
// anchored on resolution, overall and for sev1–sev2 alone (KPIS.md: "reported overall and for
// sev1–sev2"; its target is on the sev1–2 median). Failed deployment recovery time (DORA
// 2023): failed production deployment finished → its incidents resolved, anchored on that
// recovery (KPIS.md).
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, duration, percentile, scopeJoin, type CellFilter } from './population.js';
import { countWhere, percentileCont, sortedValues } from '../rollup.js';
import { medianWithP90 } from './median.js';

const resolvedAnchor = sql`i.resolved_at`;

const severe = sql`severity in ('sev1', 'sev2')`;

/** Incidents resolved in the cell (still-open ones have no time to restore yet). */
export function resolvedIncidents(filter: CellFilter, options: { severeOnly?: boolean } = {}) {
  const severity = options.severeOnly ? sql` and i.${severe}` : sql``;
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, resolvedAnchor)} as period_start, ${resolvedAnchor} as anchor_at,
      i.id as incident_id, i.source, i.external_id, i.service_id, i.severity, i.title, i.url,
      i.created_at, i.started_at, i.acknowledged_at, i.resolved_at,
      ${duration('minutes', sql`coalesce(i.started_at, i.created_at)`, sql`i.resolved_at`)} as duration_minutes,
      i.deployment_external_id, i.root_cause_key
    from incidents i
    ${scopeJoin(filter, sql`i.service_id`, resolvedAnchor)}
    where i.resolved_at is not null${severity} and ${cellCondition(filter, resolvedAnchor)}`;
}

/** Sev1–2 incidents resolved in the cell: a population of its own, so explain lists exactly the n counted. */
export function resolvedSevereIncidents(filter: CellFilter) {
  return resolvedIncidents(filter, { severeOnly: true });
}

export const timeToRestore: KpiDefinition = {
  key: 'time_to_restore',
  name: 'Time to restore (MTTR)',
  unit: 'minutes',
  direction: 'lower_is_better',
  defaultTarget: 60,
  minimumSample: 5,
  recordKind: 'incident',
  description: 'Median of incident resolved − created (or started) over incidents resolved in the period; sev1–2 reported alongside.',
  population: resolvedIncidents,
  readsDerivedFacts: false,
  aggregates: sql`count(*)::int as n, ${percentile(0.5, sql`duration_minutes`)} as p50, ${percentile(0.9, sql`duration_minutes`)} as p90,
    (count(*) filter (where ${severe}))::int as severe_n, ${percentile(0.5, sql`duration_minutes`, severe)} as severe_p50`,
  rollup: {
    columns: { duration_minutes: sql`p.duration_minutes`, severe: sql`(p.${severe})` },
    orderBy: 'duration_minutes',
    reduce(records, columns) {
      // sortedValues reuses one buffer: read each sort's percentiles before the next.
      const minutes = sortedValues(records, columns.duration_minutes!);
      const p50 = percentileCont(minutes, 0.5);
      const p90 = percentileCont(minutes, 0.9);
      const severeP50 = percentileCont(sortedValues(records, columns.duration_minutes!, columns.severe), 0.5);
      return { n: records.length, p50, p90, severe_n: countWhere(records, columns.severe!, true), severe_p50: severeP50 };
    },
  },
  toValue: (row) => ({
    value: row.p50 as number | null,
    n: row.n,
    details: { p50: row.p50, p90: row.p90, sev1_2: { n: row.severe_n, p50: row.severe_p50 } },
  }),
  explainOrder: sql`p.duration_minutes desc, p.incident_id`,
};

export const timeToRestoreSev12: KpiDefinition = {
  key: 'time_to_restore_sev1_2',
  name: 'Time to restore, sev1–2',
  unit: 'minutes',
  direction: 'lower_is_better',
  // KPIS.md: "sev1–sev2 median < 60 min".
  defaultTarget: 60,
  minimumSample: 5,
  recordKind: 'incident',
  description: 'Median of incident resolved − created (or started) over sev1–2 incidents resolved in the period; p90 alongside.',
  population: resolvedSevereIncidents,
  readsDerivedFacts: false,
  ...medianWithP90('duration_minutes'),
  explainOrder: sql`p.duration_minutes desc, p.incident_id`,
};

const recoveredAnchor = sql`f.recovered_at`;

export function recoveredFailedDeployments(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, recoveredAnchor)} as period_start, ${recoveredAnchor} as anchor_at,
      d.id as deployment_id, d.source, d.external_id, d.service_id, d.url, d.commit_sha,
      f.finished_at, f.recovered_at, f.failure_reason, f.failure_incident_ids,
      ${duration('minutes', sql`f.finished_at`, sql`f.recovered_at`)} as duration_minutes
    from deployment_facts f
    left join deployments d on d.id = f.deployment_id -- left (every fact has its deployment): unused by the rollup, the planner drops it
    ${scopeJoin(filter, sql`f.service_id`, recoveredAnchor)}
    where f.is_failed and f.recovered_at is not null and ${cellCondition(filter, recoveredAnchor)}`;
}

export const failedDeploymentRecoveryTime: KpiDefinition = {
  key: 'failed_deployment_recovery_time',
  name: 'Failed deployment recovery time',
  unit: 'minutes',
  direction: 'lower_is_better',
  defaultTarget: 60,
  minimumSample: 5,
  recordKind: 'failed_deployment',
  description: 'Median of (incident resolved − failed deployment finished) for failed production deployments with incidents, anchored on resolution.',
  population: recoveredFailedDeployments,
  readsDerivedFacts: true,
  ...medianWithP90('duration_minutes'),
  explainColumns: sql`(select coalesce(json_agg(json_build_object('id', i.id, 'source', i.source, 'external_id', i.external_id,
     'title', i.title, 'severity', i.severity, 'created_at', i.created_at, 'resolved_at', i.resolved_at, 'url', i.url) order by i.created_at), '[]'::json)
   from incidents i where i.id = any(p.failure_incident_ids)) as incidents`,
  explainOrder: sql`p.duration_minutes desc, p.deployment_id`,
};
