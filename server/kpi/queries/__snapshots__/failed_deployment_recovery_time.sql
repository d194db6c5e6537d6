-- Failed deployment recovery time: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, f.recovered_at))::date as period_start, f.recovered_at as anchor_at,
      d.id as deployment_id, d.source, d.external_id, d.service_id, d.url, d.commit_sha,
      f.finished_at, f.recovered_at, f.failure_reason, f.failure_incident_ids,
      (date_part('epoch', f.recovered_at - f.finished_at) / 60) as duration_minutes
    from deployment_facts f
    left join deployments d on d.id = f.deployment_id -- left (every fact has its deployment): unused by the rollup, the planner drops it
    join scope_members sm on sm.service_id = f.service_id and f.recovered_at >= sm.valid_from and f.recovered_at < sm.valid_to
    where f.is_failed and f.recovered_at is not null and sm.scope_type = $3 and sm.scope_id = $4
        and f.recovered_at >= $5::timestamptz and f.recovered_at < $6::timestamptz
        and date_trunc($7, timezone($8, f.recovered_at))::date = $9::date)
select scope_type, scope_id, period_start, count(*)::int as n, (percentile_cont(0.5) within group (order by "duration_minutes"))::float8 as p50, (percentile_cont(0.9) within group (order by "duration_minutes"))::float8 as p90
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
