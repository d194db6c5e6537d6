// Compiled SQL of every KPI's population and aggregate, snapshotted so reviewers read
// SQL rather than builder chains (immich's @GenerateSql idea, cheaply).
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely';
import { expect, it } from 'vitest';
import { KPIS } from '../registry.js';
import type { CellFilter } from './population.js';

const db = new Kysely<unknown>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new PostgresIntrospector(k),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const cell: CellFilter = {
  mode: 'cell', periodType: 'week', timeZone: 'Europe/Berlin', recurrenceWindowDays: 90, ciDefaultBranches: ['main', 'master'], scopeType: 'team', scopeId: 'payments',
  periodStart: '2026-11-16', from: new Date('2026-11-15T23:00:00Z'), to: new Date('2026-11-22T23:00:00Z'),
};

it.each(KPIS.map((kpi) => [kpi.key, kpi] as const))('%s', async (key, kpi) => {
  const query = sql`with population as (${kpi.population(cell)})
select scope_type, scope_id, period_start, ${kpi.aggregates}
from population group by scope_type, scope_id, period_start`.compile(db);
  const text = `-- ${kpi.name}: aggregate over one cell\n${query.sql.replace(/\n\s*\n/g, '\n')}\n-- parameters: ${JSON.stringify(query.parameters)}\n`;
  await expect(text).toMatchFileSnapshot(`./__snapshots__/${key}.sql`);
});

// The engine reads a population on a snapshot reader only when the KPI says the derivation
// does not write what it reads (engine.ts readersFor): a wrong flag would read stale facts.
it.each(KPIS.map((kpi) => [kpi.key, kpi] as const))('%s says whether its population reads derived facts', (_key, kpi) => {
  const records = kpi.population({ ...cell, mode: 'records' }).compile(db).sql;
  expect(/\bdeployment_(facts|changes)\b/.test(records)).toBe(kpi.readsDerivedFacts);
});
