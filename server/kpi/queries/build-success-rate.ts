// Build pipeline health (KPIS.md, Flow and quality): the success rate of the CI runs that built
// a default branch, success / (success + failure), counted in the period each run finished,
// with the median and p90 run duration alongside. A run counts for every service owning its
// repository. Cancelled, skipped and neutral runs, runs still going and pull-request runs are
// stored but not counted.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, duration, percentile, scopeJoin, type CellFilter } from './population.js';
import { countWhere, percentileCont, sortedValues } from '../rollup.js';

/** The outcomes the rate is made of (KPIS.md: cancelled and skipped runs are excluded). */
export const BUILD_OUTCOMES = ['success', 'failure'] as const;
/**
 * Events whose run builds a pull request's head: its `branch` is the pull request's branch (a
 * fork's `main`, say), not the repository's default branch, so the run is not counted.
 */
export const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target'] as const;

/** Whether a CI run (as stored) counts for build health: the SQL condition below, for ingest's dirty marks. */
export function countsForBuildHealth(run: { status: string; branch: string | null; event: string | null; finished_at: Date | string | null }, defaultBranches: readonly string[]): boolean {
  return run.finished_at !== null && (BUILD_OUTCOMES as readonly string[]).includes(run.status)
    && run.branch !== null && defaultBranches.includes(run.branch)
    && (run.event === null || !(PULL_REQUEST_EVENTS as readonly string[]).includes(run.event));
}

const finishedAnchor = sql`r.finished_at`;
const literals = (values: readonly string[]) => sql.join(values.map((value) => sql.lit(value)));

/** Finished default-branch CI runs of the cell that succeeded or failed, once per service owning their repository. */
export function defaultBranchRuns(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, finishedAnchor)} as period_start, ${finishedAnchor} as anchor_at,
      r.id as ci_run_id, r.source, r.external_id, sr.service_id, r.repository, r.workflow, r.branch, r.event, r.commit_sha,
      r.status, r.url, r.started_at, r.finished_at,
      ${duration('minutes', sql`r.started_at`, sql`r.finished_at`)} as duration_minutes
    from ci_runs r
    join service_repositories sr on sr.repository = r.repository
    ${scopeJoin(filter, sql`sr.service_id`, finishedAnchor)}
    where r.status in (${literals(BUILD_OUTCOMES)}) and r.branch = any(${[...filter.ciDefaultBranches]}::text[])
      and (r.event is null or r.event not in (${literals(PULL_REQUEST_EVENTS)})) and ${cellCondition(filter, finishedAnchor)}`;
}

export const buildSuccessRate: KpiDefinition = {
  key: 'build_success_rate',
  name: 'Build success rate',
  unit: '%',
  direction: 'higher_is_better',
  defaultTarget: 95,
  minimumSample: 10,
  recordKind: 'ci_run',
  description: 'CI runs on default branches that succeeded / those that succeeded or failed, by finish time (cancelled and skipped runs left out); median and p90 run duration alongside.',
  population: defaultBranchRuns,
  readsDerivedFacts: false,
  // A run without a start time has no duration: it counts for the rate, not for the percentiles.
  aggregates: sql`count(*)::int as n, (count(*) filter (where status = 'success'))::int as success,
    (count(*) filter (where status = 'failure'))::int as failure,
    ${percentile(0.5, sql`duration_minutes`)} as duration_p50, ${percentile(0.9, sql`duration_minutes`)} as duration_p90`,
  rollup: {
    columns: { status: sql`p.status`, duration_minutes: sql`p.duration_minutes` },
    orderBy: 'duration_minutes',
    reduce(records, columns) {
      const success = countWhere(records, columns.status!, 'success');
      const failure = countWhere(records, columns.status!, 'failure');
      const durations = sortedValues(records, columns.duration_minutes!);
      return { n: records.length, success, failure, duration_p50: percentileCont(durations, 0.5), duration_p90: percentileCont(durations, 0.9) };
    },
  },
  toValue(row) {
    const success = Number(row.success);
    return {
      value: row.n > 0 ? (100 * success) / row.n : null,
      n: row.n,
      details: {
        success,
        failure: Number(row.failure),
        runs: row.n,
        duration_p50_minutes: row.duration_p50,
        duration_p90_minutes: row.duration_p90,
      },
    };
  },
  explainOrder: sql`(p.status = 'failure') desc, p.finished_at desc, p.ci_run_id desc, p.service_id`,
};
