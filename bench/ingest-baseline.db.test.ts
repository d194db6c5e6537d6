// The ingest baselines are only a fair comparison if all three loaders store the same rows:
// ours (the ingest layer), the row-by-row upsert and COPY.
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { IncidentRecord, NormalizedRecord } from '../connectors/contract.js';
import { RAW_ROWS } from '../server/ingest/raw-rows.js';
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
  ...data.ciRuns.map((record) => ({ kind: 'ci_run' as const, record })),
  ...data.bugs.map((record) => ({ kind: 'bug' as const, record })),
];
// Records that leave out what has a default, and an incident whose cause the API set, beside one
// whose record says something else in that field (stored as null): each way a column is read.
const service = org.services[0]!;
const repository = data.commits.find((c) => service.repositories.includes(c.repository))!.repository;
sample.push(
  { kind: 'commit', record: { repository, sha: 'f'.repeat(40), parents: [], authored_at: '2026-11-18T10:00:00Z', committed_at: '2026-11-18T10:00:00Z' } },
  { kind: 'pull_request', record: { repository, number: 99_999, opened_at: '2026-11-18T10:00:00Z' } },
  { kind: 'deployment', record: { source: 'cd', external_id: 'bare', service: service.id, environment: 'production', status: 'success', finished_at: '2026-11-18T11:00:00Z' } },
  ...(['api', 'sync'] as const).map((via) => ({
    kind: 'incident' as const,
    record: { ...data.incidents[0]!, source: 'pager', external_id: `set-via-${via}`, cause_set_via: via } as IncidentRecord,
  })),
  { kind: 'bug', record: { source: 'tracker', external_id: 'bare', service: service.id, title: 'Crash', severity: 'high', created_at: '2026-11-18T10:00:00Z', found_in_production: true } },
);

/** Every raw table's rows without surrogate ids, load times and derived columns. */
async function rawRows(database: BenchDatabase) {
  const dump: Record<string, Record<string, unknown>[]> = {};
  for (const { table, keys } of Object.values(RAW_ROWS)) {
    const order = sql.join(keys.map((key) => sql.ref(key)));
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table)} order by ${order}`.execute(database.db);
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
    expect(ours.commits!.length).toBe(data.commits.length + 1);
    for (const { table } of Object.values(RAW_ROWS)) expect(ours[table]!.length, table).toBeGreaterThan(1);
    // What the record left out or may not set, as ingest stored it.
    expect(ours.commits!.find((row) => row.sha === 'f'.repeat(40))).toMatchObject({ source: 'api', author: null, message: null });
    expect(ours.pull_requests!.find((row) => row.number === 99_999)).toMatchObject({ source: 'api', commit_shas: [], merged_at: null });
    expect(ours.deployments!.find((row) => row.external_id === 'bare')).toMatchObject({ service_id: service.id, labels: [], ref: null });
    expect(ours.incidents!.filter((row) => row.source === 'pager').map((row) => row.cause_set_via)).toEqual(['api', null]);
    expect(ours.bugs!.find((row) => row.external_id === 'bare')).toMatchObject({ service_id: service.id, labels: [], repository: null });
    expect(await loaded('single', ({ db }) => loadRowByRow(db, sample))).toEqual(ours);
    expect(await loaded('copy', async (database) => {
      for (const load of prepareCopy(sample)) await database.copy(load.table, load.columns, load.csv);
    })).toEqual(ours);
  });

  it('writes COPY csv with NULLs, quotes and array literals', () => {
    expect(toCsv([{ a: null, b: 'say "hi"', c: ['x', 'y"z'], d: true, e: 3, f: '' }])).toBe(',"say ""hi""","{""x"",""y\\""z""}",t,"3",""\n');
  });
});
