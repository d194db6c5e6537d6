// The aggregate, in-memory rollup and stored value of a KPI that is the median of one
// duration column, with its p90 alongside (time to restore sev1–2, time to acknowledge,
// failed deployment recovery time): one definition, so the SQL and the rollup cannot drift.
import { sql } from 'kysely';
import type { KpiDefinition } from '../definition.js';
import { percentileCont, sortedValues } from '../rollup.js';
import { percentile } from './population.js';

export function medianWithP90(column: string): Pick<KpiDefinition, 'aggregates' | 'rollup' | 'toValue'> {
  const ref = sql.ref(column);
  return {
    aggregates: sql`count(*)::int as n, ${percentile(0.5, ref)} as p50, ${percentile(0.9, ref)} as p90`,
    rollup: {
      columns: { [column]: sql`p.${ref}` },
      orderBy: column,
      reduce(records, columns) {
        const values = sortedValues(records, columns[column]!);
        return { n: records.length, p50: percentileCont(values, 0.5), p90: percentileCont(values, 0.9) };
      },
    },
    toValue: (row) => ({ value: row.p50 as number | null, n: row.n, details: { p50: row.p50, p90: row.p90 } }),
  };
}
