-- Time to acknowledge (MTTA): aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, i.acknowledged_at))::date as period_start, i.acknowledged_at as anchor_at,
      i.id as incident_id, i.source, i.external_id, i.service_id, i.severity, i.urgency, i.title, i.url,
      i.created_at, i.started_at, i.acknowledged_at, i.resolved_at,
      (greatest(date_part('epoch', i.acknowledged_at - i.created_at), 0) / 60) as acknowledge_minutes
    from incidents i
    join scope_members sm on sm.service_id = i.service_id and i.acknowledged_at >= sm.valid_from and i.acknowledged_at < sm.valid_to
    where i.acknowledged_at is not null and sm.scope_type = $3 and sm.scope_id = $4
        and i.acknowledged_at >= $5::timestamptz and i.acknowledged_at < $6::timestamptz
        and date_trunc($7, timezone($8, i.acknowledged_at))::date = $9::date)
select scope_type, scope_id, period_start, count(*)::int as n, (percentile_cont(0.5) within group (order by "acknowledge_minutes"))::float8 as p50, (percentile_cont(0.9) within group (order by "acknowledge_minutes"))::float8 as p90
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
