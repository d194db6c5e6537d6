// PR cycle time (KPIS.md, Flow and quality): merged − opened of each merged pull request,
// counted in the period it was merged; exact median (the value) and p90. A pull request counts
// for every service owning its repository, as a change counts for every service shipping it.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, duration, scopeJoin, type CellFilter } from './population.js';
import { medianWithP90 } from './median.js';

const mergedAnchor = sql`pr.merged_at`;

/** Merged pull requests of the cell, once per service that owns their repository, with their cycle time. */
export function mergedPullRequests(filter: CellFilter) {
  // A negative time (opened after merged: a clock or import problem) counts as 0, as a negative lead time does.
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, mergedAnchor)} as period_start, ${mergedAnchor} as anchor_at,
      pr.id as pull_request_id, pr.source, sr.service_id, pr.repository, pr.number, pr.title, pr.author, pr.url,
      pr.opened_at, pr.first_review_at, pr.merged_at,
      ${duration('hours', sql`pr.opened_at`, sql`pr.merged_at`, { atLeastZero: true })} as cycle_time_hours
    from pull_requests pr
    join service_repositories sr on sr.repository = pr.repository
    ${scopeJoin(filter, sql`sr.service_id`, mergedAnchor)}
    where pr.merged_at is not null and ${cellCondition(filter, mergedAnchor)}`;
}

export const prCycleTime: KpiDefinition = {
  key: 'pr_cycle_time',
  name: 'PR cycle time',
  unit: 'hours',
  direction: 'lower_is_better',
  // A pull request merged within a day of opening (docs/kpis.md argues the figure).
  defaultTarget: 24,
  minimumSample: 5,
  recordKind: 'pull_request',
  description: 'Median of merged − opened over the pull requests merged in the period (open and closed-unmerged ones are left out); p90 alongside.',
  population: mergedPullRequests,
  readsDerivedFacts: false,
  ...medianWithP90('cycle_time_hours'),
  explainOrder: sql`p.cycle_time_hours desc, p.merged_at desc, p.pull_request_id, p.service_id`,
};
