// Production deployments (KPIS.md, Core records) and the three KPIs anchored on their
// finish time: deployment frequency, change failure rate and rework rate.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, scopeJoin, type CellFilter } from './population.js';
import { countDistinct, countWhere } from '../rollup.js';
import { leadTimeHours } from './lead-time.js';

const anchor = sql`f.finished_at`;

export function productionDeployments(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, anchor)} as period_start, ${anchor} as anchor_at,
      d.id as deployment_id, d.source, d.external_id, d.service_id, d.environment, d.commit_sha, d.ref, d.url,
      d.started_at, f.finished_at, timezone(${filter.timeZone}, f.finished_at)::date::text as local_day,
      f.change_count, f.shipped_basis, f.is_failed, f.failure_reason, f.failure_incident_ids,
      f.rolled_back_by_deployment_id, f.recovered_at, f.is_rework, f.rework_reason, f.rework_incident_id
    from deployment_facts f
    left join deployments d on d.id = f.deployment_id -- left (every fact has its deployment): unused by the rollup, the planner drops it
    ${scopeJoin(filter, sql`f.service_id`, anchor)}
    where ${cellCondition(filter, anchor)}`;
}

/** Each deployment's shipped commits (first 50) and the incidents behind its failure or rework. */
const deploymentExplainColumns = sql`
  (select coalesce(json_agg(c order by c.authored_at), '[]'::json) from (
     select dc.repository, dc.sha, dc.authored_at, ${leadTimeHours} as lead_time_hours,
       dc.pull_request_number, cm.author
     from deployment_changes dc left join commits cm on cm.repository = dc.repository and cm.sha = dc.sha
     -- A deployment's changes carry its service and finish time: found through (service_id, deployed_at).
     where dc.service_id = p.service_id and dc.deployed_at = p.finished_at and dc.deployment_id = p.deployment_id
     order by dc.authored_at limit 50) c) as shipped_commits,
  (select coalesce(json_agg(json_build_object('id', i.id, 'source', i.source, 'external_id', i.external_id,
     'title', i.title, 'severity', i.severity, 'created_at', i.created_at, 'resolved_at', i.resolved_at, 'url', i.url) order by i.created_at), '[]'::json)
   from incidents i where i.id = any(p.failure_incident_ids) or i.id = p.rework_incident_id) as incidents,
  (select r.external_id from deployments r where r.id = p.rolled_back_by_deployment_id) as rolled_back_by`;

export const deploymentFrequency: KpiDefinition = {
  key: 'deployment_frequency',
  name: 'Deployment frequency',
  unit: 'deploys/day',
  direction: 'higher_is_better',
  defaultTarget: 1,
  // A count has no sampling error; one deployment is enough, zero is "no data" (KPIS.md).
  minimumSample: 1,
  recordKind: 'deployment',
  description: 'Successful production deployments in the period, per day; also the count and deploy days per week.',
  population: productionDeployments,
  readsDerivedFacts: true,
  aggregates: sql`count(*)::int as n, count(distinct local_day)::int as deploy_days`,
  rollup: {
    columns: { local_day: sql`p.local_day` },
    reduce: (records, columns) => ({ n: records.length, deploy_days: countDistinct(records, columns.local_day!) }),
  },
  toValue(row, hours) {
    const count = row.n;
    const days = hours / 24;
    return {
      value: days > 0 ? count / days : null,
      n: count,
      details: {
        count,
        per_day: days > 0 ? count / days : null,
        deploy_days: row.deploy_days,
        deploy_days_per_week: hours > 0 ? (Number(row.deploy_days) * 168) / hours : null,
        mean_interval_hours: count > 0 ? hours / count : null,
        period_hours: hours,
      },
    };
  },
  explainColumns: deploymentExplainColumns,
  explainOrder: sql`p.finished_at desc, p.deployment_id desc`,
};

export const changeFailureRate: KpiDefinition = {
  key: 'change_failure_rate',
  name: 'Change failure rate',
  unit: '%',
  direction: 'lower_is_better',
  defaultTarget: 15,
  minimumSample: 10,
  recordKind: 'deployment',
  description: 'Failed production deployments / production deployments; failed = explicit incident link, rollback, or implicit service-scoped incident.',
  population: productionDeployments,
  readsDerivedFacts: true,
  aggregates: sql`count(*)::int as n, (count(*) filter (where is_failed))::int as failed,
    (count(*) filter (where failure_reason = 'incident_link'))::int as incident_link,
    (count(*) filter (where failure_reason = 'rollback'))::int as rollback,
    (count(*) filter (where failure_reason = 'implicit_incident'))::int as implicit_incident`,
  rollup: {
    columns: { is_failed: sql`p.is_failed`, failure_reason: sql`p.failure_reason` },
    reduce: (records, columns) => ({
      n: records.length,
      failed: countWhere(records, columns.is_failed!, true),
      incident_link: countWhere(records, columns.failure_reason!, 'incident_link'),
      rollback: countWhere(records, columns.failure_reason!, 'rollback'),
      implicit_incident: countWhere(records, columns.failure_reason!, 'implicit_incident'),
    }),
  },
  toValue(row) {
    const failed = Number(row.failed);
    return {
      value: row.n > 0 ? (100 * failed) / row.n : null,
      n: row.n,
      details: {
        failed,
        deployments: row.n,
        by_reason: { incident_link: row.incident_link, rollback: row.rollback, implicit_incident: row.implicit_incident },
      },
    };
  },
  explainColumns: deploymentExplainColumns,
  explainOrder: sql`p.is_failed desc, p.finished_at desc, p.deployment_id desc`,
};

export const reworkRate: KpiDefinition = {
  key: 'rework_rate',
  name: 'Rework rate',
  unit: '%',
  direction: 'lower_is_better',
  defaultTarget: 10,
  minimumSample: 10,
  recordKind: 'deployment',
  description: 'Production deployments that were unplanned fixes for a production incident / production deployments (DORA 2024).',
  population: productionDeployments,
  readsDerivedFacts: true,
  aggregates: sql`count(*)::int as n, (count(*) filter (where is_rework))::int as rework,
    (count(*) filter (where rework_reason = 'incident_fix_link'))::int as incident_fix_link,
    (count(*) filter (where rework_reason = 'resolved_incident'))::int as resolved_incident,
    (count(*) filter (where rework_reason = 'hotfix_rule'))::int as hotfix_rule`,
  rollup: {
    columns: { is_rework: sql`p.is_rework`, rework_reason: sql`p.rework_reason` },
    reduce: (records, columns) => ({
      n: records.length,
      rework: countWhere(records, columns.is_rework!, true),
      incident_fix_link: countWhere(records, columns.rework_reason!, 'incident_fix_link'),
      resolved_incident: countWhere(records, columns.rework_reason!, 'resolved_incident'),
      hotfix_rule: countWhere(records, columns.rework_reason!, 'hotfix_rule'),
    }),
  },
  toValue(row) {
    const rework = Number(row.rework);
    return {
      value: row.n > 0 ? (100 * rework) / row.n : null,
      n: row.n,
      details: {
        rework,
        deployments: row.n,
        by_reason: { incident_fix_link: row.incident_fix_link, resolved_incident: row.resolved_incident, hotfix_rule: row.hotfix_rule },
      },
    };
  },
  explainColumns: deploymentExplainColumns,
  explainOrder: sql`p.is_rework desc, p.finished_at desc, p.deployment_id desc`,
};
