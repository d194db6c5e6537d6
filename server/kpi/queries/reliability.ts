// Reliability KPIs read straight from incidents (KPIS.md, Reliability): time to acknowledge
// (MTTA), incident recurrence rate, on-call load (pages per week and their off-hours share)
// and the incident count. Each record's flags (recurrence, off-hours) are computed per record
// in SQL, so the stored value, the explained value and the record list agree.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, duration, scopeJoin, type CellFilter } from './population.js';
import { countDistinct, countWhere } from '../rollup.js';
import { medianWithP90 } from './median.js';

const HOURS_PER_WEEK = 168;
const SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4', 'sev5'] as const;

/** The incident columns every incident population lists. */
const incidentColumns = sql`i.id as incident_id, i.source, i.external_id, i.service_id, i.severity, i.urgency, i.title, i.url,
      i.created_at, i.started_at, i.acknowledged_at, i.resolved_at`;

// ---------------------------------------------------------------- time to acknowledge

const acknowledgedAnchor = sql`i.acknowledged_at`;

/** Incidents acknowledged in the cell; never-acknowledged incidents have no time to acknowledge. */
export function acknowledgedIncidents(filter: CellFilter) {
  // A negative time (the tool's clocks disagree) counts as 0, as a negative lead time does.
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, acknowledgedAnchor)} as period_start, ${acknowledgedAnchor} as anchor_at,
      ${incidentColumns},
      ${duration('minutes', sql`i.created_at`, sql`i.acknowledged_at`, { atLeastZero: true })} as acknowledge_minutes
    from incidents i
    ${scopeJoin(filter, sql`i.service_id`, acknowledgedAnchor)}
    where i.acknowledged_at is not null and ${cellCondition(filter, acknowledgedAnchor)}`;
}

export const timeToAcknowledge: KpiDefinition = {
  key: 'time_to_acknowledge',
  name: 'Time to acknowledge (MTTA)',
  unit: 'minutes',
  direction: 'lower_is_better',
  // A page should be picked up within minutes (docs/kpis.md); KPIS.md gives no figure.
  defaultTarget: 5,
  minimumSample: 5,
  recordKind: 'incident',
  description: 'Median of incident acknowledged − created, over incidents acknowledged in the period (an incident counts in the period it was acknowledged; never-acknowledged ones are left out); p90 alongside.',
  population: acknowledgedIncidents,
  readsDerivedFacts: false,
  ...medianWithP90('acknowledge_minutes'),
  explainOrder: sql`p.acknowledge_minutes desc, p.incident_id`,
};

// ---------------------------------------------------------------- incidents created: recurrence and count

const createdAnchor = sql`i.created_at`;

/**
 * Incidents created in the cell, each with the latest earlier incident of the same fingerprint
 * (root-cause key, else the tool's grouping key, else service + normalised title: migration
 * 0006) created at most `recurrenceWindowDays` × 24 h before it. "Earlier" is created_at
 * strictly before, or equal with a lower id, so of two simultaneous incidents exactly one is first.
 */
export function createdIncidents(filter: CellFilter) {
  const window = sql`make_interval(hours => 24 * ${filter.recurrenceWindowDays}::int)`;
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, createdAnchor)} as period_start, ${createdAnchor} as anchor_at,
      ${incidentColumns}, i.root_cause_key, i.dedup_key, i.fingerprint,
      earlier.id is not null as is_recurrence, earlier.id as recurs_incident_id
    from incidents i
    ${scopeJoin(filter, sql`i.service_id`, createdAnchor)}
    left join lateral (
      select e.id from incidents e
      where e.fingerprint = i.fingerprint and e.created_at >= i.created_at - ${window}
        and (e.created_at < i.created_at or (e.created_at = i.created_at and e.id < i.id))
      order by e.created_at desc, e.id desc
      limit 1) earlier on true
    where ${cellCondition(filter, createdAnchor)}`;
}

export const incidentRecurrenceRate: KpiDefinition = {
  key: 'incident_recurrence_rate',
  name: 'Incident recurrence rate',
  unit: '%',
  direction: 'lower_is_better',
  defaultTarget: 10,
  minimumSample: 10,
  recordKind: 'incident',
  description: 'Incidents created in the period whose root cause (root-cause key, else grouping key, else service + normalised title) matches an earlier incident within the recurrence window (default 90 days) / incidents created.',
  population: createdIncidents,
  readsDerivedFacts: false,
  aggregates: sql`count(*)::int as n, (count(*) filter (where is_recurrence))::int as recurrent`,
  rollup: {
    columns: { is_recurrence: sql`p.is_recurrence` },
    reduce: (records, columns) => ({ n: records.length, recurrent: countWhere(records, columns.is_recurrence!, true) }),
  },
  toValue(row) {
    const recurrent = Number(row.recurrent);
    return { value: row.n > 0 ? (100 * recurrent) / row.n : null, n: row.n, details: { recurrent, incidents: row.n } };
  },
  explainColumns: sql`(select json_build_object('id', e.id, 'source', e.source, 'external_id', e.external_id, 'title', e.title,
     'created_at', e.created_at, 'url', e.url) from incidents e where e.id = p.recurs_incident_id) as recurs`,
  explainOrder: sql`p.is_recurrence desc, p.created_at desc, p.incident_id desc`,
};

export const incidentCount: KpiDefinition = {
  key: 'incident_count',
  name: 'Incident count',
  unit: 'incidents',
  direction: 'lower_is_better',
  // No benchmark exists for a raw count; docs/kpis.md says why 5 and how to read it.
  defaultTarget: 5,
  // A count has no sampling error; one incident is enough, zero is "no data" (KPIS.md).
  minimumSample: 1,
  recordKind: 'incident',
  description: 'Incidents created in the period (open or resolved), by severity.',
  population: createdIncidents,
  readsDerivedFacts: false,
  aggregates: sql`count(*)::int as n, ${sql.join(SEVERITIES.map((s) => sql`(count(*) filter (where severity = ${sql.lit(s)}))::int as ${sql.ref(s)}`))}`,
  rollup: {
    columns: { severity: sql`p.severity` },
    reduce: (records, columns) => ({ n: records.length, ...Object.fromEntries(SEVERITIES.map((s) => [s, countWhere(records, columns.severity!, s)])) }),
  },
  toValue: (row) => ({
    value: row.n > 0 ? row.n : null,
    n: row.n,
    details: { by_severity: Object.fromEntries(SEVERITIES.map((s) => [s, row[s]])) },
  }),
  explainOrder: sql`p.created_at desc, p.incident_id desc`,
};

// ---------------------------------------------------------------- on-call load

/**
 * Pages (KPIS.md: incidents of high urgency or sev1–2) created in the cell. `off_hours`: created
 * outside 09:00–18:00 Monday to Friday in the time zone of the team that owned the service at
 * that moment (the org's zone when the team has none, or the service no owner).
 */
export function pages(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, createdAnchor)} as period_start, ${createdAnchor} as anchor_at,
      ${incidentColumns}, owner.team_id as owner_team_id, clock.time_zone as local_time_zone,
      to_char(clock.created_at, 'YYYY-MM-DD HH24:MI') as local_created_at,
      (extract(isodow from clock.created_at) >= 6 or clock.created_at::time < time '09:00' or clock.created_at::time >= time '18:00') as off_hours
    from incidents i
    ${scopeJoin(filter, sql`i.service_id`, createdAnchor)}
    left join lateral (
      select so.team_id, t.time_zone from service_owners so join teams t on t.id = so.team_id
      where so.service_id = i.service_id and i.created_at >= so.valid_from and i.created_at < so.valid_to
      order by so.valid_from desc
      limit 1) owner on true
    cross join lateral (
      select coalesce(owner.time_zone, ${filter.timeZone}) as time_zone,
        timezone(coalesce(owner.time_zone, ${filter.timeZone}), i.created_at) as created_at) clock
    where (i.urgency = 'high' or i.severity in ('sev1', 'sev2')) and ${cellCondition(filter, createdAnchor)}`;
}

export const onCallPages: KpiDefinition = {
  key: 'on_call_pages',
  name: 'On-call load',
  unit: 'pages/week',
  direction: 'lower_is_better',
  // About one interrupting page every few days per rotation (docs/kpis.md).
  defaultTarget: 2,
  // A count has no sampling error, as with deployment frequency.
  minimumSample: 1,
  recordKind: 'incident',
  description: 'Pages (high-urgency or sev1–2 incidents) created in the period, per week of the period so far; at org and parent-team scope the total of their services. Details: the share created outside 09:00–18:00 weekdays in the owning team\'s time zone.',
  population: pages,
  readsDerivedFacts: false,
  aggregates: sql`count(*)::int as n, (count(*) filter (where off_hours))::int as off_hours, count(distinct owner_team_id)::int as teams`,
  rollup: {
    columns: { off_hours: sql`p.off_hours`, owner_team_id: sql`p.owner_team_id` },
    reduce: (records, columns) => ({
      n: records.length,
      off_hours: countWhere(records, columns.off_hours!, true),
      teams: countDistinct(records, columns.owner_team_id!),
    }),
  },
  toValue(row, hours) {
    const count = row.n;
    const offHours = Number(row.off_hours);
    const perWeek = count > 0 && hours > 0 ? (count * HOURS_PER_WEEK) / hours : null;
    return {
      value: perWeek,
      n: count,
      details: {
        pages: count,
        off_hours: offHours,
        off_hours_share: count > 0 ? (100 * offHours) / count : null,
        teams: row.teams,
        period_hours: hours,
      },
    };
  },
  explainOrder: sql`p.created_at desc, p.incident_id desc`,
};
