-- On-call load: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, i.created_at))::date as period_start, i.created_at as anchor_at,
      i.id as incident_id, i.source, i.external_id, i.service_id, i.severity, i.urgency, i.title, i.url,
      i.created_at, i.started_at, i.acknowledged_at, i.resolved_at, owner.team_id as owner_team_id, clock.time_zone as local_time_zone,
      to_char(clock.created_at, 'YYYY-MM-DD HH24:MI') as local_created_at,
      (extract(isodow from clock.created_at) >= 6 or clock.created_at::time < time '09:00' or clock.created_at::time >= time '18:00') as off_hours
    from incidents i
    join scope_members sm on sm.service_id = i.service_id and i.created_at >= sm.valid_from and i.created_at < sm.valid_to
    left join lateral (
      select so.team_id, t.time_zone from service_owners so join teams t on t.id = so.team_id
      where so.service_id = i.service_id and i.created_at >= so.valid_from and i.created_at < so.valid_to
      order by so.valid_from desc
      limit 1) owner on true
    cross join lateral (
      select coalesce(owner.time_zone, $3) as time_zone,
        timezone(coalesce(owner.time_zone, $4), i.created_at) as created_at) clock
    where (i.urgency = 'high' or i.severity in ('sev1', 'sev2')) and sm.scope_type = $5 and sm.scope_id = $6
        and i.created_at >= $7::timestamptz and i.created_at < $8::timestamptz
        and date_trunc($9, timezone($10, i.created_at))::date = $11::date)
select scope_type, scope_id, period_start, count(*)::int as n, (count(*) filter (where off_hours))::int as off_hours, count(distinct owner_team_id)::int as teams
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","Europe/Berlin","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
