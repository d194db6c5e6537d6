-- Deployment frequency: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, f.finished_at))::date as period_start, f.finished_at as anchor_at,
      d.id as deployment_id, d.source, d.external_id, d.service_id, d.environment, d.commit_sha, d.ref, d.url,
      d.started_at, f.finished_at, timezone($3, f.finished_at)::date::text as local_day,
      f.change_count, f.shipped_basis, f.is_failed, f.failure_reason, f.failure_incident_ids,
      f.rolled_back_by_deployment_id, f.recovered_at, f.is_rework, f.rework_reason, f.rework_incident_id
    from deployment_facts f
    left join deployments d on d.id = f.deployment_id -- left (every fact has its deployment): unused by the rollup, the planner drops it
    join scope_members sm on sm.service_id = f.service_id and f.finished_at >= sm.valid_from and f.finished_at < sm.valid_to
    where sm.scope_type = $4 and sm.scope_id = $5
        and f.finished_at >= $6::timestamptz and f.finished_at < $7::timestamptz
        and date_trunc($8, timezone($9, f.finished_at))::date = $10::date)
select scope_type, scope_id, period_start, count(*)::int as n, count(distinct local_day)::int as deploy_days
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
