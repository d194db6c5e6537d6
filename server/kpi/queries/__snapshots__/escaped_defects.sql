-- Escaped defects: aggregate over one cell
with population as (
    select sm.scope_type, sm.scope_id, date_trunc($1, timezone($2, b.created_at))::date as period_start, b.created_at as anchor_at,
      b.id as bug_id, b.source, b.external_id, b.service_id, b.repository, b.severity, b.title, b.url, b.labels,
      b.created_at, b.closed_at, (case b.severity when 'sev1' then 10 when 'sev2' then 5 when 'sev3' then 3 when 'sev4' then 1 when 'sev5' then 1 end)::int as weight
    from bugs b
    join scope_members sm on sm.service_id = b.service_id and b.created_at >= sm.valid_from and b.created_at < sm.valid_to
    where b.found_in_production and sm.scope_type = $3 and sm.scope_id = $4
        and b.created_at >= $5::timestamptz and b.created_at < $6::timestamptz
        and date_trunc($7, timezone($8, b.created_at))::date = $9::date)
select scope_type, scope_id, period_start, count(*)::int as n, sum(weight)::int as weighted,
    (count(*) filter (where severity = 'sev1'))::int as "sev1", (count(*) filter (where severity = 'sev2'))::int as "sev2", (count(*) filter (where severity = 'sev3'))::int as "sev3", (count(*) filter (where severity = 'sev4'))::int as "sev4", (count(*) filter (where severity = 'sev5'))::int as "sev5"
from population group by scope_type, scope_id, period_start
-- parameters: ["week","Europe/Berlin","team","payments","2026-11-15T23:00:00.000Z","2026-11-22T23:00:00.000Z","week","Europe/Berlin","2026-11-16"]
