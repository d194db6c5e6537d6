// Escaped defects (KPIS.md, Flow and quality): bugs found in production, counted in the
// period they were created and weighted by severity, so one sev1 outweighs a handful of
// cosmetic bugs. Each bug's weight is computed per record in SQL, so the stored value, the
// explained value and the listed weights agree.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { bucket, cellCondition, scopeJoin, type CellFilter } from './population.js';
import { countWhere, sumOf } from '../rollup.js';

/**
 * Weight of one escaped bug per severity (docs/kpis.md). Roughly the cost of each: a sev1
 * (outage or data loss) is worth two sev2s (a major feature broken), a sev2 about two sev3s
 * (degraded, with a workaround); sev4–5 (minor, cosmetic) count 1, as any bug a customer
 * found does. Changing a weight changes stored values only after `bellwether compute --all`.
 */
export const ESCAPED_DEFECT_WEIGHTS = { sev1: 10, sev2: 5, sev3: 3, sev4: 1, sev5: 1 } as const;
const SEVERITIES = Object.keys(ESCAPED_DEFECT_WEIGHTS) as (keyof typeof ESCAPED_DEFECT_WEIGHTS)[];

const createdAnchor = sql`b.created_at`;
const weight = sql`(case b.severity ${sql.join(SEVERITIES.map((s) => sql`when ${sql.lit(s)} then ${sql.lit(ESCAPED_DEFECT_WEIGHTS[s])}`), sql` `)} end)::int`;

/** Bugs found in production and created in the cell, each with its severity weight. */
export function escapedBugs(filter: CellFilter) {
  return sql`
    select sm.scope_type, sm.scope_id, ${bucket(filter, createdAnchor)} as period_start, ${createdAnchor} as anchor_at,
      b.id as bug_id, b.source, b.external_id, b.service_id, b.repository, b.severity, b.title, b.url, b.labels,
      b.created_at, b.closed_at, ${weight} as weight
    from bugs b
    ${scopeJoin(filter, sql`b.service_id`, createdAnchor)}
    where b.found_in_production and ${cellCondition(filter, createdAnchor)}`;
}

export const escapedDefects: KpiDefinition = {
  key: 'escaped_defects',
  name: 'Escaped defects',
  unit: 'weighted bugs',
  direction: 'lower_is_better',
  // No benchmark exists; one sev2 (5) a week, sized for one team's week (docs/kpis.md).
  defaultTarget: 5,
  // A count has no sampling error; one bug is enough, zero is "no data" (KPIS.md).
  minimumSample: 1,
  recordKind: 'bug',
  description: 'Bugs found in production and created in the period (open or closed), weighted by severity: sev1 10, sev2 5, sev3 3, sev4 1, sev5 1.',
  population: escapedBugs,
  readsDerivedFacts: false,
  aggregates: sql`count(*)::int as n, sum(weight)::int as weighted,
    ${sql.join(SEVERITIES.map((s) => sql`(count(*) filter (where severity = ${sql.lit(s)}))::int as ${sql.ref(s)}`))}`,
  rollup: {
    columns: { severity: sql`p.severity`, weight: sql`p.weight` },
    reduce: (records, columns) => ({
      n: records.length,
      weighted: sumOf(records, columns.weight!),
      ...Object.fromEntries(SEVERITIES.map((s) => [s, countWhere(records, columns.severity!, s)])),
    }),
  },
  toValue: (row) => ({
    value: row.n > 0 ? Number(row.weighted) : null,
    n: row.n,
    details: { bugs: row.n, by_severity: Object.fromEntries(SEVERITIES.map((s) => [s, row[s]])) },
  }),
  explainOrder: sql`p.weight desc, p.created_at desc, p.bug_id desc`,
};
