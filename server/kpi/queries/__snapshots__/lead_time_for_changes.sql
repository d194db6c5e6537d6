-- Lead time for changes: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, dc.deployed_at))::date as period_start, dc.deployed_at as anchor_at,
      dc.service_id, dc.repository, dc.sha, dc.authored_at, dc.deployed_at,
      dc.lead_time_seconds / 3600::float8 as lead_time_hours, dc.pull_request_number,
      dc.deployment_id, d.source as deployment_source, d.external_id as deployment_external_id, d.url as deployment_url
    from deployment_changes dc
    left join deployments d on d.id = dc.deployment_id -- left: unused by the aggregate, the planner drops it
    join scope_members sm on sm.service_id = dc.service_id and dc.deployed_at >= sm.valid_from and dc.deployed_at < sm.valid_to
    where sm.scope_type = $3 and sm.scope_id = $4
        and dc.deployed_at >= $5::timestamptz and dc.deployed_at < $6::timestamptz
        and date_trunc($7, timezone($8, dc.deployed_at))::date = $9::date)
select scope_type, scope_id, period_start, count(*)::int as n, (percentile_cont(0.5) within group (order by lead_time_hours))::float8 as p50,
    (percentile_cont(0.75) within group (order by lead_time_hours))::float8 as p75, (percentile_cont(0.9) within group (order by lead_time_hours))::float8 as p90
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
