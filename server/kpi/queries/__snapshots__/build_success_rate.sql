-- Build success rate: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, r.finished_at))::date as period_start, r.finished_at as anchor_at,
      r.id as ci_run_id, r.source, r.external_id, sr.service_id, r.repository, r.workflow, r.branch, r.event, r.commit_sha,
      r.status, r.url, r.started_at, r.finished_at,
      (date_part('epoch', r.finished_at - r.started_at) / 60) as duration_minutes
    from ci_runs r
    join service_repositories sr on sr.repository = r.repository
    join scope_members sm on sm.service_id = sr.service_id and r.finished_at >= sm.valid_from and r.finished_at < sm.valid_to
    where r.status in ('success', 'failure') and r.branch = any($3::text[])
      and (r.event is null or r.event not in ('pull_request', 'pull_request_target')) and sm.scope_type = $4 and sm.scope_id = $5
        and r.finished_at >= $6::timestamptz and r.finished_at < $7::timestamptz
        and date_trunc($8, timezone($9, r.finished_at))::date = $10::date)
select scope_type, scope_id, period_start, count(*)::int as n, (count(*) filter (where status = 'success'))::int as success,
    (count(*) filter (where status = 'failure'))::int as failure,
    (percentile_cont(0.5) within group (order by duration_minutes))::float8 as duration_p50, (percentile_cont(0.9) within group (order by duration_minutes))::float8 as duration_p90
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin",["main","master"],"team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
