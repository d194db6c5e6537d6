-- Incident count: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, i.created_at))::date as period_start, i.created_at as anchor_at,
      i.id as incident_id, i.source, i.external_id, i.service_id, i.severity, i.urgency, i.title, i.url,
      i.created_at, i.started_at, i.acknowledged_at, i.resolved_at, i.root_cause_key, i.dedup_key, i.fingerprint,
      earlier.id is not null as is_recurrence, earlier.id as recurs_incident_id
    from incidents i
    join scope_members sm on sm.service_id = i.service_id and i.created_at >= sm.valid_from and i.created_at < sm.valid_to
    left join lateral (
      select e.id from incidents e
      where e.fingerprint = i.fingerprint and e.created_at >= i.created_at - make_interval(hours => 24 * $3::int)
        and (e.created_at < i.created_at or (e.created_at = i.created_at and e.id < i.id))
      order by e.created_at desc, e.id desc
      limit 1) earlier on true
    where sm.scope_type = $4 and sm.scope_id = $5
        and i.created_at >= $6::timestamptz and i.created_at < $7::timestamptz
        and date_trunc($8, timezone($9, i.created_at))::date = $10::date)
select scope_type, scope_id, period_start, count(*)::int as n, (count(*) filter (where severity = 'sev1'))::int as "sev1", (count(*) filter (where severity = 'sev2'))::int as "sev2", (count(*) filter (where severity = 'sev3'))::int as "sev3", (count(*) filter (where severity = 'sev4'))::int as "sev4", (count(*) filter (where severity = 'sev5'))::int as "sev5"
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin",90,"team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
