// The ingest baselines are only a fair comparison if all three loaders store the same rows:
// ours (the ingest layer), the row-by-row upsert and COPY.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { NormalizedRecord } from '../connectors/contract.js';
import { demoConfigFile, parseOrgConfig } from '../server/config.js';
import { generateDemoData } from '../server/demo/generate.js';
import { syncOrg } from '../server/org/sync-org.js';
import { createBenchDatabase, type BenchDatabase } from './database.js';
import { loadRowByRow, loadWithIngest, prepareCopy, toCsv } from './ingest-baseline.js';

const org = parseOrgConfig(readFileSync(demoConfigFile(), 'utf8'));
const data = generateDemoData(org, { now: new Date('2026-11-20T12:00:00Z'), weeks: 2 });
const sample: NormalizedRecord[] = [
  ...data.commits.map((record) => ({ kind: 'commit' as const, record })),
  ...data.pullRequests.map((record) => ({ kind: 'pull_request' as const, record })),
  ...data.deployments.map((record) => ({ kind: 'deployment' as const, record })),
  ...data.incidents.map((record) => ({ kind: 'incident' as const, record })),
];

/** Every raw table's rows without surrogate ids, load times and derived columns. */
async function rawRows(database: BenchDatabase) {
  const dump: Record<string, unknown[]> = {};
  for (const [table, order] of [['commits', 'repository, sha'], ['pull_requests', 'repository, number'], ['deployments', 'source, external_id'], ['incidents', 'source, external_id']] as const) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by ${sql.raw(order)}`.execute(database.db);
    dump[table] = rows.map(({ id: _id, ingested_at: _i, updated_at: _u, is_production: _p, ...row }) => ({ ...row, payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload }));
  }
  return dump;
}

async function loaded(label: string, load: (database: BenchDatabase) => Promise<void>) {
  const database = await createBenchDatabase(process.env.DATABASE_URL, label);
  try {
    await syncOrg(database.db, org);
    await load(database);
    return await rawRows(database);
  } finally {
    await database.close();
  }
}

describe('ingest baselines', () => {
  it('store the same rows as the ingest layer', async () => {
    expect(sample.length).toBeGreaterThan(100);
    const ours = await loaded('ours', ({ db }) => loadWithIngest(db, org, sample));
    expect(ours.commits!.length).toBe(data.commits.length);
    expect(await loaded('single', ({ db }) => loadRowByRow(db, sample))).toEqual(ours);
    expect(await loaded('copy', async (database) => {
      for (const load of prepareCopy(sample)) await database.copy(load.table, load.columns, load.csv);
    })).toEqual(ours);
  });

  it('writes COPY csv with NULLs, quotes and array literals', () => {
    expect(toCsv([{ a: null, b: 'say "hi"', c: ['x', 'y"z'], d: true, e: 3, f: '' }])).toBe(',"say ""hi""","{""x"",""y\\""z""}",t,"3",""\n');
  });
});
