-- PR cycle time: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, pr.merged_at))::date as period_start, pr.merged_at as anchor_at,
      pr.id as pull_request_id, pr.source, sr.service_id, pr.repository, pr.number, pr.title, pr.author, pr.url,
      pr.opened_at, pr.first_review_at, pr.merged_at,
      (greatest(date_part('epoch', pr.merged_at - pr.opened_at), 0) / 3600) as cycle_time_hours
    from pull_requests pr
    join service_repositories sr on sr.repository = pr.repository
    join scope_members sm on sm.service_id = sr.service_id and pr.merged_at >= sm.valid_from and pr.merged_at < sm.valid_to
    where pr.merged_at is not null and sm.scope_type = $3 and sm.scope_id = $4
        and pr.merged_at >= $5::timestamptz and pr.merged_at < $6::timestamptz
        and date_trunc($7, timezone($8, pr.merged_at))::date = $9::date)
select scope_type, scope_id, period_start, count(*)::int as n, (percentile_cont(0.5) within group (order by "cycle_time_hours"))::float8 as p50, (percentile_cont(0.9) within group (order by "cycle_time_hours"))::float8 as p90
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
